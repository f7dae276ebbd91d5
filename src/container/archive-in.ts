/**
 * Extracts a tar stream into a container directory (PUT /containers/{id}/archive).
 * The body is first spooled to a file and checked whole: an entry whose name
 * climbs out with "..", a hard link pointing out, or a directory/non-directory
 * clash (with noOverwriteDirNonDir) refuses the archive before anything is
 * written. Each entry's parent is resolved in the container with its root as
 * "/", and an existing entry is replaced, never written through, so a symlink
 * in the container cannot carry a write to the host.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header as Headers } from 'tar-stream';
import { hasCode, invalidArgument } from '../util/errors.js';
import { type ContainerFs, hostPath, mountAt, resolveContainerPath } from './container-paths.js';

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
  readonlyRootfs: boolean;
}

/** An entry name relative to the extraction point, or an error for one that escapes it. */
function entryPath(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalidArgument(`invalid tar entry "${name}": it would be written outside the extraction point`);
  return parts.join('/');
}

async function* entries(file: string): AsyncGenerator<{ header: Headers; body: Readable }> {
  const ex = extract();
  const src = createReadStream(file);
  src.pipe(ex);
  for await (const e of ex) yield { header: e.header, body: e as unknown as Readable };
}

export async function spool(body: Readable, file: string): Promise<void> {
  await pipeline(body, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
}

/** `dest` is the resolved container directory; `file` the spooled tar. */
export async function extractArchive(fs: ContainerFs, dest: string, file: string, o: ExtractOptions): Promise<void> {
  const writable = (cpath: string) => {
    const m = mountAt(fs, cpath);
    if (m && !m.RW) throw invalidArgument('mounted volume is marked read-only');
    if (!m && o.readonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
  };
  // Pass 1: check everything, change nothing.
  for await (const { header, body } of entries(file)) {
    body.resume();
    const rel = entryPath(header.name);
    if (header.type === 'link') entryPath(header.linkname ?? '');
    const cpath = posix.join(dest, rel);
    writable(cpath);
    if (rel === '' && header.type !== 'directory') throw invalidArgument(`invalid tar entry "${header.name}": only a directory can stand for the extraction point`);
    if (o.noOverwriteDirNonDir && rel !== '') {
      const existing = await lstat(hostPath(fs, await resolveContainerPath(fs, cpath, false))).catch(() => undefined);
      const isDir = header.type === 'directory';
      if (existing && existing.isDirectory() !== isDir) {
        throw invalidArgument(
          isDir ? `cannot overwrite non-directory "${cpath}" with directory "${rel}"` : `cannot overwrite directory "${cpath}" with non-directory "${rel}"`,
        );
      }
    }
  }
  // Pass 2: write.
  const dirTimes: Array<{ host: string; mtime: Date }> = [];
  for await (const { header, body } of entries(file)) {
    const rel = entryPath(header.name);
    const cpath = posix.join(dest, rel);
    const parent = await ensureDir(fs, posix.dirname(cpath));
    const host = rel === '' ? hostPath(fs, dest) : posix.join(parent, posix.basename(cpath));
    const uid = o.copyUIDGID ? header.uid ?? 0 : 0;
    const gid = o.copyUIDGID ? header.gid ?? 0 : 0;
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date();
    const existing = await lstat(host).catch(() => undefined);
    if (header.type === 'directory') {
      body.resume();
      if (existing && !existing.isDirectory()) await unlink(host);
      if (!existing || !existing.isDirectory()) await mkdir(host, { mode });
      await lchown(host, uid, gid);
      await chmod(host, mode);
      dirTimes.push({ host, mtime });
      continue;
    }
    if (existing) await rm(host, { recursive: existing.isDirectory(), force: true });
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null: {
        const fh = await open(host, 'wx', mode);
        await pipeline(body, fh.createWriteStream());
        break;
      }
      case 'symlink':
        body.resume();
        await symlink(header.linkname ?? '', host);
        break;
      case 'link': {
        body.resume();
        const target = hostPath(fs, await resolveContainerPath(fs, posix.join(dest, entryPath(header.linkname ?? '')), false));
        await link(target, host);
        break;
      }
      default:
        body.resume(); // devices and fifos are not made by cp, as docker's rootless paths
        continue;
    }
    await lchown(host, uid, gid);
    if (header.type !== 'symlink') await chmod(host, mode);
    await lutimes(host, mtime, mtime);
  }
  for (const d of dirTimes.reverse()) await lutimes(d.host, d.mtime, d.mtime).catch(() => undefined);
}

/** The host path of a container directory, creating missing components one by one inside the root. */
async function ensureDir(fs: ContainerFs, cdir: string): Promise<string> {
  const resolved = await resolveContainerPath(fs, cdir, true);
  const host = hostPath(fs, resolved);
  const st = await lstat(host).catch((err) => (hasCode(err, 'ENOENT') ? undefined : Promise.reject(err)));
  if (st?.isDirectory()) return host;
  if (st) throw invalidArgument(`cannot extract into ${cdir}: not a directory`);
  if (resolved === '/') return host;
  const parent = await ensureDir(fs, posix.dirname(resolved));
  const made = posix.join(parent, posix.basename(resolved));
  await mkdir(made, { mode: 0o755 }).catch((err) => (hasCode(err, 'EEXIST') ? undefined : Promise.reject(err)));
  return made;
}
