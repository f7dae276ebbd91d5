/**
 * `docker save`: images as one tar that both docker-archive readers (`manifest.json`,
 * `repositories`) and OCI-layout readers (`oci-layout`, `index.json`) accept, as
 * Docker 25+ writes it. Layers go in uncompressed, named by their diffID, so the
 * archive is the same whether the local blob is gzip (pulled) or not (imported).
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Digest } from '../spec/ids.js';
import { Annotation, MediaType, type OciDescriptor, type OciManifest } from '../spec/oci-image.js';
import { digestHex, sha256Digest, type ContentStore } from '../store/index.js';
import { familiarString, parseReference, referenceString, withDefaultTag } from '../util/reference.js';
import type { CatalogImage } from './catalog.js';
import { isDigestRef } from './resolve.js';

export interface SaveDeps {
  content: ContentStore;
  /** The image a name or ID stands for (NotFound "No such image: x" otherwise). */
  find(name: string): CatalogImage;
}

interface Chosen {
  img: CatalogImage;
  /** Full references to record (`docker.io/library/busybox:latest`). */
  tags: string[];
}

/**
 * Writes the archive of `names` to `out`. Every name is resolved before the
 * first byte is written, so an unknown name fails cleanly (no half archive).
 */
export async function saveImages(deps: SaveDeps, names: string[], out: Writable): Promise<void> {
  const chosen = new Map<string, Chosen>();
  for (const name of names) {
    const img = deps.find(name);
    const entry = chosen.get(img.id) ?? { img, tags: [] };
    chosen.set(img.id, entry);
    const tag = tagOf(name, img);
    if (tag && !entry.tags.includes(tag)) entry.tags.push(tag);
  }
  const pack = tarPack();
  const done = pipeline(pack, out);
  try {
    await writeArchive(deps.content, pack, [...chosen.values()]);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
  await done;
}

/** The reference a name adds to the archive: the name itself when it is a tag of the image. */
function tagOf(name: string, img: CatalogImage): string | undefined {
  try {
    const ref = referenceString(withDefaultTag(parseReference(name)));
    return img.refs.has(ref) && !isDigestRef(ref) ? ref : undefined;
  } catch {
    return undefined; // an ID: no tag
  }
}

async function writeArchive(content: ContentStore, pack: Pack, images: Chosen[]): Promise<void> {
  const written = new Set<string>();
  const add = (name: string, data: Buffer) => {
    if (written.has(name)) return Promise.resolve();
    written.add(name);
    return new Promise<void>((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())));
  };
  for (const dir of ['blobs/', 'blobs/sha256/']) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: dir, type: 'directory', mode: 0o755, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve())));
  }
  const manifestJson: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  const index: OciDescriptor[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { img, tags } of images) {
    const configBytes = await content.readBlob(img.manifest.config.digest);
    await add(blobPath(img.manifest.config.digest), configBytes);
    const layers: OciDescriptor[] = [];
    for (let i = 0; i < img.manifest.layers.length; i++) {
      const diffId = img.config.rootfs.diff_ids[i];
      const size = await writeLayer(content, pack, img.manifest.layers[i], diffId, written);
      layers.push({ mediaType: MediaType.layerTar, digest: diffId, size });
    }
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: img.manifest.config.digest, size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256Digest(manifestBytes);
    await add(blobPath(manifestDigest), manifestBytes);
    const familiar = tags.map((t) => familiarString(parseReference(t)));
    manifestJson.push({ Config: blobPath(img.manifest.config.digest), RepoTags: familiar, Layers: layers.map((l) => blobPath(l.digest)) });
    const desc = { mediaType: MediaType.manifest, digest: manifestDigest, size: manifestBytes.length };
    if (tags.length === 0) index.push(desc);
    for (const t of tags) {
      const ref = parseReference(t);
      index.push({ ...desc, annotations: { 'io.containerd.image.name': t, [Annotation.refName]: ref.tag ?? 'latest' } });
      const repo = familiar[tags.indexOf(t)].replace(/:[^:/]+$/, '');
      const last = layers[layers.length - 1];
      if (last) (repositories[repo] ??= {})[ref.tag ?? 'latest'] = digestHex(last.digest);
    }
  }
  await add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await add('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.index, manifests: index })));
  await add('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  if (Object.keys(repositories).length > 0) await add('repositories', Buffer.from(JSON.stringify(repositories)));
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/**
 * Writes a layer as an uncompressed tar named by its diffID; returns its size.
 * A gzip blob is inflated twice: once to learn the size the tar header needs,
 * once to write it, so nothing is staged on disk.
 */
async function writeLayer(content: ContentStore, pack: Pack, layer: OciDescriptor, diffId: Digest, written: Set<string>): Promise<number> {
  const name = blobPath(diffId);
  const gzip = /gzip$/.test(layer.mediaType);
  let size: number;
  if (!gzip) size = await content.blobSize(layer.digest);
  else {
    size = 0;
    for await (const chunk of (await content.openBlob(layer.digest)).pipe(createGunzip()) as AsyncIterable<Buffer>) size += chunk.length;
  }
  if (written.has(name)) return size;
  written.add(name);
  const source = await content.openBlob(layer.digest);
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
    const input = gzip ? source.pipe(createGunzip()) : source;
    pipeline(input, entry).catch(reject);
  });
  return size;
}
