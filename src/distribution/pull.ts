/**
 * `docker pull`: resolves a reference to one platform's manifest, fetches the
 * config and every missing layer blob in parallel into the content store (each
 * verified against its digest before it becomes visible), then hands the image
 * to the image store, which unpacks layers and sets the references last. A pull
 * that fails or is interrupted leaves at most complete, verified blobs behind
 * and no reference to anything incomplete.
 */
import type { Digest } from '../spec/ids.js';
import type { OciDescriptor, OciIndex, OciManifest } from '../spec/oci-image.js';
import { sha256Digest, type ContentStore } from '../store/index.js';
import { invalidArgument, notFound } from '../util/errors.js';
import { familiarString, parseReference, referenceString, repositoryName, withDefaultTag, type ImageReference } from '../util/reference.js';
import { RegistryClient } from './registry-client.js';
import type { PlatformWanted, ProgressSink, PullSink, RegistryCredentials } from './types.js';

const LIST_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
/** Layers fetched at once; more gains little on one link and costs file handles. */
const PARALLEL = 3;

export interface PullOptions {
  reference: string;
  platform?: string;
  credentials?: RegistryCredentials;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export interface PullDeps {
  content: ContentStore;
  sink: PullSink;
}

export async function pullImage(deps: PullDeps, o: PullOptions): Promise<{ id: string; digest: Digest }> {
  const ref = withDefaultTag(parseReference(o.reference));
  const wanted = parsePlatform(o.platform);
  const client = new RegistryClient(ref.domain, ref.path, o.credentials ?? {}, 'pull');
  const display = familiarString(ref);
  const top = await fetchManifest(client, ref.digest ?? ref.tag ?? 'latest', display, ref.digest);
  let manifestBytes = top.bytes;
  let manifestDigest = top.digest;
  const extra: Array<{ bytes: Buffer; digest: Digest }> = [];
  if (isList(top.mediaType, top.bytes)) {
    extra.push(top);
    const chosen = choosePlatform(JSON.parse(top.bytes.toString('utf8')) as OciIndex, wanted, display);
    const one = await fetchManifest(client, chosen.digest, display, chosen.digest);
    manifestBytes = one.bytes;
    manifestDigest = one.digest;
  }
  const manifest = parseImageManifest(manifestBytes, display);
  o.progress({ status: `Pulling from ${familiarPath(ref)}`, id: ref.digest ?? ref.tag });

  await fetchBlob(deps.content, client, manifest.config, undefined, o.signal);
  const layers = manifest.layers;
  for (const l of layers) o.progress({ status: (await deps.content.hasBlob(l.digest)) ? 'Already exists' : 'Pulling fs layer', id: shortId(l.digest) });
  await runLimited(layers, PARALLEL, (l) => fetchBlob(deps.content, client, l, o.progress, o.signal));
  for (const b of extra) await deps.content.writeBlob(b.bytes, { expected: b.digest });
  await deps.content.writeBlob(manifestBytes, { expected: manifestDigest });

  const references = [referenceString({ domain: ref.domain, path: ref.path, digest: top.digest })];
  if (!ref.digest && ref.tag) references.unshift(referenceString({ domain: ref.domain, path: ref.path, tag: ref.tag }));
  const lookup = referenceString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref);
  const before = await deps.sink.currentId(lookup);
  const { id } = await deps.sink.addPulled({
    manifestDigest,
    references,
    onExtract: (i, phase) => {
      const l = layers[i];
      if (l) o.progress({ status: phase === 'start' ? 'Extracting' : 'Pull complete', id: shortId(l.digest), ...(phase === 'start' && { progressDetail: { current: l.size, total: l.size } }) });
    },
  });
  o.progress({ status: `Digest: ${top.digest}` });
  o.progress({ status: before === id ? `Status: Image is up to date for ${display}` : `Status: Downloaded newer image for ${display}` });
  return { id, digest: top.digest };
}

/**
 * `docker pull --all-tags`: every tag of the repository, one after another,
 * each announced and finished as a pull of its own.
 */
export async function pullAllTags(deps: PullDeps, o: PullOptions): Promise<void> {
  const ref = parseReference(o.reference);
  if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument('tag can\'t be used with --all-tags/-a');
  const tags = await new RegistryClient(ref.domain, ref.path, o.credentials ?? {}, 'pull').tags();
  if (tags.length === 0) throw notFound(`${familiarString(ref)}: the repository has no tags`);
  for (const tag of tags) await pullImage(deps, { ...o, reference: referenceString({ domain: ref.domain, path: ref.path, tag }) });
}

async function fetchManifest(client: RegistryClient, reference: string, display: string, expected?: string): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }> {
  const got = await client.manifest(reference, display);
  const digest = sha256Digest(got.bytes);
  if (expected !== undefined && digest !== expected) {
    throw invalidArgument(`manifest verification failed for ${display}: the registry sent ${digest}, not ${expected}`);
  }
  return { bytes: got.bytes, mediaType: got.mediaType, digest };
}

function isList(mediaType: string, bytes: Buffer): boolean {
  if (LIST_TYPES.has(mediaType)) return true;
  if (IMAGE_TYPES.has(mediaType)) return false;
  const parsed = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown; mediaType?: string };
  return Array.isArray(parsed.manifests) || LIST_TYPES.has(parsed.mediaType ?? '');
}

function parseImageManifest(bytes: Buffer, display: string): OciManifest {
  let m: OciManifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as OciManifest;
  } catch {
    throw invalidArgument(`${display}: the registry sent a manifest that is not JSON`);
  }
  if (m.schemaVersion !== 2 || !m.config?.digest || !Array.isArray(m.layers)) {
    throw invalidArgument(`${display}: unsupported manifest (only Docker schema 2 and OCI image manifests can be pulled)`);
  }
  return m;
}

/** `linux/amd64[/variant]` → a platform; by default this host's. */
export function parsePlatform(input: string | undefined): PlatformWanted {
  if (!input) return hostPlatform();
  const [os, architecture, variant] = input.toLowerCase().split('/');
  if (!os || !architecture) throw invalidArgument(`invalid platform "${input}": expected os/arch[/variant]`);
  return { os, architecture: architecture === 'x86_64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture, ...(variant && { variant }) };
}

function hostPlatform(): PlatformWanted {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

function choosePlatform(index: OciIndex, want: PlatformWanted, display: string): OciDescriptor {
  const candidates = (index.manifests ?? []).filter((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  const exact = want.variant ? candidates.find((m) => m.platform?.variant === want.variant) : candidates.find((m) => !m.platform?.variant) ?? candidates[0];
  if (!exact) {
    const name = [want.os, want.architecture, want.variant].filter(Boolean).join('/');
    throw notFound(`no matching manifest for ${name} in the manifest list entries of ${display}`);
  }
  return exact;
}

/**
 * Fetches one blob unless the store has it, streaming it into a writer that
 * checks size and digest on commit. Progress goes to `progress` when given.
 */
async function fetchBlob(content: ContentStore, client: RegistryClient, desc: OciDescriptor, progress: ProgressSink | undefined, signal?: AbortSignal): Promise<void> {
  if (await content.hasBlob(desc.digest)) return;
  const id = shortId(desc.digest);
  const body = await client.blob(desc.digest, signal);
  const writer = await content.ingest({ expected: desc.digest, size: desc.size });
  try {
    let last = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      await writer.write(chunk);
      // About one progress line per 512 KiB: docker's bar, not a flood.
      if (progress && (last === 0 || writer.written - last >= 512 * 1024)) {
        last = writer.written;
        progress({ status: 'Downloading', id, progressDetail: { current: writer.written, total: desc.size }, progress: bar(writer.written, desc.size) });
      }
    }
    progress?.({ status: 'Verifying Checksum', id, progressDetail: {} });
    await writer.commit();
    progress?.({ status: 'Download complete', id, progressDetail: {} });
  } catch (err) {
    body.destroy();
    if ((err as Error).message?.startsWith('blob ')) throw invalidArgument(`${client.domain}/${client.path}: ${(err as Error).message} for ${desc.digest}`);
    throw err;
  } finally {
    await writer.abort();
  }
}

async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Docker's text bar: `[=====>      ]  1.2MB/3.4MB`. */
export function bar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const human = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`);
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}] ${human(current)}/${human(total)}`;
}

/** `library/busybox` for docker.io, `127.0.0.1:5000/x` shows as `x`, as docker prints it. */
function familiarPath(ref: ImageReference): string {
  return ref.domain === 'docker.io' ? ref.path : repositoryName(ref).slice(ref.domain.length + 1);
}
