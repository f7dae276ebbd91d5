/**
 * Applies tar entries to a layer's diff directory, exactly and safely, as root.
 *
 * Exact: regular files, directories, symlinks, hardlinks, devices and fifos keep
 * their mode, owner and mtime; PAX xattrs are restored; overlay whiteouts are
 * converted to overlayfs's native form (`.wh.NAME` → a 0/0 character device
 * NAME, `.wh..wh..opq` → `trusted.overlay.opaque=y` on the directory).
 *
 * Safe: nothing is ever written outside the root. Names are normalised (leading
 * `/` and `./` stripped) and refused when they climb out; every parent directory
 * is checked with lstat so a symlink planted by an earlier entry is never
 * followed; existing entries are removed before being replaced and files are
 * created with O_EXCL|O_NOFOLLOW; hardlinks must point at an earlier entry inside
 * the root. A refused entry raises InvalidArgument naming it; the caller discards
 * the partly written directory.
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, type FileHandle } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { execFileText } from '../util/exec.js';
import { EngineError, hasCode, internal, invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';
import { TarFormatError, type TarEntry } from './tar-entries.js';
import { XattrBatch, setfattrAvailable } from './xattrs.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Attributes a layer may not set: they would forge overlayfs's own metadata. */
const FORBIDDEN_XATTR_PREFIX = 'trusted.overlay.';
const SYSTEM_ERROR_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'ENOMEM']);

export class LayerExtractor {
  /** Sum of regular-file and symlink sizes, hardlinks counted once (Docker's layer size). */
  size = 0;
  private readonly root: string;
  /** Relative paths known to be real directories we created or checked. */
  private readonly knownDirs = new Set<string>();
  /** Directory mtimes, applied last so creating their contents does not undo them. */
  private readonly dirTimes = new Map<string, number>();
  private readonly xattrs = new XattrBatch();
  private skippedXattrs = 0;

  constructor(root: string) {
    this.root = root;
  }

  /** Applies one entry; consumes its body when it writes a file. */
  async apply(entry: TarEntry): Promise<void> {
    const rel = sanitize(entry.name, entry.name);
    try {
      await this.applyAt(rel, entry);
    } catch (err) {
      throw describe(err, entry.name);
    }
  }

  /** Sets queued xattrs and directory times. Call once after the last entry. */
  async finish(): Promise<void> {
    if (this.xattrs.size > 0) {
      if (await setfattrAvailable()) await this.xattrs.apply();
      else if (this.xattrs.has(OPAQUE_XATTR)) {
        // Without the marker, files the layer deletes would show through: refuse rather than mislead.
        throw internal('cannot mark opaque directories in a layer: setfattr is not installed (apt-get install attr)');
      } else log.debug('setfattr not installed (apt-get install attr): layer xattrs skipped', { count: this.xattrs.size });
    }
    if (this.skippedXattrs > 0) log.warn('layer xattrs in the trusted.overlay namespace ignored', { count: this.skippedXattrs });
    const deepestFirst = [...this.dirTimes].sort((a, b) => depth(b[0]) - depth(a[0]));
    for (const [rel, mtime] of deepestFirst) await lutimes(this.abs(rel), mtime, mtime);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  private async applyAt(rel: string, entry: TarEntry): Promise<void> {
    if (rel === '') return; // the root itself: keep the diff directory's own attributes, as Docker does
    const base = posix.basename(rel);
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.applyWhiteout(parent, base, entry);
    await this.ensureParents(rel, true);
    const path = this.abs(rel);
    await this.clearFor(rel, entry.type === 'directory');
    switch (entry.type) {
      case 'directory':
        return this.makeDir(rel, entry);
      case 'file':
        return this.writeFile(path, entry);
      case 'symlink':
        await symlink(entry.linkname, path);
        this.size += Buffer.byteLength(entry.linkname);
        return this.finishNode(path, entry, false);
      case 'link':
        return this.makeHardlink(path, entry);
      case 'character-device':
      case 'block-device':
        await execFileText('mknod', ['-m', octal(entry.mode), path, entry.type === 'block-device' ? 'b' : 'c', String(entry.devmajor), String(entry.devminor)]);
        return this.finishNode(path, entry, true);
      case 'fifo':
        await execFileText('mkfifo', ['-m', octal(entry.mode), path]);
        return this.finishNode(path, entry, true);
    }
  }

  private async applyWhiteout(parent: string, base: string, entry: TarEntry): Promise<void> {
    if (base === OPAQUE_MARKER) {
      // The marker stands for its directory: make sure that exists, then flag it.
      await this.ensureParents(parent === '' ? '' : `${parent}/x`, true);
      this.xattrs.set(this.abs(parent), OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
      log.debug('ignoring aufs metadata entry in layer', { name: entry.name });
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw invalidArgument(`invalid tar entry ${JSON.stringify(entry.name)}: malformed whiteout`);
    const rel = parent === '' ? name : `${parent}/${name}`;
    await this.ensureParents(rel, true);
    await this.clearFor(rel, false);
    const path = this.abs(rel);
    await execFileText('mknod', ['-m', '000', path, 'c', '0', '0']);
    await lchown(path, entry.uid, entry.gid);
  }

  /**
   * Makes sure every directory above `rel` exists and is a real directory (not a
   * symlink). With `create`, missing ones are made (0755, root), as Docker does.
   */
  private async ensureParents(rel: string, create: boolean): Promise<void> {
    const parts = rel.split('/').slice(0, -1);
    let sofar = '';
    for (const part of parts) {
      sofar = sofar === '' ? part : `${sofar}/${part}`;
      if (this.knownDirs.has(sofar)) continue;
      const st = await lstat(this.abs(sofar)).catch((err: unknown) => {
        if (hasCode(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (st === undefined) {
        if (!create) throw invalidArgument(`parent directory ${JSON.stringify(sofar)} does not exist`);
        await mkdir(this.abs(sofar));
        await chmod(this.abs(sofar), 0o755); // explicit: the daemon's umask must not shape layers
      } else if (st.isSymbolicLink()) {
        throw invalidArgument(`path goes through symlink ${JSON.stringify(sofar)}`);
      } else if (!st.isDirectory()) {
        throw invalidArgument(`parent ${JSON.stringify(sofar)} is not a directory`);
      }
      this.knownDirs.add(sofar);
    }
  }

  /** Removes whatever is at `rel` unless both it and the new entry are directories. */
  private async clearFor(rel: string, keepDir: boolean): Promise<void> {
    const path = this.abs(rel);
    const st = await lstat(path).catch((err: unknown) => {
      if (hasCode(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (st === undefined || (keepDir && st.isDirectory())) return;
    await rm(path, { recursive: true, force: true });
    this.xattrs.forget(path);
    this.dirTimes.delete(rel);
    const below = `${rel}/`;
    for (const dir of this.knownDirs) if (dir === rel || dir.startsWith(below)) this.knownDirs.delete(dir);
    for (const dir of this.dirTimes.keys()) if (dir.startsWith(below)) this.dirTimes.delete(dir);
  }

  private async makeDir(rel: string, entry: TarEntry): Promise<void> {
    const path = this.abs(rel);
    await mkdir(path, { mode: 0o700 }).catch((err: unknown) => {
      if (!hasCode(err, 'EEXIST')) throw err;
    });
    // Through a handle opened with O_NOFOLLOW: owner and mode land on this very directory.
    const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await fh.chown(entry.uid, entry.gid);
      await fh.chmod(entry.mode);
    } finally {
      await fh.close();
    }
    this.knownDirs.add(rel);
    this.dirTimes.set(rel, entry.mtime);
    this.queueXattrs(path, entry);
  }

  private async writeFile(path: string, entry: TarEntry): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fh = await open(path, flags, 0o600);
    try {
      for await (const chunk of entry.body) await writeAll(fh, chunk);
      // chown before chmod: changing the owner clears setuid/setgid bits.
      await fh.chown(entry.uid, entry.gid);
      await fh.chmod(entry.mode);
      await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh.close();
    }
    this.size += entry.size;
    this.queueXattrs(path, entry);
  }

  private async makeHardlink(path: string, entry: TarEntry): Promise<void> {
    const targetRel = sanitize(entry.linkname, entry.name, 'hardlink target');
    if (targetRel === '') throw invalidArgument(`hardlink target ${JSON.stringify(entry.linkname)} is the root directory`);
    // link(2) follows symlinks in the target's parents: they must all be real directories.
    await this.ensureParents(targetRel, false).catch((err: unknown) => {
      throw err instanceof EngineError ? invalidArgument(`hardlink target ${JSON.stringify(entry.linkname)}: ${err.message}`) : err;
    });
    const target = this.abs(targetRel);
    const st = await lstat(target).catch(() => undefined);
    if (st === undefined) throw invalidArgument(`hardlink target ${JSON.stringify(entry.linkname)} does not exist in the layer`);
    if (st.isDirectory()) throw invalidArgument(`hardlink target ${JSON.stringify(entry.linkname)} is a directory`);
    await link(target, path);
  }

  /** Owner, mode (not for symlinks), xattrs and mtime of a non-file, non-directory node. */
  private async finishNode(path: string, entry: TarEntry, chmodToo: boolean): Promise<void> {
    await lchown(path, entry.uid, entry.gid);
    // chmod(2) on a device node or fifo changes the inode without opening it; set
    // the mode again because the owner change may have cleared setuid/setgid.
    if (chmodToo) await chmod(path, entry.mode);
    await lutimes(path, entry.mtime, entry.mtime);
    this.queueXattrs(path, entry);
  }

  /** Queues the entry's xattrs; they are set in finish(), after every chown. */
  private queueXattrs(path: string, entry: TarEntry): void {
    for (const [name, value] of entry.xattrs) {
      if (!/^[^\s=\\]+$/.test(name)) throw invalidArgument(`unsupported xattr name ${JSON.stringify(name)}`);
      if (name.startsWith(FORBIDDEN_XATTR_PREFIX)) this.skippedXattrs++;
      else this.xattrs.set(path, name, value);
    }
  }
}

/**
 * Turns an archive name into a clean path relative to the root ('' for the root
 * itself), or refuses it. `entryName` is what errors quote.
 */
export function sanitize(name: string, entryName: string, what = 'path'): string {
  if (name.includes('\0')) throw invalidArgument(`invalid tar entry ${JSON.stringify(entryName)}: ${what} contains a NUL byte`);
  const stripped = name.replace(/^\/+/, '');
  let clean = posix.normalize(stripped === '' ? '.' : stripped).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) {
    throw invalidArgument(`invalid tar entry ${JSON.stringify(entryName)}: ${what === 'path' ? 'path' : `${what} ${JSON.stringify(name)}`} escapes the root`);
  }
  if (clean === '.' || clean === '') clean = '';
  return clean;
}

function describe(err: unknown, entryName: string): unknown {
  if (err instanceof TarFormatError) return err; // the archive itself is broken, not this entry
  if (err instanceof EngineError) {
    const prefix = `invalid tar entry ${JSON.stringify(entryName)}`;
    if (err.kind !== 'InvalidArgument' || err.message.startsWith(prefix)) return err;
    return invalidArgument(`${prefix}: ${err.message}`);
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SYSTEM_ERROR_CODES.has(code)) {
    return internal(`extracting ${JSON.stringify(entryName)}: ${(err as Error).message}`, err);
  }
  return invalidArgument(`invalid tar entry ${JSON.stringify(entryName)}: ${err instanceof Error ? err.message : String(err)}`);
}

/** write(2) may write less than asked; loop until the whole chunk is down. */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function depth(rel: string): number {
  return rel.split('/').length;
}
