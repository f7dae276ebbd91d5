/**
 * Layers made in place, for the builder: a staging directory is handed to the
 * caller (who fills it, typically as an overlay upper dir while a build step
 * runs), then written once as a tar into the content store while its digest
 * (the diffID) is computed, and committed to the layer store as it is, with no
 * unpack round trip. The directory keeps overlayfs's native whiteouts, which is
 * the form unpacked layers have, so it is a valid lower dir from then on.
 */
import type { ChainId, Digest } from '../spec/ids.js';
import { MediaType, type OciDescriptor } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import { createHash } from 'node:crypto';
import { sha256Digest } from '../store/index.js';
import type { LayerStore } from './layers.js';
import { treeTar } from './layer-tar.js';
import { log } from '../util/log.js';

const ms = (x: number): number => Math.round(x * 10) / 10;

export interface NewLayerOptions {
  /** The chain this layer goes on; null for a bottom layer. */
  parent: ChainId | null;
  /** Fills the empty diff directory; the layer is discarded when it throws. */
  fill(diffDir: string): Promise<void>;
  /** Entry times later than this (seconds since the epoch) are written as it: SOURCE_DATE_EPOCH. */
  clampMtime?: number;
}

export interface BuiltLayer {
  chainId: ChainId;
  diffId: Digest;
  /** The uncompressed tar in the content store. */
  descriptor: OciDescriptor;
  /** Bytes of file content and symlink targets. */
  size: number;
}

export async function newLayer(deps: { content: ContentStore; layers: LayerStore }, o: NewLayerOptions): Promise<BuiltLayer> {
  const t0 = performance.now();
  const staging = await deps.layers.stage();
  try {
    await o.fill(staging.diffDir);
    const t1 = performance.now();
    const blob = await deps.content.ingest();
    try {
      const hash = createHash('sha256');
      const stats = { size: 0 };
      for await (const chunk of treeTar(staging.diffDir, { layer: true, clampMtime: o.clampMtime, stats })) {
        hash.update(chunk as Buffer);
        await blob.write(chunk as Buffer);
      }
      const diffId = `sha256:${hash.digest('hex')}` as Digest;
      const tarSize = blob.written;
      const t2 = performance.now();
      const digest = await blob.commit();
      const t3 = performance.now();
      const chainId = (o.parent === null ? diffId : sha256Digest(`${o.parent} ${diffId}`)) as string as ChainId;
      await staging.commit({ chainId, diffId, parent: o.parent, size: stats.size });
      log.debug('build layer', { fillMs: ms(t1 - t0), tarMs: ms(t2 - t1), blobMs: ms(t3 - t2), commitMs: ms(performance.now() - t3) });
      return { chainId, diffId, descriptor: { mediaType: MediaType.layerTar, digest, size: tarSize }, size: stats.size };
    } finally {
      await blob.abort();
    }
  } finally {
    await staging.discard();
  }
}
