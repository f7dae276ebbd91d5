/**
 * `docker import`: one tarball becomes a one-layer image. The archive is
 * unpacked into a staging layer while its uncompressed bytes go to a pending
 * blob; only when the whole archive has been read and accepted do the blob, the
 * layer, the config, the manifest and the tag become visible.
 */
import type { ChainId, ImageId } from '../spec/ids.js';
import { MediaType, type OciImageConfig, type OciImageConfigFile } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import { invalidArgument } from '../util/errors.js';
import { parseReference, referenceString, withDefaultTag } from '../util/reference.js';
import type { Catalog } from './catalog.js';
import { recordImage } from './record.js';
import { applyChanges } from './changes.js';
import type { LayerStore } from './layers.js';
import type { ImportOptions } from './types.js';
import { unpackLayer } from './unpack.js';

export interface ImportDeps {
  content: ContentStore;
  layers: LayerStore;
  /** Runs `fn` under the service lock on a catalog clone, persists it and swaps it in. */
  mutate<T>(fn: (cat: Catalog) => Promise<T>): Promise<T>;
}

export async function importTarball(deps: ImportDeps, input: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImageId> {
  // Everything that can be checked without the data is checked before reading it.
  const ref = opts.reference ? importRef(opts.reference) : undefined;
  const execConfig: OciImageConfig = applyChanges({}, opts.changes ?? []);

  const staging = await deps.layers.stage();
  const blob = await deps.content.ingest();
  try {
    const unpacked = await unpackLayer(input, staging.diffDir, { tap: (chunk) => blob.write(chunk) });
    const created = nowRfc3339Nano();
    const comment = opts.message || `Imported from ${opts.source || '-'}`;
    const config: OciImageConfigFile = {
      created,
      ...hostPlatform(),
      config: execConfig,
      rootfs: { type: 'layers', diff_ids: [unpacked.diffId] },
      history: [{ created, created_by: '', comment }],
      comment,
    };
    return await deps.mutate(async (cat) => {
      const layerDigest = await blob.commit();
      const chainId = unpacked.diffId as string as ChainId;
      await staging.commit({ chainId, diffId: unpacked.diffId, parent: null, size: unpacked.size });
      return recordImage(deps.content, cat, { config, layers: [{ mediaType: MediaType.layerTar, digest: layerDigest, size: unpacked.tarSize }], ref, created });
    });
  } finally {
    await blob.abort();
    await staging.discard();
  }
}

/** The full reference an import is tagged with; digests cannot be chosen, only computed. */
function importRef(input: string): string {
  const ref = parseReference(input);
  if (ref.digest !== undefined) throw invalidArgument(`invalid reference "${input}": cannot import with a digest reference`);
  return referenceString(withDefaultTag(ref));
}

/**
 * The current time as RFC 3339 with nanoseconds, as Docker writes `created`.
 * The sub-millisecond digits come from the monotonic clock, so two imports of
 * the same tarball in one millisecond still get distinct configs (and IDs).
 */
function nowRfc3339Nano(): string {
  const ms = Date.now();
  const subMs = Number(process.hrtime.bigint() % 1_000_000n);
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, msDigits: string) => `.${msDigits}${String(subMs).padStart(6, '0')}Z`);
}

/** The platform of this host, in OCI terms. */
export function hostPlatform(): { architecture: string; os: string; variant?: string } {
  const arch: Record<string, { architecture: string; variant?: string }> = {
    x64: { architecture: 'amd64' },
    arm64: { architecture: 'arm64', variant: 'v8' },
    arm: { architecture: 'arm', variant: 'v7' },
    ia32: { architecture: '386' },
    ppc64: { architecture: 'ppc64le' },
    s390x: { architecture: 's390x' },
    riscv64: { architecture: 'riscv64' },
    mips64el: { architecture: 'mips64le' },
  };
  return { ...(arch[process.arch] ?? { architecture: process.arch }), os: 'linux' };
}
