/** volume/: named volumes of the local driver. The folder's only entrance. */
export { VolumeService } from './service.js';
export type { VolumeServiceOptions } from './service.js';
export { ANONYMOUS_LABEL } from './types.js';
export type { CreateVolumeOptions, VolumeRecord, VolumeView } from './types.js';
export { directorySize } from './size.js';
