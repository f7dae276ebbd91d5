/**
 * Adding an image whose blobs are already in the content store (pull, load):
 * reads and checks its manifest and config, unpacks the layers that are not
 * unpacked yet (bottom first), and only then records the image and sets its
 * references, so a reference never names an image that cannot run.
 */
import type { ChainId, Digest, ImageId } from '../spec/ids.js';
import type { OciImageConfigFile, OciManifest } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import { invalidArgument } from '../util/errors.js';
import { parseReference, referenceString } from '../util/reference.js';
import type { Catalog, CatalogImage } from './catalog.js';
import { chainIdsOf, type LayerStore } from './layers.js';

export interface AddStoredInput {
  manifestDigest: Digest;
  /** References to set; each is normalised (`x:1` → `docker.io/library/x:1`). */
  references: string[];
  /** Called as layer `index` (bottom first) starts and ends unpacking. */
  onExtract?: (index: number, phase: 'start' | 'done') => void;
}

export interface AddStoredDeps {
  content: ContentStore;
  layers: LayerStore;
  /** Unpacks layer `i` of `img` from its blob into the layer store. */
  unpack(img: CatalogImage, i: number, chains: ChainId[]): Promise<void>;
  mutate<T>(fn: (cat: Catalog) => Promise<T>): Promise<T>;
}

export async function addStoredImage(deps: AddStoredDeps, input: AddStoredInput): Promise<ImageId> {
  const references = input.references.map((r) => referenceString(parseReference(r)));
  const manifestBytes = await deps.content.readBlob(input.manifestDigest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as OciManifest;
  const config = JSON.parse((await deps.content.readBlob(manifest.config.digest)).toString('utf8')) as OciImageConfigFile;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw invalidArgument(`image ${manifest.config.digest}: the manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length}`);
  }
  const id = manifest.config.digest as string as ImageId;
  const img: CatalogImage = { id, manifestDigest: input.manifestDigest, manifestSize: manifestBytes.length, manifest, config, refs: new Map() };
  const chains = chainIdsOf(diffIds);
  for (let i = 0; i < chains.length; i++) {
    if (await deps.layers.present(chains[i])) continue;
    input.onExtract?.(i, 'start');
    await deps.unpack(img, i, chains);
    input.onExtract?.(i, 'done');
  }
  const at = new Date().toISOString();
  await deps.mutate(async (cat) => {
    cat.add({ id, manifestDigest: img.manifestDigest, manifestSize: img.manifestSize, manifest, config });
    for (const ref of references) cat.setRef(ref, id, at);
  });
  return id;
}
