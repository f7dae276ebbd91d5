/**
 * The image catalog: which images exist and which references name them, held in
 * memory and persisted as the image layout's `index.json`.
 *
 * index.json lists one manifest descriptor per reference, annotated with
 * `org.opencontainers.image.ref.name` = the fully normalised reference
 * (`docker.io/library/busybox:latest`, or a digest reference
 * `docker.io/library/busybox@sha256:…`). An image with no reference (dangling)
 * keeps one descriptor without the annotation, so it is not lost.
 *
 * Mutations work on a clone; the service persists the clone and only then swaps
 * it in, so memory never runs ahead of disk.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Digest, ImageId } from '../spec/ids.js';
import { Annotation, MediaType, type OciImageConfigFile, type OciIndex, type OciManifest } from '../spec/oci-image.js';
import type { BlobReader } from '../store/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { hasCode, internal } from '../util/errors.js';
import { log } from '../util/log.js';

/** Our annotation recording when a reference was last set (Docker's LastTagTime). */
export const TAGGED_AT_ANNOTATION = 'io.berth.image.tagged-at';

export interface CatalogImage {
  id: ImageId;
  manifestDigest: Digest;
  manifestSize: number;
  manifest: OciManifest;
  config: OciImageConfigFile;
  /** Full normalised reference → when it was set (RFC 3339), if known. */
  refs: Map<string, string | undefined>;
}

export class Catalog {
  readonly images = new Map<ImageId, CatalogImage>();
  readonly byRef = new Map<string, ImageId>();

  clone(): Catalog {
    const copy = new Catalog();
    for (const [id, img] of this.images) copy.images.set(id, { ...img, refs: new Map(img.refs) });
    for (const [ref, id] of this.byRef) copy.byRef.set(ref, id);
    return copy;
  }

  /** Adds an image (no references yet); an image already known keeps its record. */
  add(img: Omit<CatalogImage, 'refs'>): CatalogImage {
    const existing = this.images.get(img.id);
    if (existing) return existing;
    const entry: CatalogImage = { ...img, refs: new Map() };
    this.images.set(img.id, entry);
    return entry;
  }

  /** Points `ref` at image `id`, taking it from any image it named before. */
  setRef(ref: string, id: ImageId, at: string | undefined): void {
    this.dropRef(ref);
    const img = this.images.get(id);
    if (!img) throw new Error(`catalog: no image ${id}`);
    img.refs.set(ref, at);
    this.byRef.set(ref, id);
  }

  /** Removes a reference; the image it named stays, dangling if that was its last. */
  dropRef(ref: string): void {
    const id = this.byRef.get(ref);
    if (id === undefined) return;
    this.byRef.delete(ref);
    this.images.get(id)?.refs.delete(ref);
  }

  /** Forgets an image and all its references. */
  drop(id: ImageId): void {
    const img = this.images.get(id);
    if (!img) return;
    for (const ref of img.refs.keys()) this.byRef.delete(ref);
    this.images.delete(id);
  }

  toIndex(): OciIndex {
    const manifests: OciIndex['manifests'] = [];
    const sorted = [...this.images.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const img of sorted) {
      const base = { mediaType: img.manifest.mediaType ?? MediaType.manifest, digest: img.manifestDigest, size: img.manifestSize };
      if (img.refs.size === 0) manifests.push(base);
      for (const [ref, at] of [...img.refs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        manifests.push({ ...base, annotations: { [Annotation.refName]: ref, ...(at !== undefined && { [TAGGED_AT_ANNOTATION]: at }) } });
      }
    }
    return { schemaVersion: 2, mediaType: MediaType.index, manifests };
  }
}

export function indexPath(dataRoot: string): string {
  return join(dataRoot, 'index.json');
}

export async function saveCatalog(dataRoot: string, catalog: Catalog): Promise<void> {
  await writeJsonAtomic(indexPath(dataRoot), catalog.toIndex());
}

/**
 * Reads index.json and the manifests and configs it points at. A descriptor whose
 * blobs are missing or unreadable is skipped with a warning (it can only come
 * from damage outside berth); an unreadable index.json is an error, because
 * silently starting empty would lose every tag.
 */
export async function loadCatalog(dataRoot: string, blobs: BlobReader): Promise<Catalog> {
  const catalog = new Catalog();
  let index: OciIndex;
  try {
    index = JSON.parse(await readFile(indexPath(dataRoot), 'utf8')) as OciIndex;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return catalog;
    throw internal(`cannot read ${indexPath(dataRoot)}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const byManifest = new Map<Digest, CatalogImage>();
  for (const desc of index.manifests ?? []) {
    let img = byManifest.get(desc.digest);
    if (!img) {
      try {
        const manifest = JSON.parse((await blobs.readBlob(desc.digest)).toString('utf8')) as OciManifest;
        const config = JSON.parse((await blobs.readBlob(manifest.config.digest)).toString('utf8')) as OciImageConfigFile;
        img = catalog.add({ id: manifest.config.digest as string as ImageId, manifestDigest: desc.digest, manifestSize: desc.size, manifest, config });
        byManifest.set(desc.digest, img);
      } catch (err) {
        log.warn('skipping image whose manifest or config cannot be read', { manifest: desc.digest, error: String(err) });
        continue;
      }
    }
    const ref = desc.annotations?.[Annotation.refName];
    if (ref !== undefined) catalog.setRef(ref, img.id, desc.annotations?.[TAGGED_AT_ANNOTATION]);
  }
  return catalog;
}
