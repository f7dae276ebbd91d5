/**
 * docker cp's server side: stat, read and write paths of a container, running
 * or not, through its merged rootfs and its volume and bind mounts.
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { hasCode, invalidArgument, notFound } from '../util/errors.js';
import type { ContainerRecord } from './record.js';
import { type ContainerFs, goFileMode, hostPath, resolveContainerPath } from './container-paths.js';
import { writeArchive } from './archive-out.js';
import { extractArchive, spool } from './archive-in.js';

/** The X-Docker-Container-Path-Stat header's JSON. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface ArchiveDeps {
  find(ref: string): ContainerRecord;
  withRootfs<T>(rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T>;
  /** Where uploaded archives are spooled before extraction. */
  tmpDir: string;
}

/** moby's split of a request path: the absolute path, keeping a trailing "/." or "/". */
function absPathOf(path: string): string {
  if (path === '') throw invalidArgument('path cannot be empty');
  const abs = posix.join('/', path);
  if (path.endsWith('/.') && !abs.endsWith('/.')) return abs === '/' ? '/.' : `${abs}/.`;
  if (path.endsWith('/') && !abs.endsWith('/')) return `${abs}/`;
  return abs;
}

function baseName(abs: string): string {
  if (abs.endsWith('/.')) return '.';
  const b = posix.basename(abs);
  return b === '' ? '/' : b;
}

export class ArchiveService {
  constructor(private readonly d: ArchiveDeps) {}

  private fsOf(rec: ContainerRecord, rootfs: string): ContainerFs {
    return { rootfs, mounts: rec.mounts ?? [] };
  }

  private async statIn(fs: ContainerFs, rec: ContainerRecord, path: string, ref: string): Promise<{ stat: PathStat; cpath: string }> {
    const abs = absPathOf(path);
    // The last component is not followed, except "dir/." and "dir/", which name the directory.
    const follow = abs.endsWith('/.') || abs.endsWith('/');
    const cpath = await resolveContainerPath(fs, abs, follow);
    const host = hostPath(fs, cpath);
    let st;
    try {
      st = await lstat(host);
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) throw notFound(`Could not find the file ${path} in container ${ref}`);
      throw err;
    }
    if (follow && !st.isDirectory()) throw invalidArgument(`not a directory: ${path}`);
    const linkTarget = st.isSymbolicLink() ? await resolveContainerPath(fs, cpath, true) : '';
    void rec;
    return {
      cpath,
      stat: { name: baseName(abs), size: st.size, mode: goFileMode(st.mode), mtime: st.mtime.toISOString(), linkTarget },
    };
  }

  /** HEAD /containers/{id}/archive */
  stat(ref: string, path: string): Promise<PathStat> {
    const rec = this.d.find(ref);
    return this.d.withRootfs(rec, async (rootfs) => (await this.statIn(this.fsOf(rec, rootfs), rec, path, ref)).stat);
  }

  /** GET /containers/{id}/archive: `open` is called with the stat once the path is known, and returns where the tar goes. */
  export(ref: string, path: string, open: (stat: PathStat) => Writable): Promise<void> {
    const rec = this.d.find(ref);
    return this.d.withRootfs(rec, async (rootfs) => {
      const fs = this.fsOf(rec, rootfs);
      const { stat, cpath } = await this.statIn(fs, rec, path, ref);
      await writeArchive(fs, cpath, stat.name, open(stat));
    });
  }

  /** PUT /containers/{id}/archive: `path` must be an existing directory in the container. */
  async extract(ref: string, path: string, body: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const rec = this.d.find(ref);
    await mkdir(this.d.tmpDir, { recursive: true, mode: 0o700 });
    const file = join(this.d.tmpDir, `cp-${rec.id.slice(0, 12)}-${randomBytes(6).toString('hex')}.tar`);
    try {
      await spool(body, file);
      await this.d.withRootfs(rec, async (rootfs) => {
        const fs = this.fsOf(rec, rootfs);
        const cpath = await resolveContainerPath(fs, absPathOf(path), true);
        const st = await lstat(hostPath(fs, cpath)).catch(() => undefined);
        if (!st) throw notFound(`Could not find the file ${path} in container ${ref}`);
        if (!st.isDirectory()) throw invalidArgument('extraction point is not a directory');
        await extractArchive(fs, cpath, file, { ...o, readonlyRootfs: rec.hostConfig.ReadonlyRootfs === true });
      });
    } finally {
      await rm(file, { force: true });
    }
  }
}
