/**
 * Paths as a container sees them, mapped to the host: the merged rootfs plus
 * the container's volume and bind mounts (a path under a mount point lives in
 * the mount's source). Symlinks are resolved component by component with the
 * container's "/" as root, so no link inside the container leads outside it.
 */
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { hasCode, invalidArgument } from '../util/errors.js';
import type { MountRecord } from './mounts.js';

export interface ContainerFs {
  rootfs: string;
  mounts: MountRecord[];
}

/** The mount holding a container path (longest destination prefix), if any. */
export function mountAt(fs: ContainerFs, cpath: string): MountRecord | undefined {
  let best: MountRecord | undefined;
  for (const m of fs.mounts) {
    if (m.Type === 'tmpfs') continue; // a tmpfs has no host side to reach
    if (cpath === m.Destination || cpath.startsWith(m.Destination + '/')) {
      if (!best || m.Destination.length > best.Destination.length) best = m;
    }
  }
  return best;
}

/** The host path of a container path whose components are already resolved. */
export function hostPath(fs: ContainerFs, cpath: string): string {
  const m = mountAt(fs, cpath);
  if (!m) return posix.join(fs.rootfs, cpath);
  return posix.join(m.Source, cpath.slice(m.Destination.length));
}

/**
 * Resolves `path` in the container. With `followLast` false the last
 * component is not dereferenced (stat and archive report a link as a link).
 * Components after a missing one are kept lexically. Returns the resolved
 * container path.
 */
export async function resolveContainerPath(fs: ContainerFs, path: string, followLast: boolean): Promise<string> {
  const pending = posix.normalize('/' + path).split('/').filter(Boolean);
  const done: string[] = [];
  let missing = false;
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    if (part === '.') continue;
    if (missing || (pending.length === 0 && !followLast)) {
      done.push(part);
      continue;
    }
    const cpath = '/' + [...done, part].join('/');
    const host = hostPath(fs, cpath);
    let isLink = false;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch (err) {
      if (!hasCode(err, 'ENOENT') && !hasCode(err, 'ENOTDIR')) throw err;
      missing = true;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw invalidArgument(`too many levels of symbolic links: ${path}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return '/' + done.join('/');
}

/** Go's os.FileMode bits, which the archive stat header carries. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  if (mode & 0o4000) m |= 1 << 23;
  if (mode & 0o2000) m |= 1 << 22;
  if (mode & 0o1000) m |= 1 << 20;
  switch (mode & 0o170000) {
    case 0o040000: m |= 1 << 31; break;
    case 0o120000: m |= 1 << 27; break;
    case 0o010000: m |= 1 << 25; break;
    case 0o140000: m |= 1 << 24; break;
    case 0o060000: m |= 1 << 26; break;
    case 0o020000: m |= (1 << 26) | (1 << 21); break;
  }
  return m >>> 0;
}
