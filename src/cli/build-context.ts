/**
 * The build context as a tar stream, made the fast way: the directory is
 * walked with synchronous calls (no thread-pool round trip per file) and
 * small files are read whole, so a thousand-file context costs milliseconds.
 * Entries are sorted, owner and mode kept; long names use PAX records.
 * With a filter (.dockerignore, see build-ignore.ts) an excluded entry is
 * neither stat'ed nor read, and an excluded directory is entered only when
 * the filter says something below it may be sent.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tarHeader, tarPadding, TAR_END } from '../util/tar-header.js';
import type { ContextFilter } from './build-ignore.js';

const BIG = 1 << 20;

export interface ExtraFile {
  name: string;
  data: Buffer;
}

/**
 * Packs `dir` (its content, names relative to it; none when undefined),
 * leaving out what `filter` excludes, plus `extra` files at the root.
 */
export function packContext(dir: string | undefined, extra: ExtraFile[] = [], filter?: ContextFilter): Readable {
  return Readable.from(entries(dir, extra, filter), { objectMode: false, highWaterMark: 1 << 20 });
}

function* entries(dir: string | undefined, extra: ExtraFile[], filter: ContextFilter | undefined): Generator<Buffer> {
  const batch: Buffer[] = [];
  let size = 0;
  const push = function* (b: Buffer): Generator<Buffer> {
    batch.push(b);
    size += b.length;
    if (size >= 256 * 1024) {
      yield Buffer.concat(batch.splice(0));
      size = 0;
    }
  };
  const walk = function* (abs: string, rel: string): Generator<Buffer> {
    for (const name of readdirSync(abs).sort()) {
      const path = join(abs, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      if (filter?.excludes(r)) {
        // The directory's own entry is sent too; the daemon drops it again when nothing below it is kept.
        if (!filter.descends(r)) continue;
        const st = lstatSync(path);
        if (st.isDirectory()) {
          yield* push(header(`${r}/`, st, '5', 0));
          yield* walk(path, r);
        }
        continue;
      }
      const st = lstatSync(path);
      if (st.isDirectory()) {
        yield* push(header(`${r}/`, st, '5', 0));
        yield* walk(path, r);
      } else if (st.isSymbolicLink()) {
        yield* push(header(r, st, '2', 0, readlinkSync(path)));
      } else if (st.isFile()) {
        yield* push(header(r, st, '0', st.size));
        if (st.size < BIG) yield* push(pad(readFileSync(path)));
        else {
          const fd = openSync(path, 'r');
          try {
            const buf = Buffer.alloc(BIG);
            let left = st.size;
            while (left > 0) {
              const n = readSync(fd, buf, 0, Math.min(BIG, left), null);
              if (n === 0) throw new Error(`${path} shrank while it was being sent`);
              left -= n;
              yield* push(Buffer.from(buf.subarray(0, n)));
            }
            const rest = tarPadding(st.size);
            if (rest) yield* push(Buffer.alloc(rest));
          } finally {
            closeSync(fd);
          }
        }
      }
    }
  };
  if (dir !== undefined) yield* walk(dir, '');
  const now = { mode: 0o100600, uid: 0, gid: 0, mtimeMs: Date.now(), size: 0 } as Stats;
  for (const f of extra) {
    yield* push(header(f.name, { ...now, size: f.data.length } as Stats, '0', f.data.length));
    yield* push(pad(f.data));
  }
  yield* push(TAR_END);
  if (batch.length) yield Buffer.concat(batch);
}

function pad(b: Buffer): Buffer {
  const rest = tarPadding(b.length);
  return rest === 0 ? b : Buffer.concat([b, Buffer.alloc(rest)]);
}

function header(name: string, st: Stats, type: '0' | '2' | '5', size: number, linkname = ''): Buffer {
  return tarHeader({ name, type, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000, size, linkname });
}
