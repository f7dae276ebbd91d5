/**
 * store/: content-addressed blobs and the small concurrency helpers the services
 * built on them share. The folder's only entrance.
 */
export {
  openContentStore,
  type BlobDeleter,
  type BlobIngester,
  type BlobReader,
  type BlobWriter,
  type ContentStore,
  type IngestOptions,
} from './content.js';
export { digestHex, isDigest, parseDigest, sha256Digest } from './digest.js';
export { AsyncMutex } from './mutex.js';
