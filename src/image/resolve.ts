/**
 * Finding an image from what a user typed, in Docker's order: a full ID
 * (`sha256:<hex>` or 64 hex digits), then a reference (tag or digest), then a
 * unique prefix of an ID. Pure over a catalog snapshot.
 */
import type { ImageId } from '../spec/ids.js';
import { notFound } from '../util/errors.js';
import {
  isFullHexId,
  parseReference,
  referenceString,
  repositoryName,
  splitTag,
  withDefaultTag,
  type ImageReference,
} from '../util/reference.js';
import type { Catalog, CatalogImage } from './catalog.js';

const idPrefixRe = /^(?:sha256:)?[a-f0-9]+$/;

export function noSuchImage(input: string): Error {
  return notFound(`No such image: ${input}`);
}

/** The image `input` names in `catalog`; NotFound or InvalidArgument otherwise. */
export function findImage(catalog: Catalog, input: string): CatalogImage {
  const fullId = fullIdOf(input);
  if (fullId !== undefined) {
    const img = catalog.images.get(fullId);
    if (!img) throw noSuchImage(input);
    return img;
  }
  const ref = withDefaultTag(parseReference(input)); // malformed input fails here, as in Docker
  const byRef = findByReference(catalog, ref);
  if (byRef) return byRef;
  const byPrefix = findByIdPrefix(catalog, input);
  if (byPrefix) return byPrefix;
  throw noSuchImage(input);
}

function fullIdOf(input: string): ImageId | undefined {
  if (isFullHexId(input)) return `sha256:${input}` as ImageId;
  if (input.startsWith('sha256:') && isFullHexId(input.slice(7))) return input as ImageId;
  return undefined;
}

function findByReference(catalog: Catalog, ref: ImageReference): CatalogImage | undefined {
  if (ref.digest === undefined) {
    const id = catalog.byRef.get(referenceString(ref));
    return id === undefined ? undefined : catalog.images.get(id);
  }
  // A digest reference (a tag beside it is ignored): recorded as such, or the
  // manifest digest of an image known under the same repository.
  const canonical = referenceString({ domain: ref.domain, path: ref.path, digest: ref.digest });
  const id = catalog.byRef.get(canonical);
  if (id !== undefined) return catalog.images.get(id);
  const repo = repositoryName(ref);
  for (const img of catalog.images.values()) {
    if (img.manifestDigest !== ref.digest) continue;
    for (const r of img.refs.keys()) if (repoOfRefString(r) === repo) return img;
  }
  return undefined;
}

function findByIdPrefix(catalog: Catalog, input: string): CatalogImage | undefined {
  if (!idPrefixRe.test(input)) return undefined;
  const hexPrefix = input.replace(/^sha256:/, '');
  if (hexPrefix === '') return undefined;
  let found: CatalogImage | undefined;
  for (const img of catalog.images.values()) {
    if (!img.id.slice(7).startsWith(hexPrefix)) continue;
    if (found) return undefined; // ambiguous: Docker reports it as not found
    found = img;
  }
  return found;
}

/** True when `input` is a prefix of the image's ID, with or without `sha256:` (Docker's isImageIDPrefix). */
export function isIdPrefix(id: ImageId, input: string): boolean {
  return id.startsWith(input) || id.slice(7).startsWith(input);
}

/** `docker.io/library/busybox:1@sha256:…` → `docker.io/library/busybox`. */
export function repoOfRefString(ref: string): string {
  return splitTag(ref.split('@')[0]).name;
}

export function isDigestRef(ref: string): boolean {
  return ref.includes('@');
}
