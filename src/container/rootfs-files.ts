import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { hasCode } from '../util/errors.js';

/**
 * Reads a file inside a container's root filesystem as the container would see
 * it: symlinks are resolved relative to `root`, never to the host's "/", so an
 * image whose /etc/passwd links to /etc/shadow reads its own shadow file, not
 * the host's. Returns undefined if the file does not exist.
 */
export async function readFileInRoot(root: string, path: string): Promise<string | undefined> {
  const resolved = await resolveInRoot(root, path);
  if (resolved === undefined) return undefined;
  try {
    return await readFile(posix.join(root, resolved), 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR') || hasCode(err, 'EISDIR')) return undefined;
    throw err;
  }
}

/** Resolves `path` component by component inside `root`; the result is root-relative. */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const pending = posix.normalize('/' + path).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    if (part === '.') continue;
    const candidate = posix.join(root, ...done, part);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return undefined;
      throw err;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++hops > 40) return undefined; // a symlink loop, as ELOOP
    const target = await readlink(candidate);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return '/' + done.join('/');
}
