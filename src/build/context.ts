/**
 * The build context as received: a tar stream (plain or gzip) read once into
 * an index of entries. Each file's content is hashed as it arrives, so the
 * layer cache compares COPY sources by a cheap stable key (path, type, mode,
 * size, content hash) without ever re-reading or re-tarring the context.
 * Small files stay in memory; past a budget, contents spill to files in the
 * build's temp directory. Paths are clean and relative ("a/b"); "" is the root.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { readTarEntries, TarFormatError } from '../image/index.js';
import { invalidArgument } from '../util/errors.js';

export interface ContextEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname: string;
  /** sha256 hex of a file's content, '' for others. */
  hash: string;
  data?: Buffer;
  spill?: string;
}

const MEMORY_BUDGET = 64 * 1024 * 1024;

export class BuildContext {
  readonly entries = new Map<string, ContextEntry>();

  /** Reads `input` to its end. Bad archives raise InvalidArgument. */
  static async receive(input: AsyncIterable<Buffer | string>, spillDir: string): Promise<BuildContext> {
    const ctx = new BuildContext();
    ctx.entries.set('', { path: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, linkname: '', hash: '' });
    let inMemory = 0;
    let spills = 0;
    const plain = await plainTar(input);
    if (plain === undefined) return ctx; // an empty body: an empty context
    const stream = Readable.from(padded(plain), { objectMode: false });
    try {
      for await (const e of readTarEntries(stream)) {
        const path = clean(e.name);
        if (path === undefined) throw invalidArgument(`invalid build context: entry ${JSON.stringify(e.name)} climbs out of the context`);
        if (path === '') continue;
        ctx.addParents(path);
        const base = { path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, linkname: '', hash: '' };
        if (e.type === 'directory') ctx.entries.set(path, { ...base, type: 'dir' });
        else if (e.type === 'symlink') ctx.entries.set(path, { ...base, type: 'symlink', linkname: e.linkname });
        else if (e.type === 'link') {
          const target = ctx.entries.get(clean(e.linkname) ?? '\0');
          if (!target || target.type !== 'file') throw invalidArgument(`invalid build context: hardlink ${JSON.stringify(e.name)} to a missing file`);
          ctx.entries.set(path, { ...target, path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
        } else if (e.type === 'file') {
          const hash = createHash('sha256');
          const entry: ContextEntry = { ...base, type: 'file', size: e.size };
          if (inMemory + e.size <= MEMORY_BUDGET) {
            const chunks: Buffer[] = [];
            for await (const c of e.body) {
              hash.update(c);
              chunks.push(c);
            }
            entry.data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
            inMemory += e.size;
          } else {
            entry.spill = join(spillDir, `ctx-${spills++}`);
            const fh = await open(entry.spill, 'wx', 0o600);
            try {
              for await (const c of e.body) {
                hash.update(c);
                await fh.write(c);
              }
            } finally {
              await fh.close();
            }
          }
          entry.hash = hash.digest('hex');
          ctx.entries.set(path, entry);
        }
        // devices and fifos in a context are not copied, as docker does
      }
    } catch (err) {
      if (err instanceof TarFormatError) throw invalidArgument(`invalid build context: ${err.message}`);
      throw err;
    }
    return ctx;
  }

  /** An entry's content. */
  async read(e: ContextEntry): Promise<Buffer> {
    if (e.data) return e.data;
    if (e.spill) return readFile(e.spill);
    return Buffer.alloc(0);
  }

  /** A file's text, or undefined when the context has no such file. */
  async text(path: string): Promise<string | undefined> {
    const e = this.entries.get(clean(path) ?? '\0');
    if (!e || e.type !== 'file') return undefined;
    return (await this.read(e)).toString('utf8');
  }

  /** Drops entries (and what is below them) for which `ignored` holds; the root stays. */
  filter(ignored: (path: string) => boolean): void {
    for (const path of [...this.entries.keys()]) if (path !== '' && ignored(path)) this.entries.delete(path);
  }

  /** Direct children of a directory entry, sorted by name. */
  children(dir: string): ContextEntry[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const out: ContextEntry[] = [];
    for (const [p, e] of this.entries) if (p !== '' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.push(e);
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Every entry at or below `path`, sorted. */
  tree(path: string): ContextEntry[] {
    const prefix = path === '' ? '' : `${path}/`;
    const out: ContextEntry[] = [];
    for (const [p, e] of this.entries) if (p === path || p.startsWith(prefix)) out.push(e);
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Parent directories that the archive did not list get docker's defaults. */
  private addParents(path: string): void {
    let dir = posix.dirname(path);
    while (dir !== '.' && !this.entries.has(dir)) {
      this.entries.set(dir, { path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, linkname: '', hash: '' });
      dir = posix.dirname(dir);
    }
  }
}

/** A context-relative clean path; undefined when it climbs out. */
export function clean(name: string): string | undefined {
  const n = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '.' ? '' : n;
}

/**
 * The tar with its end blocks made sure of. docker's CLI, when it adds a
 * Dockerfile from stdin to a directory context, sends an archive that stops
 * right after the last file's data (no padding, no end blocks); dockerd
 * accepts that, so we complete it.
 */
async function* padded(tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of tar) {
    total += chunk.length;
    yield chunk;
  }
  yield Buffer.alloc((512 - (total % 512)) % 512 + 1024);
}

/** The uncompressed tar, or undefined for an empty body. */
async function plainTar(input: AsyncIterable<Buffer | string>): Promise<Readable | undefined> {
  const it = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 2) {
    const n = await it.next();
    if (n.done) {
      done = true;
      break;
    }
    head = Buffer.concat([head, asBuffer(n.value)]);
  }
  if (head.length === 0) return undefined;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    if (done) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield asBuffer(n.value);
    }
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    pipeline(Readable.from(rest()), gunzip).catch(() => undefined);
    return gunzip;
  }
  return Readable.from(rest(), { objectMode: false });
}

const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);
