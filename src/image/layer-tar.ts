/**
 * A directory tree as a tar stream: the container's merged filesystem for
 * `export`, or its overlay upper dir as a new layer for `commit`. In layer mode
 * overlayfs's native whiteouts become the OCI forms: a 0/0 character device
 * NAME is written as an empty `.wh.NAME`, and a directory marked
 * `trusted.overlay.opaque=y` gets a `.wh..wh..opq` entry before its contents.
 */
import { once } from 'node:events';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { execFileText } from '../util/exec.js';
import { TAR_END, tarHeader, tarPadding } from '../util/tar-header.js';

export interface TreeTarOptions {
  /** Convert overlay whiteouts and opaque markers (commit); off for export. */
  layer: boolean;
  /** Container paths left out when they are empty (runtime mount points). */
  skipEmpty?: ReadonlySet<string>;
  /** Container paths left out with everything below them (`/proc` for export). */
  skipTrees?: ReadonlySet<string>;
  /** Seconds since the epoch: later entry times are written as this (reproducible builds). */
  clampMtime?: number;
  /** Receives the bytes of file content and symlink targets written (a layer's size). */
  stats?: { size: number };
}

/** Streams `root` as a tar; errors surface on the returned stream. */
export function treeTar(root: string, o: TreeTarOptions): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const sink = new Sink(out);
  void (async () => {
    const opaque = o.layer ? await opaqueDirs(root) : new Set<string>();
    await walk(sink, root, '/', o, opaque);
    await sink.write(TAR_END);
    await sink.flush();
    out.end();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/**
 * Headers and small files are gathered into large writes; the stream's
 * back-pressure is honoured. Metadata and small files are read with
 * synchronous calls (a thread-pool round trip per call would cost ~1 s for a
 * thousand small files); the walk hands the event loop back every few
 * milliseconds, so other requests are not held up.
 */
class Sink {
  private batch: Buffer[] = [];
  private size = 0;
  private slice = performance.now();
  constructor(private readonly out: PassThrough) {}

  async write(b: Buffer): Promise<void> {
    this.batch.push(b);
    this.size += b.length;
    if (this.size >= 256 * 1024) await this.flush();
    else if (performance.now() - this.slice > 8) {
      await new Promise((r) => setImmediate(r));
      this.slice = performance.now();
    }
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const data = this.batch.length === 1 ? this.batch[0] : Buffer.concat(this.batch);
    this.batch = [];
    this.size = 0;
    if (!this.out.write(data)) await once(this.out, 'drain');
    this.slice = performance.now();
  }
}

const SMALL_FILE = 1 << 20;

async function walk(sink: Sink, root: string, dir: string, o: TreeTarOptions, opaque: Set<string>): Promise<void> {
  const names = readdirSync(join(root, dir)).sort();
  if (opaque.has(dir)) await sink.write(tarHeader({ name: `${dir.slice(1)}/.wh..wh..opq`.replace(/^\//, ''), type: '0', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0 }));
  for (const name of names) {
    const cpath = posix.join(dir, name);
    if (o.skipTrees?.has(cpath)) continue;
    const host = join(root, cpath);
    const st = lstatSync(host);
    const rel = cpath.slice(1);
    const mtime = o.clampMtime !== undefined && st.mtimeMs > o.clampMtime * 1000 ? o.clampMtime : Math.floor(st.mtimeMs / 1000);
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime, size: 0 };
    if (o.skipEmpty?.has(cpath) && (st.isDirectory() ? readdirSync(host).length === 0 : st.size === 0)) continue;
    if (st.isCharacterDevice() && Number(st.rdev) === 0 && o.layer) {
      await sink.write(tarHeader({ ...base, name: posix.join(posix.dirname(rel), `.wh.${name}`), type: '0', mode: 0o644 }));
    } else if (st.isDirectory()) {
      await sink.write(tarHeader({ ...base, name: `${rel}/`, type: '5' }));
      await walk(sink, root, cpath, o, opaque);
    } else if (st.isSymbolicLink()) {
      const linkname = readlinkSync(host);
      if (o.stats) o.stats.size += Buffer.byteLength(linkname);
      await sink.write(tarHeader({ ...base, name: rel, type: '2', linkname }));
    } else if (st.isFile()) {
      await writeFile(sink, host, rel, base, st.size, o);
    } else if (st.isFIFO()) {
      await sink.write(tarHeader({ ...base, name: rel, type: '6' }));
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = Number(st.rdev);
      const devmajor = (rdev >> 8) & 0xfff;
      const devminor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
      await sink.write(tarHeader({ ...base, name: rel, type: st.isCharacterDevice() ? '3' : '4', devmajor, devminor }));
    }
    // sockets are not archived, as in docker
  }
}

/** A regular file: whole when small; in chunks otherwise, exactly `size` bytes (the header's promise). */
async function writeFile(sink: Sink, host: string, rel: string, base: { mode: number; uid: number; gid: number; mtime: number }, size: number, o: TreeTarOptions): Promise<void> {
  if (size < SMALL_FILE) {
    const data = readFileSync(host);
    if (o.stats) o.stats.size += data.length;
    await sink.write(tarHeader({ ...base, name: rel, type: '0', size: data.length }));
    await sink.write(data);
    const pad = tarPadding(data.length);
    if (pad) await sink.write(Buffer.alloc(pad));
    return;
  }
  if (o.stats) o.stats.size += size;
  await sink.write(tarHeader({ ...base, name: rel, type: '0', size }));
  const fh = await open(host, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.alloc(Math.min(SMALL_FILE, left));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) {
        // The file shrank meanwhile: keep the archive well-formed with zeros.
        await sink.write(Buffer.alloc(left));
        break;
      }
      left -= bytesRead;
      await sink.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  const pad = tarPadding(size);
  if (pad) await sink.write(Buffer.alloc(pad));
}

/** Container paths of directories overlayfs marked opaque, from one getfattr run. */
async function opaqueDirs(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  // getfattr exits non-zero when some file lacks the attribute; its stdout still lists the rest.
  const { stdout: text } = await execFileText('getfattr', ['-R', '-P', '--absolute-names', '-n', 'trusted.overlay.opaque', root], { allowFailure: true });
  let file: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice(8);
    else if (file && /^trusted\.overlay\.opaque="y"/.test(line)) out.add(posix.join('/', file.slice(root.length)));
  }
  return out;
}
