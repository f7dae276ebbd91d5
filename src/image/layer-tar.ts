/**
 * A directory tree as a tar stream: the container's merged filesystem for
 * `export`, or its overlay upper dir as a new layer for `commit`. In layer mode
 * overlayfs's native whiteouts become the OCI forms: a 0/0 character device
 * NAME is written as an empty `.wh.NAME`, and a directory marked
 * `trusted.overlay.opaque=y` gets a `.wh..wh..opq` entry before its contents.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header as TarHeader, type Pack } from 'tar-stream';

type Header = Partial<TarHeader> & { name: string };
import { execFileText } from '../util/exec.js';

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
  const pack = tarPack();
  const out = new PassThrough();
  pipeline(pack, out).catch((err: unknown) => out.destroy(err as Error));
  void (async () => {
    const opaque = o.layer ? await opaqueDirs(root) : new Set<string>();
    await walk(pack, root, '/', o, opaque);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return out;
}

async function walk(pack: Pack, root: string, dir: string, o: TreeTarOptions, opaque: Set<string>): Promise<void> {
  const names = (await readdir(join(root, dir))).sort();
  if (opaque.has(dir)) await add(pack, { name: `${dir.slice(1)}/.wh..wh..opq`.replace(/^\//, ''), type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
  for (const name of names) {
    const cpath = posix.join(dir, name);
    if (o.skipTrees?.has(cpath)) continue;
    const host = join(root, cpath);
    const st = await lstat(host);
    const rel = cpath.slice(1);
    const mtime = o.clampMtime !== undefined && st.mtimeMs > o.clampMtime * 1000 ? new Date(o.clampMtime * 1000) : st.mtime;
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime };
    if (o.skipEmpty?.has(cpath) && (st.isDirectory() ? (await readdir(host)).length === 0 : st.size === 0)) continue;
    if (st.isCharacterDevice() && Number(st.rdev) === 0 && o.layer) {
      await add(pack, { ...base, name: posix.join(posix.dirname(rel), `.wh.${name}`), type: 'file', size: 0, mode: 0o644 });
    } else if (st.isDirectory()) {
      await add(pack, { ...base, name: `${rel}/`, type: 'directory' });
      await walk(pack, root, cpath, o, opaque);
    } else if (st.isSymbolicLink()) {
      const linkname = await readlink(host);
      if (o.stats) o.stats.size += Buffer.byteLength(linkname);
      await add(pack, { ...base, name: rel, type: 'symlink', linkname });
    } else if (st.isFile()) {
      if (o.stats) o.stats.size += st.size;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...base, name: rel, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(host), entry).catch(reject);
      });
    } else if (st.isFIFO()) {
      await add(pack, { ...base, name: rel, type: 'fifo' });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = Number(st.rdev);
      const devmajor = (rdev >> 8) & 0xfff;
      const devminor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
      await add(pack, { ...base, name: rel, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor, devminor });
    }
    // sockets are not archived, as in docker
  }
}

/** Adds a body-less entry; an empty regular file (a whiteout) gets an empty body, or tar-stream waits for one. */
function add(pack: Pack, header: Header): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (header.type === 'file') pack.entry(header, Buffer.alloc(0), cb);
    else pack.entry(header, cb);
  });
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
