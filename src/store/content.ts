/**
 * The content store: immutable blobs addressed by digest, laid out as in an OCI
 * image layout (`<root>/blobs/sha256/<hex>`). One writer serves pull, load,
 * build and the registry alike.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../spec/ids.js';
import { syncDir, isTempName } from '../util/atomic.js';
import { hasCode, invalidArgument, notFound } from '../util/errors.js';
import { digestHex, parseDigest } from './digest.js';

/**
 * Read access to committed blobs. A blob is visible only once completely written
 * and verified, and never changes afterwards; readers need no locking.
 * Methods that need the blob raise NotFound when it is absent.
 */
export interface BlobReader {
  hasBlob(digest: Digest): Promise<boolean>;
  blobSize(digest: Digest): Promise<number>;
  /** A stream of the blob's bytes; the caller consumes or destroys it. */
  openBlob(digest: Digest): Promise<Readable>;
  /** The whole blob in memory: for manifests and configs, never for layers. */
  readBlob(digest: Digest): Promise<Buffer>;
}

export interface IngestOptions {
  /** When given, commit fails unless the content has this digest. */
  expected?: Digest;
  /** When given, writing past it or committing short of it fails. */
  size?: number;
}

/**
 * One blob being written. Lifecycle:
 *
 *   const w = await store.ingest({ expected, size }); // opens a private temp file
 *   await w.write(chunk); ...                          // hashed as it is written
 *   const digest = await w.commit();                   // fsync, verify, link into place, fsync dir
 *
 * or `await w.abort()` to drop it. Before commit nothing is visible to readers.
 * A failed write or commit (size or digest mismatch) aborts the writer itself and
 * rethrows; `abort` after any outcome is a harmless no-op, so callers may always
 * call it in a `finally`. Committing content that is already stored succeeds.
 * A writer is not safe for concurrent `write` calls: await each one.
 */
export interface BlobWriter {
  /** Bytes written so far. */
  readonly written: number;
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<Digest>;
  abort(): Promise<void>;
}

/** Starts blob writes. Many writers may be open at once, even for the same digest. */
export interface BlobIngester {
  ingest(opts?: IngestOptions): Promise<BlobWriter>;
}

/**
 * Removes blobs. Deleting a blob some image still references breaks that image:
 * only the owner of the references (the image service, under its lock) calls it.
 */
export interface BlobDeleter {
  /** True when a blob was removed, false when there was none. */
  deleteBlob(digest: Digest): Promise<boolean>;
}

export interface ContentStore extends BlobReader, BlobIngester, BlobDeleter {
  /** The directory holding `blobs/`. */
  readonly root: string;
  /** Ingests a small in-memory blob in one step. */
  writeBlob(data: string | Uint8Array, opts?: IngestOptions): Promise<Digest>;
}

/**
 * Opens (creating if needed) the content store under `root`. Deletes temp files a
 * crash left behind, so open each root once per process, before any write.
 */
export async function openContentStore(root: string): Promise<ContentStore> {
  const store = new LocalContentStore(root);
  await store.init();
  return store;
}

class LocalContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly tempDir: string;

  constructor(root: string) {
    this.root = root;
    this.tempDir = join(root, 'blobs');
    this.blobDir = join(root, 'blobs', 'sha256');
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    for (const dir of [this.tempDir, this.blobDir]) {
      for (const name of await readdir(dir)) {
        if (isTempName(name)) await rm(join(dir, name), { force: true, recursive: true });
      }
    }
  }

  private pathOf(digest: Digest): string {
    return join(this.blobDir, digestHex(parseDigest(digest)));
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async blobSize(digest: Digest): Promise<number> {
    try {
      return (await stat(this.pathOf(digest))).size;
    } catch (err) {
      throw missingOr(err, digest);
    }
  }

  async openBlob(digest: Digest): Promise<Readable> {
    // Open eagerly so a missing blob fails here, not on the stream's first read.
    const fh = await open(this.pathOf(digest), 'r').catch((err: unknown) => {
      throw missingOr(err, digest);
    });
    return fh.createReadStream();
  }

  async readBlob(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(digest));
    } catch (err) {
      throw missingOr(err, digest);
    }
  }

  async deleteBlob(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.pathOf(digest));
      return true;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async ingest(opts: IngestOptions = {}): Promise<BlobWriter> {
    if (opts.expected !== undefined) parseDigest(opts.expected);
    const tmp = join(this.tempDir, `.tmp-ingest-${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o644);
    return new LocalBlobWriter(fh, tmp, this.blobDir, opts);
  }

  async writeBlob(data: string | Uint8Array, opts: IngestOptions = {}): Promise<Digest> {
    const w = await this.ingest(opts);
    try {
      await w.write(typeof data === 'string' ? Buffer.from(data) : data);
      return await w.commit();
    } finally {
      await w.abort();
    }
  }
}

function missingOr(err: unknown, digest: Digest): unknown {
  return hasCode(err, 'ENOENT') ? notFound(`blob ${digest} not found`) : err;
}

class LocalBlobWriter implements BlobWriter {
  written = 0;
  private readonly hash: Hash = createHash('sha256');
  private done = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly tmp: string,
    private readonly blobDir: string,
    private readonly opts: IngestOptions,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error('blob writer already finished');
    if (this.opts.size !== undefined && this.written + chunk.byteLength > this.opts.size) {
      await this.abort();
      throw invalidArgument(`blob is larger than the expected ${this.opts.size} bytes`);
    }
    try {
      // write(2) may take less than asked: loop until the chunk is down.
      for (let offset = 0; offset < chunk.byteLength; ) {
        offset += (await this.fh.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
      }
    } catch (err) {
      await this.abort();
      throw err;
    }
    this.hash.update(chunk);
    this.written += chunk.byteLength;
  }

  async commit(): Promise<Digest> {
    if (this.done) throw new Error('blob writer already finished');
    try {
      const digest = `sha256:${this.hash.digest('hex')}` as Digest;
      if (this.opts.size !== undefined && this.written !== this.opts.size) {
        throw invalidArgument(`blob size mismatch: expected ${this.opts.size} bytes, got ${this.written}`);
      }
      if (this.opts.expected !== undefined && this.opts.expected !== digest) {
        throw invalidArgument(`blob digest mismatch: expected ${this.opts.expected}, got ${digest}`);
      }
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      await this.place(join(this.blobDir, digestHex(digest)));
      return digest;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /**
   * Moves the temp file to `target` without ever replacing a good blob: link(2)
   * fails with EEXIST instead of overwriting. An existing file of the right size
   * is the same content (the name is its digest); one of another size can only
   * be damage from outside, and is replaced.
   */
  private async place(target: string): Promise<void> {
    try {
      await link(this.tmp, target);
    } catch (err) {
      if (!hasCode(err, 'EEXIST')) throw err;
      const existing = await stat(target);
      if (existing.size !== this.written) await rename(this.tmp, target);
    }
    await rm(this.tmp, { force: true });
    await syncDir(this.blobDir);
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true });
  }
}
