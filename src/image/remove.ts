/**
 * `docker rmi` and `docker image prune` decisions, applied to a catalog clone.
 * They only change the catalog and say which images went; the service persists
 * the clone and then deletes the content nothing references any more. A thrown
 * conflict leaves the clone to be discarded, so nothing changes.
 *
 * Differences from Docker, by design: an image a container uses is never deleted,
 * even with force (our containers reach their layers through the image); force
 * then removes its tags and leaves it dangling.
 */
import type { ImageDeleteItem } from '../spec/docker-image.js';
import { conflict } from '../util/errors.js';
import { shortId } from '../util/ids.js';
import { familiarize, normalizeReference, parseReference, referenceString } from '../util/reference.js';
import type { Catalog, CatalogImage } from './catalog.js';
import { checkFilterKeys, matchLabels, matchNoLabels, parseTimeFilter, type Filters } from './filters.js';
import { isDigestRef, isIdPrefix, noSuchImage, repoOfRefString } from './resolve.js';
import type { InUseLookup, RemoveOptions } from './types.js';

export interface Removal {
  records: ImageDeleteItem[];
  /** Images dropped from the catalog, whose content may now be collected. */
  deleted: CatalogImage[];
}

/**
 * Removes what `input` (already resolved to `img`) names. A reference removes
 * that reference, and the image with its last one; an ID removes the image with
 * all its references, if nothing forbids it.
 */
export function removeImage(cat: Catalog, img: CatalogImage, input: string, opts: RemoveOptions, inUse: InUseLookup): Removal {
  const out: Removal = { records: [], deleted: [] };
  const id12 = shortId(img.id);
  const user = inUse(img.id);
  const cid12 = user ? shortId(user.containerId) : '';
  const runningConflict = () =>
    conflict(`conflict: unable to delete ${id12} (cannot be forced) - image is being used by running container ${cid12}`);
  const stoppedConflict = () =>
    conflict(`conflict: unable to delete ${id12} (must be forced) - image is being used by stopped container ${cid12}`);

  if (!isIdPrefix(img.id, input)) {
    const ref = refStringOf(input);
    if (!img.refs.has(ref)) throw noSuchImage(input);
    if (!opts.force && isSingleReference([...img.refs.keys()]) && user) {
      // Untagging would leave an image in use dangling: the user must say so.
      throw conflict(
        `conflict: unable to remove repository reference "${input}" (must force) - container ${cid12} is using its referenced image ${id12}`,
      );
    }
    untag(cat, ref, out);
    if (!isDigestRef(ref)) dropOrphanDigestRefs(cat, img, repoOfRefString(ref), out);
    if (img.refs.size > 0 || user) return out; // still named, or kept dangling for its container
    deleteImage(cat, img, out);
    return out;
  }

  if (isSingleReference([...img.refs.keys()])) {
    if (user?.running) throw runningConflict();
    if (user && !opts.force) throw stoppedConflict();
    for (const ref of [...img.refs.keys()]) untag(cat, ref, out);
  }
  if (user?.running) throw runningConflict();
  if (!opts.force && img.refs.size > 0) {
    throw conflict(`conflict: unable to delete ${id12} (must be forced) - image is referenced in multiple repositories`);
  }
  if (user && !opts.force) throw stoppedConflict();
  for (const ref of [...img.refs.keys()]) untag(cat, ref, out);
  if (user) {
    if (out.records.length === 0) {
      throw conflict(`conflict: unable to delete ${id12} (cannot be forced) - image is being used by stopped container ${cid12}`);
    }
    return out;
  }
  deleteImage(cat, img, out);
  return out;
}

export const PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const;

/** Removes unused images: dangling ones, or with `all` every unused one, that pass the filters. */
export function pruneImages(cat: Catalog, all: boolean, filters: Filters, inUse: InUseLookup): Removal {
  checkFilterKeys(filters, PRUNE_FILTERS);
  const danglingOnly = filters.dangling?.some((v) => ['false', '0'].includes(v.toLowerCase())) ? false : !all;
  const until = filters.until?.map((v) => parseTimeFilter(v));
  const out: Removal = { records: [], deleted: [] };
  for (const img of [...cat.images.values()]) {
    if (danglingOnly && img.refs.size > 0) continue;
    const created = Date.parse(img.config.created ?? '') / 1000;
    if (until && !until.every((u) => created < u)) continue;
    const labels = img.config.config?.Labels;
    if (!matchLabels(filters.label, labels) || !matchNoLabels(filters['label!'], labels)) continue;
    if (inUse(img.id)) continue;
    for (const ref of [...img.refs.keys()]) untag(cat, ref, out);
    deleteImage(cat, img, out);
  }
  return out;
}

function untag(cat: Catalog, ref: string, out: Removal): void {
  cat.dropRef(ref);
  out.records.push({ Untagged: familiarize(ref) });
}

function deleteImage(cat: Catalog, img: CatalogImage, out: Removal): void {
  cat.drop(img.id);
  out.records.push({ Deleted: img.id });
  out.deleted.push(img);
}

/** Once a repository's last tag is gone, its digest references go too (as in Docker). */
function dropOrphanDigestRefs(cat: Catalog, img: CatalogImage, repo: string, out: Removal): void {
  const remaining = [...img.refs.keys()];
  if (remaining.some((r) => !isDigestRef(r) && repoOfRefString(r) === repo)) return;
  for (const r of remaining) if (isDigestRef(r) && repoOfRefString(r) === repo) untag(cat, r, out);
}

/**
 * Docker's isSingleReference: at most one tag, and every reference in one
 * repository. False for none.
 */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tags = refs.filter((r) => !isDigestRef(r));
  if (tags.length > 1) return false;
  const repos = new Set(refs.map(repoOfRefString));
  return repos.size === 1;
}

/** The catalog key for a reference the user typed: tag defaulted, tag dropped beside a digest. */
function refStringOf(input: string): string {
  const ref = parseReference(input);
  if (ref.digest !== undefined) return referenceString({ domain: ref.domain, path: ref.path, digest: ref.digest });
  return normalizeReference(input);
}
