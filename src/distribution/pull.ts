/**
 * `docker pull`: resolves a reference to one platform's manifest, fetches the
 * config, then downloads every missing layer blob in parallel, unpacking each
 * while it downloads (layer-fetch.ts). Blobs become visible once their digest
 * verified; unpacked layers once every blob verified and each tar matched its
 * diffID; the image and its references last. A pull that fails or is
 * interrupted leaves at most complete, verified blobs behind, and no layer or
 * reference to anything incomplete; the next pull fetches only what is missing.
 */
import type { Digest } from '../spec/ids.js';
import type { OciDescriptor, OciIndex, OciManifest } from '../spec/oci-image.js';
import { isDigest, sha256Digest, type ContentStore } from '../store/index.js';
import { invalidArgument, messageOf, notFound } from '../util/errors.js';
import { log } from '../util/log.js';
import { familiarString, parseReference, referenceString, repositoryName, withDefaultTag, type ImageReference } from '../util/reference.js';
import type { BlobSources } from './blob-sources.js';
import type { RegistryHosts } from './registry-hosts.js';
import { fetchLayer, fetchSmallBlob, runLimited, shortId, type LayerJob } from './layer-fetch.js';
import { RegistryClient } from './registry-client.js';
import type { PlatformWanted, ProgressSink, PullSink, RegistryCredentials, StagedLayer } from './types.js';

const LIST_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
/** Layers fetched and unpacked at once; more gains little on one link and costs file handles. */
const PARALLEL = 4;

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
  /** Remembers which repository the blobs came from (for cross-repository mounts on push). */
  sources: BlobSources;
  /** How registries and their mirrors are reached. */
  hosts: RegistryHosts;
}

export async function pullImage(deps: PullDeps, o: PullOptions): Promise<{ id: string; digest: Digest }> {
  const ref = withDefaultTag(parseReference(o.reference));
  const wanted = parsePlatform(o.platform);
  const display = familiarString(ref);
  const { client, top } = await firstAnswering(deps.hosts, ref, o.credentials ?? {}, display);
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

  await fetchSmallBlob({ content: deps.content, client, signal: o.signal }, manifest.config);
  const diffIds = configDiffIds(await deps.content.readBlob(manifest.config.digest), manifest, display);
  const layers = manifest.layers;
  const jobs: LayerJob[] = [];
  for (let index = 0; index < layers.length; index++) {
    const desc = layers[index];
    const job = { desc, index, needBlob: !(await deps.content.hasBlob(desc.digest)), needUnpack: !(await deps.sink.layerPresent(diffIds, index)) };
    jobs.push(job);
    o.progress({ status: job.needBlob || job.needUnpack ? 'Pulling fs layer' : 'Already exists', id: shortId(desc.digest) });
  }
  // Every layer downloads and unpacks at once, each into hidden staging; they
  // become visible together, after every blob verified.
  const staged: StagedLayer[] = [];
  const ctx = { content: deps.content, client, sink: deps.sink, diffIds, progress: o.progress, signal: o.signal };
  try {
    await runLimited(jobs.filter((j) => j.needBlob || j.needUnpack), PARALLEL, async (job) => {
      const s = await fetchLayer(ctx, job);
      if (s) staged.push(s);
      if (job.needUnpack) o.progress({ status: 'Extracting', id: shortId(job.desc.digest), progressDetail: { current: job.desc.size, total: job.desc.size } });
    });
    await deps.sink.commitLayers(staged);
  } finally {
    for (const s of staged) await s.discard();
  }
  for (const job of jobs) if (job.needBlob || job.needUnpack) o.progress({ status: 'Pull complete', id: shortId(job.desc.digest), progressDetail: {} });
  for (const b of extra) await deps.content.writeBlob(b.bytes, { expected: b.digest });
  await deps.content.writeBlob(manifestBytes, { expected: manifestDigest });

  const references = [referenceString({ domain: ref.domain, path: ref.path, digest: top.digest })];
  if (!ref.digest && ref.tag) references.unshift(referenceString({ domain: ref.domain, path: ref.path, tag: ref.tag }));
  const lookup = referenceString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref);
  const before = await deps.sink.currentId(lookup);
  const { id } = await deps.sink.addPulled({ manifestDigest, references });
  await deps.sources.add([manifest.config.digest, ...layers.map((l) => l.digest)], { registry: ref.domain, repository: ref.path });
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
  const tags = await new RegistryClient(deps.hosts.registry(ref.domain), ref.path, o.credentials ?? {}, 'pull').tags();
  if (tags.length === 0) throw notFound(`${familiarString(ref)}: the repository has no tags`);
  for (const tag of tags) await pullImage(deps, { ...o, reference: referenceString({ domain: ref.domain, path: ref.path, tag }) });
}

/**
 * The reference's manifest from the first endpoint that has it: the mirrors
 * (anonymously), then the registry. A mirror that fails in any way is passed
 * over; the registry's own error is the one reported. The endpoint that
 * answered serves the rest of the pull.
 */
async function firstAnswering(
  hosts: RegistryHosts,
  ref: ImageReference,
  creds: RegistryCredentials,
  display: string,
): Promise<{ client: RegistryClient; top: { bytes: Buffer; mediaType: string; digest: Digest } }> {
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  for (const ep of hosts.pullEndpoints(ref.domain)) {
    const client = new RegistryClient(ep, ref.path, ep.mirror ? {} : creds, 'pull');
    try {
      return { client, top: await fetchManifest(client, wanted, display, ref.digest) };
    } catch (err) {
      if (!ep.mirror) throw err;
      log.debug('registry mirror passed over', { mirror: ep.base, reference: display, error: messageOf(err) });
    }
  }
  throw new Error('unreachable: the registry is always the last endpoint');
}

async function fetchManifest(client: RegistryClient, reference: string, display: string, expected?: string): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }> {
  const got = await client.manifest(reference, display);
  const digest = sha256Digest(got.bytes);
  if (expected !== undefined && digest !== expected) {
    throw invalidArgument(`manifest verification failed for ${display}: the registry sent ${digest}, not ${expected}`);
  }
  // The registry names the digest of what it sends; bytes that hash otherwise were damaged or swapped.
  if (expected === undefined && got.digest?.startsWith('sha256:') && got.digest !== digest) {
    throw invalidArgument(`manifest verification failed for ${display}: ${client.domain} says ${got.digest}, the bytes are ${digest}`);
  }
  return { bytes: got.bytes, mediaType: got.mediaType, digest };
}

function isList(mediaType: string, bytes: Buffer): boolean {
  if (LIST_TYPES.has(mediaType)) return true;
  if (IMAGE_TYPES.has(mediaType)) return false;
  let parsed: { manifests?: unknown; mediaType?: string };
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
  } catch {
    return false; // parseImageManifest words the error
  }
  return Array.isArray(parsed?.manifests) || LIST_TYPES.has(parsed?.mediaType ?? '');
}

/** The config's diffIDs, one per manifest layer, each a valid sha256 digest. */
function configDiffIds(bytes: Buffer, manifest: OciManifest, display: string): Digest[] {
  let config: { rootfs?: { diff_ids?: unknown } };
  try {
    config = JSON.parse(bytes.toString('utf8')) as typeof config;
  } catch {
    throw invalidArgument(`${display}: the image config is not JSON`);
  }
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== manifest.layers.length || !ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalidArgument(`${display}: the image config lists ${Array.isArray(ids) ? ids.length : 'no'} diffIDs for ${manifest.layers.length} layers`);
  }
  return ids as Digest[];
}

function parseImageManifest(bytes: Buffer, display: string): OciManifest {
  let m: OciManifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as OciManifest;
  } catch {
    throw invalidArgument(`${display}: the registry sent a manifest that is not JSON`);
  }
  if (m?.schemaVersion !== 2 || !m.config?.digest || !Array.isArray(m.layers)) {
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

/** `library/busybox` for docker.io, `127.0.0.1:5000/x` shows as `x`, as docker prints it. */
function familiarPath(ref: ImageReference): string {
  return ref.domain === 'docker.io' ? ref.path : repositoryName(ref).slice(ref.domain.length + 1);
}
