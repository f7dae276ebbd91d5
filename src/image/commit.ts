/**
 * `docker commit`: a container's overlay upper dir becomes one new layer on top
 * of its image. The upper dir is written as a tar (whiteouts in OCI form, see
 * layer-tar.ts) that is at once stored as a blob and unpacked into a staging
 * layer, exactly as an import is; the config is the parent's with `--change`
 * instructions applied and one history entry added. Nothing is visible until
 * the catalog takes the new image.
 */
import type { ChainId, ImageId } from '../spec/ids.js';
import { MediaType, type OciImageConfigFile } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import { invalidArgument } from '../util/errors.js';
import { parseReference, referenceString, withDefaultTag } from '../util/reference.js';
import type { Catalog, CatalogImage } from './catalog.js';
import { recordImage } from './record.js';
import { applyChanges } from './changes.js';
import { chainIdsOf, type LayerStore } from './layers.js';
import { treeTar } from './layer-tar.js';
import type { CommitInput } from './types.js';
import { unpackLayer } from './unpack.js';

/** Paths the runtime mounts over; empty placeholders of them in the upper dir are no change. */
const RUNTIME_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys', '/dev', '/dev/shm', '/dev/mqueue', '/dev/pts']);

/** CommitInput with the parent image already looked up. */
export type CommitOptions = Omit<CommitInput, 'parentId'> & { parent: CatalogImage };

export interface CommitDeps {
  content: ContentStore;
  layers: LayerStore;
  mutate<T>(fn: (cat: Catalog) => Promise<T>): Promise<T>;
}

export async function commitContainer(deps: CommitDeps, o: CommitOptions): Promise<ImageId> {
  const ref = o.reference ? referenceString(withDefaultTag(parseReference(o.reference))) : undefined;
  if (ref?.includes('@')) throw invalidArgument('refusing to create a tag with a digest reference');
  const parentConfig = o.parent.config;
  const execConfig = applyChanges(o.config ?? parentConfig.config ?? {}, o.changes ?? []);
  const staging = await deps.layers.stage();
  const blob = await deps.content.ingest();
  try {
    const tar = treeTar(o.upperDir, { layer: true, skipEmpty: new Set([...RUNTIME_PATHS, ...(o.mountPoints ?? [])]) });
    const unpacked = await unpackLayer(tar, staging.diffDir, { tap: (chunk) => blob.write(chunk) });
    const created = new Date().toISOString();
    const diffIds = [...parentConfig.rootfs.diff_ids, unpacked.diffId];
    const config: OciImageConfigFile = {
      ...parentConfig,
      created,
      ...(o.author && { author: o.author }),
      ...(o.comment !== undefined && { comment: o.comment }),
      config: execConfig,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [...(parentConfig.history ?? []), { created, created_by: '', ...(o.author && { author: o.author }), ...(o.comment && { comment: o.comment }) }],
    };
    if (!o.comment) delete config.comment;
    const chains = chainIdsOf(diffIds);
    return await deps.mutate(async (cat) => {
      const layerDigest = await blob.commit();
      const chainId = chains[chains.length - 1] as ChainId;
      await staging.commit({ chainId, diffId: unpacked.diffId, parent: chains.length > 1 ? chains[chains.length - 2] : null, size: unpacked.size });
      return recordImage(deps.content, cat, { config, layers: [...o.parent.manifest.layers, { mediaType: MediaType.layerTar, digest: layerDigest, size: unpacked.tarSize }], ref, created });
    });
  } finally {
    await blob.abort();
    await staging.discard();
  }
}
