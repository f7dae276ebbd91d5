/**
 * `GET /distribution/{name}/json`: what a registry holds for a reference,
 * without pulling it — the top manifest's descriptor and the platforms it
 * serves (each entry of a list, or the one image's config platform).
 */
import type { OciIndex, OciManifest } from '../spec/oci-image.js';
import { sha256Digest } from '../store/index.js';
import { invalidArgument } from '../util/errors.js';
import { familiarString, parseReference, withDefaultTag } from '../util/reference.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryHosts } from './registry-hosts.js';
import type { RegistryCredentials } from './types.js';

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number; urls?: string[] };
  Platforms: Array<{ architecture: string; os: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] }>;
}

export async function inspectDistribution(hosts: RegistryHosts, reference: string, creds: RegistryCredentials): Promise<DistributionInspect> {
  const ref = withDefaultTag(parseReference(reference));
  const display = familiarString(ref);
  const client = new RegistryClient(hosts.registry(ref.domain), ref.path, creds, 'pull');
  const got = await client.manifest(ref.digest ?? ref.tag ?? 'latest', display);
  const digest = sha256Digest(got.bytes);
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw invalidArgument(`manifest verification failed for ${display}: the registry sent ${digest}, not ${ref.digest}`);
  }
  let parsed: OciManifest & OciIndex & { mediaType?: string };
  try {
    parsed = JSON.parse(got.bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw invalidArgument(`${display}: the registry sent a manifest that is not JSON`);
  }
  const mediaType = got.mediaType || parsed.mediaType || '';
  const descriptor = { mediaType, digest, size: got.bytes.length };
  if (Array.isArray(parsed.manifests)) {
    const platforms = parsed.manifests.flatMap((m) => (m.platform ? [m.platform as DistributionInspect['Platforms'][number]] : []));
    return { Descriptor: descriptor, Platforms: platforms };
  }
  if (!parsed.config?.digest) throw invalidArgument(`${display}: unsupported manifest (only Docker schema 2 and OCI manifests)`);
  const body = await client.blob(parsed.config.digest);
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  const configBytes = Buffer.concat(chunks);
  if (sha256Digest(configBytes) !== parsed.config.digest) throw invalidArgument(`${display}: the image config does not match its digest ${parsed.config.digest}`);
  const config = JSON.parse(configBytes.toString('utf8')) as { architecture?: string; os?: string; variant?: string };
  return {
    Descriptor: descriptor,
    Platforms: [{ architecture: config.architecture ?? '', os: config.os ?? '', ...(config.variant && { variant: config.variant }) }],
  };
}
