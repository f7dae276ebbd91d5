import { constants, watch, type FSWatcher } from 'node:fs';
import { link, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hasCode, messageOf } from '../util/errors.js';
import { log } from '../util/log.js';

/**
 * Rotation of conmon's k8s-file logs, built on what conmon 2.1.6 does (measured):
 * - it keeps writing to its open file after a rename or unlink, and reopens its log
 *   path (creating a new file) when `2 0 0\n` is written to the container's `ctl`
 *   fifo; SIGUSR1 does not reopen it;
 * - with `--log-size-max N` it replaces the log with a new empty file (a new inode
 *   renamed over the path) when its next write would pass N: the old content is
 *   unlinked.
 * berth rotates by size itself: a hard link `.<log>.keep` names the live file; a
 * rotation unlinks the live path and asks conmon to reopen it, so the old inode
 * lives on under the keep link (conmon's last writes to it included) until it is
 * shifted to `<log>.1` (older ones to `.2` …, and past max-file, deleted) and the
 * new live file is linked. Nothing is lost or reordered, but a fast writer can
 * pass the size by what it writes while a rotation runs.
 * conmon's own cut is only a bound for when berthd is down: at max-size plus
 * BACKSTOP_BYTES. Its cuts are saved by the keep link as long as berthd sees each
 * one before the next; it is set far above max-size because two cuts between
 * two looks of the rotator lose the file in between.
 */
export const BACKSTOP_BYTES = 64 * 1024 * 1024;

export interface RotationTarget {
  logPath: string;
  /** The container's conmon `ctl` fifo. */
  ctlPath: string;
  maxBytes: number;
  /** Files kept in all, the live one included; 1 keeps only the live file. */
  maxFiles: number;
}

/** `<log>.1` … `<log>.<n>`: the rotated files of a log, newest first. */
export function rotatedPaths(logPath: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${logPath}.${i + 1}`);
}

/** The hard link that names the live log's inode until the rotator has moved it (see above). */
export function keptPath(logPath: string): string {
  return join(dirname(logPath), `.${basename(logPath)}.keep`);
}

const inode = (path: string): Promise<number | null> => stat(path).then((s) => s.ino, () => null);

/**
 * Cuts the live log: unlinks its path (the keep link still names the file) and
 * asks conmon to reopen it. Does nothing when no conmon listens on `ctl` (the
 * container is gone), so a finished log is never cut.
 */
async function cutLive(t: RotationTarget): Promise<void> {
  let ctl;
  try {
    ctl = await open(t.ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (hasCode(err, 'ENXIO') || hasCode(err, 'ENOENT')) return;
    throw err;
  }
  try {
    if ((await inode(keptPath(t.logPath))) !== (await inode(t.logPath))) return; // not settled yet
    await rm(t.logPath, { force: true });
    await ctl.write('2 0 0\n');
  } finally {
    await ctl.close();
  }
}

/**
 * Moves a file that was cut off (named by the keep link) to `<log>.1`, shifting the
 * older ones and deleting those past maxFiles, then links the live file. Does
 * nothing while the keep link and the live path name the same file.
 */
export async function settleRotation(t: RotationTarget): Promise<void> {
  const keep = keptPath(t.logPath);
  const [liveIno, keptIno] = await Promise.all([inode(t.logPath), inode(keep)]);
  if (keptIno !== null && keptIno === liveIno) return;
  if (keptIno !== null) {
    const older = Math.max(0, t.maxFiles - 1);
    if (older === 0) {
      await rm(keep, { force: true });
    } else {
      const rotated = rotatedPaths(t.logPath, older);
      await rm(`${t.logPath}.${older}`, { force: true });
      for (let i = older - 1; i >= 1; i--) {
        await rename(rotated[i - 1], rotated[i]).catch((err) => {
          if (!hasCode(err, 'ENOENT')) throw err;
        });
      }
      await rename(keep, rotated[0]);
    }
  }
  if (liveIno !== null) {
    await link(t.logPath, keep).catch((err) => {
      if (!hasCode(err, 'EEXIST') && !hasCode(err, 'ENOENT')) throw err;
    });
  }
}

/**
 * Rotates the logs of running containers (see above). The log's directory is
 * watched (inotify), so a check follows each burst of writes; a check is also made
 * when a watch starts and when it stops. A log may pass maxBytes by what is
 * written while a check runs.
 */
export class LogRotator {
  private readonly watched = new Map<string, Watched>();

  /** Starts rotating; resolves after the first check, which links the live file. */
  watch(id: string, target: RotationTarget): Promise<void> {
    this.watched.get(id)?.watcher?.close();
    const entry: Watched = { target, busy: false, again: false };
    const name = basename(target.logPath);
    try {
      entry.watcher = watch(dirname(target.logPath), (_event, file) => {
        if (file === null || file.toString() === name) void this.check(entry);
      });
      entry.watcher.on('error', () => undefined);
      entry.watcher.unref();
    } catch (err) {
      log.warn('cannot watch a container log for rotation', { id, error: messageOf(err) });
    }
    this.watched.set(id, entry);
    return this.check(entry);
  }

  /**
   * Stops following; a cut still pending is settled, but a finished log is not cut
   * again (its conmon may still answer on ctl while it exits). The next start
   * rotates it if it is past the size.
   */
  unwatch(id: string): void {
    const entry = this.watched.get(id);
    if (!entry) return;
    this.watched.delete(id);
    entry.watcher?.close();
    entry.finished = true;
    void this.check(entry);
  }

  close(): void {
    for (const e of this.watched.values()) e.watcher?.close();
    this.watched.clear();
  }

  private async check(entry: Watched): Promise<void> {
    if (entry.busy) {
      entry.again = true;
      return;
    }
    entry.busy = true;
    try {
      do {
        entry.again = false;
        await settleRotation(entry.target);
        const size = entry.finished ? 0 : await stat(entry.target.logPath).then((st) => st.size, () => 0);
        if (size >= entry.target.maxBytes) await cutLive(entry.target);
      } while (entry.again);
    } catch (err) {
      log.warn('log rotation failed', { log: entry.target.logPath, error: messageOf(err) });
    } finally {
      entry.busy = false;
    }
  }
}

interface Watched {
  target: RotationTarget;
  watcher?: FSWatcher;
  busy: boolean;
  again: boolean;
  /** The container stopped: settle only, never cut. */
  finished?: boolean;
}
