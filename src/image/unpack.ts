/**
 * Unpacks one layer archive into a directory: detects gzip or zstd by its magic bytes,
 * hashes the uncompressed stream (the layer's diffID) while extracting, and can
 * hand every uncompressed byte to a tap (import stores the tar as a blob from it).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Digest } from '../spec/ids.js';
import { invalidArgument } from '../util/errors.js';
import { LayerExtractor } from './extract.js';
import { readTarEntries, TarFormatError } from './tar-entries.js';
import { zstdDecompress } from './zstd.js';

/** zlib's output chunk: 16 KiB by default, which costs 4x the time on big layers. */
const GUNZIP_CHUNK = 1 << 20;

export interface UnpackOptions {
  /**
   * Called with each uncompressed chunk, in order, before the chunk is extracted;
   * the stream waits for the returned promise (back-pressure). A rejection
   * aborts the unpack with that error.
   */
  tap?: (chunk: Buffer) => Promise<void>;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Bytes of file content and symlink targets, hardlinks counted once. */
  size: number;
  /** Uncompressed tar length. */
  tarSize: number;
  compressed: boolean;
}

/**
 * Extracts `input` (a plain, gzip or zstd tar) into `dest`, an existing empty directory.
 * Bad archives and hostile entries raise InvalidArgument (`invalid tar archive: …`
 * or `invalid tar entry "<name>": …`). On any failure `dest` is left partly
 * written: callers unpack into a staging directory and delete it.
 */
export async function unpackLayer(input: AsyncIterable<string | Uint8Array>, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const hash = createHash('sha256');
  let tarSize = 0;
  const { compressed, stream } = await decompressed(input);
  async function* measured(): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      hash.update(chunk);
      tarSize += chunk.length;
      if (opts.tap) await opts.tap(chunk);
      yield chunk;
    }
  }
  const extractor = new LayerExtractor(dest);
  try {
    for await (const entry of readTarEntries(Readable.from(measured(), { objectMode: false }))) {
      await extractor.apply(entry);
    }
  } catch (err) {
    if (err instanceof TarFormatError) throw invalidArgument(`invalid tar archive: ${err.message}`);
    throw err;
  }
  if (tarSize === 0) throw invalidArgument('invalid tar archive: empty input');
  await extractor.finish();
  return { diffId: `sha256:${hash.digest('hex')}` as Digest, size: extractor.size, tarSize, compressed };
}

type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/**
 * Peeks at the first bytes of `input` and returns the uncompressed stream. The
 * peeked bytes are put back in front, so nothing is lost.
 */
async function decompressed(input: AsyncIterable<string | Uint8Array>): Promise<{ compressed: boolean; stream: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, asBuffer(next.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  }
  const kind = sniff(head);
  switch (kind) {
    case 'none':
      return { compressed: false, stream: rest() };
    case 'gzip': {
      const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
      // Errors surface through the gunzip stream, which pipeline destroys on failure.
      pipeline(Readable.from(rest()), gunzip).catch(() => undefined);
      return { compressed: true, stream: gunzip };
    }
    case 'zstd':
      return { compressed: true, stream: zstdDecompress(rest()) };
    default:
      await it.return?.();
      throw invalidArgument(`invalid tar archive: ${kind} compression is not supported (use plain, gzip or zstd tar)`);
  }
}

/** Views a chunk as a Buffer without copying bytes that already are one. */
function asBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
