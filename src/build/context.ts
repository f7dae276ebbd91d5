/**
 * The build context as received: a tar stream (plain or gzip) read once into
 * an index of entries. Each file's content is hashed as it arrives, so the
 * layer cache compares COPY sources by a cheap stable key (path, type, mode,
 * size, content hash) without ever re-reading or re-tarring the context.
 * Small files stay in memory; past a budget, contents spill to files in the
 * build's temp directory. Paths are clean and relative ("a/b"); "" is the root.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { TarFormat, TarScanner } from './tar-scan.js';
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
    const plain = await plainTar(input);
    if (plain === undefined) return ctx; // an empty body: an empty context
    let inMemory = 0;
    let spills = 0;
    let current: { entry: ContextEntry; hash: ReturnType<typeof createHash>; chunks: Buffer[]; fd?: number } | undefined;
    const scanner = new TarScanner({
      entry: (e) => {
        const path = clean(e.name);
        if (path === undefined) throw invalidArgument(`invalid build context: entry ${JSON.stringify(e.name)} climbs out of the context`);
        if (path === '') return;
        ctx.addParents(path);
        const base = { path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, linkname: '', hash: '' };
        if (e.type === '5') ctx.entries.set(path, { ...base, type: 'dir' });
        else if (e.type === '2') ctx.entries.set(path, { ...base, type: 'symlink', linkname: e.linkname });
        else if (e.type === '1') {
          const target = ctx.entries.get(clean(e.linkname) ?? '\0');
          if (!target || target.type !== 'file') throw invalidArgument(`invalid build context: hardlink ${JSON.stringify(e.name)} to a missing file`);
          ctx.entries.set(path, { ...target, path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
        } else if (e.type === '0' || e.type === '7') {
          const entry: ContextEntry = { ...base, type: 'file', size: e.size };
          current = { entry, hash: createHash('sha256'), chunks: [] };
          if (inMemory + e.size > MEMORY_BUDGET) {
            if (spills === 0) mkdirSync(spillDir, { recursive: true });
            entry.spill = join(spillDir, `ctx-${spills++}`);
            current.fd = openSync(entry.spill, 'wx', 0o600);
          } else inMemory += e.size;
          ctx.entries.set(path, entry);
        }
        // devices and fifos in a context are not copied, as docker does
      },
      data: (chunk) => {
        if (!current) return;
        current.hash.update(chunk);
        if (current.fd !== undefined) writeSync(current.fd, chunk);
        else current.chunks.push(chunk);
      },
      done: () => {
        if (!current) return;
        const c = current;
        current = undefined;
        c.entry.hash = c.hash.digest('hex');
        if (c.fd !== undefined) closeSync(c.fd);
        else c.entry.data = c.chunks.length === 1 ? c.chunks[0] : Buffer.concat(c.chunks);
      },
    });
    try {
      for await (const chunk of plain) scanner.push(chunk);
      scanner.end();
    } catch (err) {
      if (current?.fd !== undefined) closeSync(current.fd);
      if (err instanceof TarFormat || (err as { code?: string }).code?.startsWith('Z_')) throw invalidArgument(`invalid build context: ${(err as Error).message}`);
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
  // Names from docker's CLI and ours are already clean: skip normalising them.
  if (!/(^|\/)\.\.?(\/|$)|\/\/|^\//.test(name)) return name.endsWith('/') ? name.slice(0, -1) : name;
  const n = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '.' ? '' : n;
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
