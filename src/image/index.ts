/**
 * image/: the local image store — images as OCI manifests and configs in the
 * content store, tags in the layout's index.json, layers unpacked once under
 * `layers/` and mounted with overlayfs. The folder's only entrance.
 */
export { openImageService } from './service.js';
export { mountOverlay, unmountOverlay, type OverlayMount } from './overlay.js';
export { applyChanges, CHANGE_INSTRUCTIONS } from './changes.js';
export { chainIdsOf } from './layers.js';
export type { AddStoredInput } from './ingest.js';
export type { StageLayerInput, StagedLayer } from './staged.js';
export { treeTar } from './layer-tar.js';
export { readTarEntries, TarFormatError, type TarEntry } from './tar-entries.js';
export type { BuiltLayer, NewLayerOptions } from './build-layer.js';
export type {
  CommitInput,
  ImageRecord,
  ImageService,
  ImageServiceOptions,
  ImportOptions,
  InUse,
  InUseLookup,
  ListOptions,
  RemoveOptions,
} from './types.js';
