/**
 * Content digests (`sha256:<64 hex>`), the only algorithm the store writes.
 * Validation here is what keeps a digest from ever naming a path outside
 * `blobs/sha256/`.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../spec/ids.js';
import { invalidArgument } from '../util/errors.js';

const digestRe = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return digestRe.test(s);
}

/** Returns `s` as a Digest or throws InvalidArgument naming it. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw invalidArgument(`invalid digest "${s}": expected sha256:<64 lowercase hex digits>`);
  return s;
}

/** The hex part of a digest (`sha256:abc…` → `abc…`). */
export function digestHex(d: string): string {
  return d.slice(d.indexOf(':') + 1);
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}
