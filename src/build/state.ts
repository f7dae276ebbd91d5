/**
 * What a build step starts from and produces: an image in the making. `key`
 * identifies the state for the layer cache: the base image's ID for a FROM,
 * then sha256(parent key, step key) for every step after it, so a change to
 * one step changes the keys of exactly the steps after it.
 */
import { createHash } from 'node:crypto';
import type { ChainId, Digest } from '../spec/ids.js';
import type { OciDescriptor, OciImageConfigFile } from '../spec/oci-image.js';

export interface StateLayer {
  chainId: ChainId;
  diffId: Digest;
  descriptor: OciDescriptor;
}

export interface ImageState {
  key: string;
  config: OciImageConfigFile;
  layers: StateLayer[];
}

export function childKey(parent: string, stepKey: string): string {
  return createHash('sha256').update(parent).update('\n').update(stepKey).digest('hex');
}

/** The image ID the state would have if recorded now: the digest of its config. */
export function stateId(s: ImageState): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(s.config)).digest('hex')}`;
}

/** The empty state of `FROM scratch`. */
export function scratchState(platform: { os: string; architecture: string }): ImageState {
  return { key: 'scratch', config: { architecture: platform.architecture, os: platform.os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] }, layers: [] };
}
