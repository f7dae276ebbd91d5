/**
 * Overlay mounts of image layers: read-only lower dirs (the image's layers,
 * topmost first) under one writable upper dir. Node has no mount API, so this
 * runs mount(8)/umount(8).
 */
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { internal, invalidArgument } from '../util/errors.js';
import { ExecError, execFileText } from '../util/exec.js';

export interface OverlayMount {
  /** Topmost first; when empty, an empty directory beside `workDir` stands in. */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  target: string;
}

/** The kernel refuses mount data beyond a page; leave room for the other options. */
const MAX_MOUNT_DATA = 4000;

/** Mounts the overlay at `target`, creating upper, work and target dirs as needed. */
export async function mountOverlay(o: OverlayMount): Promise<void> {
  let lowers = o.lowerDirs.map((d) => resolve(d));
  if (lowers.length === 0) {
    const empty = join(dirname(resolve(o.workDir)), 'empty-lower');
    await mkdir(empty, { recursive: true });
    await chmod(empty, 0o755);
    lowers = [empty];
  }
  const upper = resolve(o.upperDir);
  const work = resolve(o.workDir);
  for (const p of [...lowers, upper, work]) {
    if (/[,:\n]/.test(p)) throw invalidArgument(`overlay: path ${JSON.stringify(p)} contains ',' or ':', which mount options cannot carry`);
  }
  // The upper dir's own attributes become those of the merged root: set them
  // explicitly when we create it, whatever the daemon's umask.
  if ((await mkdir(upper, { recursive: true })) !== undefined) await chmod(upper, 0o755);
  await mkdir(work, { recursive: true, mode: 0o700 });
  await mkdir(o.target, { recursive: true, mode: 0o755 });

  // Long lower-dir lists are given relative to their common parent, run from there.
  let cwd: string | undefined;
  let lowerList = lowers.join(':');
  if (lowerList.length + upper.length + work.length + 64 > MAX_MOUNT_DATA) {
    cwd = commonParent(lowers);
    lowerList = lowers.map((l) => relative(cwd as string, l)).join(':');
  }
  const options = `lowerdir=${lowerList},upperdir=${upper},workdir=${work},index=off`;
  try {
    await execFileText('mount', ['-t', 'overlay', 'overlay', '-o', options, resolve(o.target)], { cwd, timeoutMs: 60_000 });
  } catch (err) {
    throw internal(`mounting overlay at ${o.target}: ${err instanceof ExecError ? err.stderr.trim() || err.message : String(err)}`, err);
  }
}

/** Unmounts `target`; does nothing when nothing is mounted there. */
export async function unmountOverlay(target: string): Promise<void> {
  let path: string;
  try {
    path = await realpath(target);
  } catch {
    return; // no such directory: nothing can be mounted there
  }
  if (!(await isMountPoint(path))) return;
  try {
    await execFileText('umount', [path], { timeoutMs: 60_000 });
  } catch (err) {
    if (!(await isMountPoint(path))) return; // someone else unmounted it meanwhile
    throw internal(`unmounting ${target}: ${err instanceof ExecError ? err.stderr.trim() || err.message : String(err)}`, err);
  }
}

async function isMountPoint(path: string): Promise<boolean> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of table.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint !== undefined && unescapeMountPath(mountPoint) === path) return true;
  }
  return false;
}

/** mountinfo escapes space, tab, newline and backslash as `\ooo`. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

function commonParent(paths: string[]): string {
  let prefix = dirname(paths[0]);
  while (!paths.every((p) => p === prefix || p.startsWith(`${prefix}/`))) prefix = dirname(prefix);
  return prefix;
}
