/**
 * `docker push`: sends a local image's layers (gzip-compressed), config and
 * manifest to a registry. Layers the local store keeps uncompressed are
 * compressed once; the compressed blob stays in the content store and a small
 * cache file maps the uncompressed digest to it, so later pushes send the same
 * bytes and the same manifest digest. Blobs the registry has are not sent (HEAD
 * first); a blob the repository lacks but the registry holds under another
 * repository is mounted when the registry allows.
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
import { invalidArgument } from '../util/errors.js';
import { parseReference, repositoryName, withDefaultTag, familiarName } from '../util/reference.js';
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
}

export async function pushImage(deps: PushDeps, o: PushOptions): Promise<{ digest: Digest; size: number }> {
  const ref = withDefaultTag(parseReference(o.reference));
  if (ref.digest !== undefined) throw invalidArgument(`cannot push a digest reference: ${o.reference}`);
  const tag = ref.tag ?? 'latest';
  const local = await deps.source.resolve(`${repositoryName(ref)}:${tag}`);
  const manifest = JSON.parse((await deps.content.readBlob(local.manifestDigest)).toString('utf8')) as OciManifest;
  const client = new RegistryClient(ref.domain, ref.path, o.credentials ?? {}, 'pull,push');
  o.progress({ status: `The push refers to repository [${familiarName(ref)}]` });
  const docker = manifest.mediaType === MediaType.dockerManifest;
  const layers = [...manifest.layers].reverse(); // docker lists the top layer first
  for (const l of layers) o.progress({ status: 'Preparing', id: shortId(l.digest), progressDetail: {} });
  const pushed = new Map<Digest, OciDescriptor>();
  for (const l of layers) {
    const gz = await compressed(deps, l, docker);
    pushed.set(l.digest, gz);
    const id = shortId(l.digest);
    if (await client.hasBlob(gz.digest)) {
      o.progress({ status: 'Layer already exists', id, progressDetail: {} });
      continue;
    }
    o.progress({ status: 'Pushing', id, progressDetail: { current: 0, total: gz.size }, progress: bar(0, gz.size) });
    await client.uploadBlob(gz.digest, gz.size, () => deps.content.openBlob(gz.digest));
    o.progress({ status: 'Pushing', id, progressDetail: { current: gz.size, total: gz.size }, progress: bar(gz.size, gz.size) });
    o.progress({ status: 'Pushed', id, progressDetail: {} });
  }
  const config = manifest.config;
  if (!(await client.hasBlob(config.digest))) await client.uploadBlob(config.digest, config.size, () => deps.content.openBlob(config.digest));
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
  o.progress({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
  o.progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: bytes.length } });
  return { digest, size: bytes.length };
}

interface CacheEntry {
  digest: Digest;
  size: number;
}

/**
 * The gzip-compressed descriptor for a layer: the layer itself when it already
 * is gzip, else the cached compressed blob, else a new one made now.
 */
async function compressed(deps: PushDeps, layer: OciDescriptor, docker: boolean): Promise<OciDescriptor> {
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
