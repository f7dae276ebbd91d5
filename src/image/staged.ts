/**
 * Layers unpacked while their blob is still arriving (pull). Each one is
 * extracted into its own staging directory and checked against the diffID the
 * image config names; nothing is visible until `commitStagedLayers`, which the
 * caller runs only after every blob verified. That flushes the filesystem once
 * for the whole batch (not once per file or per layer) and then renames each
 * layer into place. A failure or an interruption leaves staging directories
 * only, which `discard` (or the next start) deletes.
 */
import type { ChainId, Digest } from '../spec/ids.js';
import { invalidArgument } from '../util/errors.js';
import { chainIdsOf, syncFilesystem, type LayerStaging, type LayerStore } from './layers.js';
import { unpackLayer } from './unpack.js';

/** One unpacked, verified, not yet visible layer. */
export interface StagedLayer {
  readonly chainId: ChainId;
  /** Deletes the staging directory; a no-op once committed. */
  discard(): Promise<void>;
}

export interface StageLayerInput {
  /** The image's diffIDs, bottom first (from its config). */
  diffIds: readonly Digest[];
  /** Which layer `stream` is. */
  index: number;
  /** The layer blob's bytes (plain, gzip or zstd tar), as they arrive. */
  stream: AsyncIterable<Buffer>;
}

interface Staged extends StagedLayer {
  staging: LayerStaging;
  diffId: Digest;
  parent: ChainId | null;
  size: number;
}

/** True when layer `index` of an image with these diffIDs is unpacked already. */
export function layerPresent(layers: LayerStore, diffIds: readonly Digest[], index: number): Promise<boolean> {
  return layers.present(chainIdsOf(diffIds.slice(0, index + 1))[index]);
}

/**
 * Unpacks `input.stream` into a new staging directory. Resolves once the stream
 * ended and the tar's sha256 equals the expected diffID; a hostile or broken
 * archive, or another diffID, rejects and leaves nothing behind.
 */
export async function stageLayer(layers: LayerStore, input: StageLayerInput): Promise<StagedLayer> {
  const chains = chainIdsOf(input.diffIds.slice(0, input.index + 1));
  const diffId = input.diffIds[input.index];
  if (diffId === undefined) throw invalidArgument(`the image config names no diffID for layer ${input.index}`);
  const staging = await layers.stage();
  try {
    const result = await unpackLayer(input.stream, staging.diffDir);
    if (result.diffId !== diffId) throw invalidArgument(`layer ${input.index} unpacks to ${result.diffId}, but the image config expects ${diffId}`);
    const staged: Staged = {
      chainId: chains[input.index],
      staging,
      diffId,
      parent: input.index > 0 ? chains[input.index - 1] : null,
      size: result.size,
      discard: () => staging.discard(),
    };
    return staged;
  } catch (err) {
    await staging.discard();
    throw err;
  }
}

/**
 * Makes staged layers visible: one filesystem flush, then one rename each.
 * `replace` runs under the image store's lock around each rename (it drops
 * metadata of a layer whose files went missing). Layers from another store
 * than `layers` are refused.
 */
export async function commitStagedLayers(
  layers: LayerStore,
  staged: readonly StagedLayer[],
  locked: (fn: () => Promise<void>) => Promise<void>,
): Promise<void> {
  if (staged.length === 0) return;
  await syncFilesystem(layers.root);
  for (const s of staged as readonly Staged[]) {
    if (!s.staging) throw new Error('not a layer staged by this store');
    await locked(async () => {
      if (layers.has(s.chainId) && !(await layers.present(s.chainId))) await layers.remove(s.chainId);
      await s.staging.commit({ chainId: s.chainId, diffId: s.diffId, parent: s.parent, size: s.size }, { synced: true });
    });
  }
}
