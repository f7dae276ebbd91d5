/**
 * `docker push`: sends a local image's layers (gzip-compressed), config and
 * manifest to a registry. Layers the local store keeps uncompressed are
 * compressed once; the compressed blob stays in the content store and a small
 * cache file maps the uncompressed digest to it, so later pushes send the same
 * bytes and the same manifest digest. Blobs the registry has are not sent (HEAD
 * first); a blob the repository lacks but that was pulled from or pushed to
 * another repository on the same registry is mounted from there
 * (`POST …/blobs/uploads/?mount=&from=`), and uploaded when the registry
 * declines. Foreign (non-distributable) layers are skipped, as docker does.
 * After the manifest is up, its digest is recorded as one of the image's
 * RepoDigests.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Digest } from '../spec/ids.js';
import { MediaType, type OciDescriptor, type OciManifest } from '../spec/oci-image.js';
import { digestHex, sha256Digest, type ContentStore } from '../store/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { invalidArgument, notFound } from '../util/errors.js';
import { familiarName, parseReference, referenceString, repositoryName, withDefaultTag } from '../util/reference.js';
import type { BlobSource, BlobSources } from './blob-sources.js';
import type { RegistryHosts } from './registry-hosts.js';
import { bar, shortId } from './layer-fetch.js';
import { RegistryClient } from './registry-client.js';
import type { ProgressSink, PushSource, RegistryCredentials } from './types.js';

export interface PushOptions {
  reference: string;
  credentials?: RegistryCredentials;
  progress: ProgressSink;
}

export interface PushDeps {
  content: ContentStore;
  source: PushSource;
  /** Directory for the uncompressed → compressed digest map. */
  cacheDir: string;
  /** Which repositories blobs are known to be in (for cross-repository mounts). */
  sources: BlobSources;
  /** How registries are reached (mirrors are for pulls only). */
  hosts: RegistryHosts;
}

/** Layers a registry is not meant to hold (docker's foreign layers): kept in the manifest, never uploaded. */
const NON_DISTRIBUTABLE = /^application\/vnd\.(docker\.image\.rootfs\.foreign\.diff\.tar(\.gzip)?|oci\.image\.layer\.nondistributable\.v1\.tar(\+gzip|\+zstd)?)$/;

/**
 * `docker push -a` (or the API without a tag): every local tag of the
 * repository, one after another, each a push of its own.
 */
export async function pushAllTags(deps: PushDeps, o: PushOptions): Promise<void> {
  const ref = parseReference(o.reference);
  if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument('tag can\'t be used with --all-tags/-a');
  const tags = await deps.source.tags(repositoryName(ref));
  if (tags.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  for (const tag of tags) await pushImage(deps, { ...o, reference: referenceString({ domain: ref.domain, path: ref.path, tag }) });
}

export async function pushImage(deps: PushDeps, o: PushOptions): Promise<{ digest: Digest; size: number }> {
  const ref = withDefaultTag(parseReference(o.reference));
  if (ref.digest !== undefined) throw invalidArgument(`cannot push a digest reference: ${o.reference}`);
  const tag = ref.tag ?? 'latest';
  const local = await deps.source.resolve(`${repositoryName(ref)}:${tag}`);
  const manifest = JSON.parse((await deps.content.readBlob(local.manifestDigest)).toString('utf8')) as OciManifest;
  const client = new RegistryClient(deps.hosts.registry(ref.domain), ref.path, o.credentials ?? {}, 'pull,push');
  const here = { registry: ref.domain, repository: ref.path };
  o.progress({ status: `The push refers to repository [${familiarName(ref)}]` });
  const docker = manifest.mediaType === MediaType.dockerManifest;
  const layers = [...manifest.layers].reverse(); // docker lists the top layer first
  for (const l of layers) o.progress({ status: 'Preparing', id: shortId(l.digest), progressDetail: {} });
  const pushed = new Map<Digest, OciDescriptor>();
  for (const l of layers) {
    const id = shortId(l.digest);
    if (NON_DISTRIBUTABLE.test(l.mediaType)) {
      o.progress({ status: 'Skipped foreign layer', id, progressDetail: {} });
      continue;
    }
    const blob = await wireLayer(deps, l, docker);
    pushed.set(l.digest, blob);
    const outcome = await sendBlob(deps, client, blob, here, (m) => o.progress({ ...m, id }));
    o.progress({ status: outcome, id, progressDetail: {} });
  }
  const config = manifest.config;
  await sendBlob(deps, client, config, here, () => undefined);
  const out: OciManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.manifest,
    config: { mediaType: docker ? MediaType.dockerConfig : MediaType.config, digest: config.digest, size: config.size },
    layers: manifest.layers.map((l) => pushed.get(l.digest) ?? l),
    ...(manifest.annotations && { annotations: manifest.annotations }),
  };
  const bytes = Buffer.from(JSON.stringify(out, null, 3));
  const digest = sha256Digest(bytes);
  await client.putManifest(tag, out.mediaType ?? MediaType.manifest, bytes);
  await deps.content.writeBlob(bytes, { expected: digest });
  // As docker: the pushed manifest's digest becomes one of the image's RepoDigests.
  await deps.source.recordPushed(referenceString({ domain: ref.domain, path: ref.path, digest }), local.id);
  o.progress({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
  o.progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: bytes.length } });
  return { digest, size: bytes.length };
}

/**
 * Gets one blob into the repository by the cheapest way that works: nothing
 * when the repository has it, a cross-repository mount when another
 * repository on the registry is known to hold it, else an upload. Returns
 * docker's word for what happened.
 */
async function sendBlob(deps: PushDeps, client: RegistryClient, blob: OciDescriptor, here: BlobSource, progress: ProgressSink): Promise<string> {
  if (await client.hasBlob(blob.digest)) {
    await deps.sources.add([blob.digest], here);
    return 'Layer already exists';
  }
  const from = await deps.sources.mountCandidate(blob.digest, here.registry, here.repository);
  if (from !== undefined) {
    if ((await client.uploadBlob(blob.digest, blob.size, () => deps.content.openBlob(blob.digest), from)) === 'mounted') {
      await deps.sources.add([blob.digest], here);
      return `Mounted from ${from}`;
    }
  } else {
    progress({ status: 'Pushing', progressDetail: { current: 0, total: blob.size }, progress: bar(0, blob.size) });
    await client.uploadBlob(blob.digest, blob.size, () => deps.content.openBlob(blob.digest));
  }
  progress({ status: 'Pushing', progressDetail: { current: blob.size, total: blob.size }, progress: bar(blob.size, blob.size) });
  await deps.sources.add([blob.digest], here);
  return 'Pushed';
}

interface CacheEntry {
  digest: Digest;
  size: number;
}

/**
 * The descriptor a layer is pushed as: the layer itself when it already is
 * gzip or zstd, else the cached gzip-compressed blob, else a new one made now.
 */
async function wireLayer(deps: PushDeps, layer: OciDescriptor, docker: boolean): Promise<OciDescriptor> {
  if (/zstd$/.test(layer.mediaType)) return { mediaType: MediaType.layerZstd, digest: layer.digest, size: layer.size };
  const mediaType = docker ? MediaType.dockerLayerGzip : MediaType.layerGzip;
  if (/gzip$/.test(layer.mediaType)) return { ...layer, mediaType };
  const cacheFile = join(deps.cacheDir, digestHex(layer.digest));
  try {
    const entry = JSON.parse(await readFile(cacheFile, 'utf8')) as CacheEntry;
    if (await deps.content.hasBlob(entry.digest)) return { mediaType, digest: entry.digest, size: entry.size };
  } catch {
    // no usable cache entry: compress below
  }
  const writer = await deps.content.ingest();
  try {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        writer.write(chunk).then(() => cb(), cb);
      },
    });
    await pipeline(await deps.content.openBlob(layer.digest), createGzip(), sink);
    const size = writer.written;
    const digest = await writer.commit();
    await mkdir(deps.cacheDir, { recursive: true });
    await writeJsonAtomic(cacheFile, { digest, size } satisfies CacheEntry);
    return { mediaType, digest, size };
  } finally {
    await writer.abort();
  }
}
