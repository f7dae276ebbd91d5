/** Writes a container path as a tar stream, as GET /containers/{id}/archive answers it. */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header as TarHeader, type Pack } from 'tar-stream';
import { type ContainerFs, hostPath } from './container-paths.js';

type Header = Partial<TarHeader> & { name: string };

/**
 * Archives the resolved container path `cpath` with its entries named under
 * `name` (the base name the client asked for, "." for "dir/."). Symlinks are
 * stored as links; the walk crosses into nested volume and bind mounts.
 */
export async function writeArchive(fs: ContainerFs, cpath: string, name: string, out: Writable): Promise<void> {
  const pack = tarPack();
  const done = pipeline(pack, out);
  try {
    await addEntry(fs, pack, cpath, name);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await done;
}

async function addEntry(fs: ContainerFs, pack: Pack, cpath: string, name: string): Promise<void> {
  const host = hostPath(fs, cpath);
  const st = await lstat(host);
  const base: Header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) {
    await entry(pack, { ...base, type: 'directory', name: name.endsWith('/') ? name : `${name}/` });
    for (const child of (await readdir(host)).sort()) {
      await addEntry(fs, pack, posix.join(cpath, child), `${name.replace(/\/+$/, '')}/${child}`);
    }
  } else if (st.isSymbolicLink()) {
    await entry(pack, { ...base, type: 'symlink', linkname: await readlink(host) });
  } else if (st.isFile()) {
    const e = pack.entry({ ...base, type: 'file', size: st.size });
    await pipeline(createReadStream(host), e);
  } else if (st.isFIFO()) {
    await entry(pack, { ...base, type: 'fifo' });
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = Number(st.rdev);
    await entry(pack, {
      ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device',
      devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    });
  }
  // Sockets cannot be archived; tar tools skip them too.
}

function entry(pack: Pack, header: Header): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}
