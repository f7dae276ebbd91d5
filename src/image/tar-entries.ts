/**
 * Reads an uncompressed tar stream as a sequence of normalised entries, on top of
 * tar-stream. Adds what layer extraction needs and tar-stream leaves out: PAX
 * uid/gid/mtime overrides, and xattr values (`SCHILY.xattr.*`) kept as exact
 * bytes. tar-stream decodes PAX values as UTF-8, which corrupts binary values
 * such as `security.capability`; we re-read those records from the raw PAX block.
 */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { EngineError, invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarEntry {
  /** The name as stored (after PAX / GNU long-name handling), not yet sanitised. */
  name: string;
  type: TarEntryType;
  /** Symlink or hardlink target; '' for other types. */
  linkname: string;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, with a fraction when the archive has one. */
  mtime: number;
  size: number;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
  /** The entry's data. Read it or not: it is drained before the next entry. */
  body: AsyncIterable<Buffer>;
}

/** Raised for archives that are not tar or are cut short; the caller words the error. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const XATTR_PREFIX = 'SCHILY.xattr.';

/**
 * Yields the entries of the tar read from `source`. The generator must be run to
 * completion or returned early (`break`, throw): either way `source` is consumed
 * or destroyed. Garbage and truncated input raise TarFormatError.
 */
export async function* readTarEntries(source: Readable): AsyncGenerator<TarEntry> {
  // Old v7 archives carry no magic; the header checksum still rejects garbage.
  const ex = extract({ allowUnknownFormat: true } as Parameters<typeof extract>[0]);
  const pax = new ExactPaxXattrs(ex);
  let feedError: unknown;
  const feeding = pipeline(source, ex as unknown as NodeJS.WritableStream).catch((err: unknown) => {
    feedError = err;
  });
  let complete = false;
  try {
    try {
      for await (const stream of ex) {
        const header = stream.header;
        const body = bodyOf(stream as unknown as AsyncIterable<Buffer>, async () => {
          await feeding;
          return feedError;
        });
        yield toEntry(header, pax.take(header), body);
        // The consumer may have skipped the body; tar-stream needs it drained.
        for await (const chunk of body) void chunk;
      }
    } catch (err) {
      // Stop the feeding side so it settles, then report the root cause: the
      // pipeline's error (zlib, source) when there is one, else the parser's.
      ex.destroy();
      source.destroy();
      await feeding;
      if (err instanceof TarFormatError || err instanceof EngineError) throw err;
      throw asFormatError(feedError ?? err);
    }
    await feeding;
    if (feedError !== undefined) throw asFormatError(feedError);
    complete = true;
  } finally {
    if (!complete) {
      ex.destroy();
      source.destroy();
      await feeding;
    }
  }
}

/**
 * An entry's data. When the archive breaks off inside it, tar-stream only says
 * "stream was destroyed"; the real cause is the feeding pipeline's error, so wait
 * for that and report it as a format error.
 */
async function* bodyOf(stream: AsyncIterable<Buffer>, cause: () => Promise<unknown>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (err) {
    throw asFormatError((await cause()) ?? err);
  }
}

/**
 * Errors from the parser, zlib (`Z_*` codes) and premature ends mean "this is not
 * a (whole) tar"; system errors from reading the source pass through unchanged.
 */
function asFormatError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof TarFormatError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && !code.startsWith('Z_') && code !== 'ERR_STREAM_PREMATURE_CLOSE') return err;
  return new TarFormatError(err.message, { cause: err });
}

function toEntry(header: Header, xattrs: Map<string, Buffer>, body: AsyncIterable<Buffer>): TarEntry {
  const pax = (header as { pax?: Record<string, string> | null }).pax ?? undefined;
  const type = entryType(header);
  if (type === undefined) {
    throw invalidArgument(`invalid tar entry ${JSON.stringify(header.name)}: unsupported entry type (sparse, volume or other extension)`);
  }
  return {
    name: header.name,
    type,
    linkname: header.linkname ?? '',
    mode: (header.mode ?? 0) & 0o7777,
    uid: paxNumber(pax?.uid) ?? header.uid ?? 0,
    gid: paxNumber(pax?.gid) ?? header.gid ?? 0,
    mtime: paxNumber(pax?.mtime) ?? (header.mtime ? header.mtime.getTime() / 1000 : 0),
    size: header.size ?? 0,
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs,
    body,
  };
}

function entryType(header: Header): TarEntryType | undefined {
  switch (header.type as string | null) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'link':
    case 'symlink':
    case 'character-device':
    case 'block-device':
    case 'directory':
    case 'fifo':
      return header.type as TarEntryType;
    default:
      return undefined;
  }
}

function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses PAX records (`<len> <key>=<value>\n`), keeping xattr values as bytes. */
export function parsePaxXattrs(block: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < block.length) {
    const space = block.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number.parseInt(block.toString('latin1', at, space), 10);
    if (!(len > 0) || at + len > block.length) break;
    const record = block.subarray(space + 1, at + len - 1); // drop the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) {
      const key = record.toString('utf8', 0, eq);
      if (key.startsWith(XATTR_PREFIX)) out.set(key.slice(XATTR_PREFIX.length), Buffer.from(record.subarray(eq + 1)));
    }
    at += len;
  }
  return out;
}

/**
 * Captures each raw PAX block as tar-stream decodes it. tar-stream offers no hook
 * for this, so we wrap its (private) long-header decoder on this one instance.
 * Entries are handed out strictly one at a time (the next header is not parsed
 * until the previous entry is released), so the last local block seen belongs to
 * the entry being taken. If tar-stream ever drops the method, we fall back to its
 * UTF-8 strings: exact for text values, lossy for binary ones.
 */
class ExactPaxXattrs {
  private global = new Map<string, Buffer>();
  private local: Map<string, Buffer> | undefined;
  private readonly exact: boolean;

  constructor(ex: object) {
    const target = ex as { _decodeLongHeader?: (buf: Buffer) => unknown; _header?: { type?: string } };
    const original = target._decodeLongHeader;
    this.exact = typeof original === 'function';
    if (!this.exact) {
      log.debug('tar-stream internals changed: xattr values fall back to UTF-8 decoding');
      return;
    }
    target._decodeLongHeader = (buf: Buffer) => {
      const type = target._header?.type;
      if (type === 'pax-header') this.local = parsePaxXattrs(buf);
      else if (type === 'pax-global-header') this.global = parsePaxXattrs(buf);
      return original!.call(target, buf);
    };
  }

  /** The xattrs for the entry whose header was just emitted. */
  take(header: Header): Map<string, Buffer> {
    const pax = (header as { pax?: Record<string, string> | null }).pax;
    const result = new Map(this.global);
    if (this.exact) {
      if (pax) for (const [k, v] of this.local ?? []) result.set(k, v);
    } else if (pax) {
      for (const [k, v] of Object.entries(pax)) {
        if (k.startsWith(XATTR_PREFIX)) result.set(k.slice(XATTR_PREFIX.length), Buffer.from(v, 'utf8'));
      }
    }
    this.local = undefined;
    return result;
  }
}
