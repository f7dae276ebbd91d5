import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { hasCode } from '../util/errors.js';
import { keptPath } from './log-rotation.js';
import { tailStart } from './log-tail.js';

/**
 * One line of conmon's k8s-file log:
 * `2026-11-23T01:19:24.343042824+00:00 stdout F hello`. conmon splits output at
 * newlines; a piece that did not end in one (its read ended mid-line) is written
 * as a `P` (partial) record, and the line's end comes in later records.
 */
export interface LogRecord {
  /** The timestamp as written: RFC 3339 with nanoseconds and the host's UTC offset. */
  time: string;
  /** Nanoseconds since the Unix epoch. */
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  /** The bytes the container wrote, without the newline that ends an `F` record. */
  data: Buffer;
}

export interface ReadLogOptions {
  /** Only records at or after this time. */
  sinceNs?: bigint;
  /** Only records at or before this time; reading stops at the first later one. */
  untilNs?: bigint;
  /** Start with the last `tail` records of the file (0: none); the default is all. */
  tail?: number;
  /** Keep reading what is appended, until `isRunning()` is false and the file is drained, or `signal` aborts. */
  follow?: boolean;
  /** Asked at each end of file while following; without it, following ends only by `signal`. */
  isRunning?: () => boolean;
  /**
   * While following: when this settles the writer is known to be gone, so the
   * follower drains the file once more and ends at once instead of noticing
   * at its next poll.
   */
  stopWhen?: Promise<unknown>;
  signal?: AbortSignal;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch for an RFC 3339 timestamp, or null if it is not one. */
export function parseTimeNs(time: string): bigint | null {
  const m = TIME.exec(time);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let offsetSec = 0;
  if (zone !== 'Z') {
    offsetSec = (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60) * (zone[0] === '-' ? -1 : 1);
  }
  const secs = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000 - offsetSec;
  return BigInt(secs) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
}

/** Parses one record (without its trailing newline); null for a line that is not one. The data is copied. */
export function parseLogLine(line: Buffer): LogRecord | null {
  const sp1 = line.indexOf(0x20);
  const sp2 = sp1 < 0 ? -1 : line.indexOf(0x20, sp1 + 1);
  if (sp2 < 0) return null;
  const tag = line.subarray(sp2 + 1, sp2 + 2).toString('latin1');
  if ((tag !== 'F' && tag !== 'P') || (line.length > sp2 + 2 && line[sp2 + 2] !== 0x20)) return null;
  const time = line.subarray(0, sp1).toString('latin1');
  const stream = line.subarray(sp1 + 1, sp2).toString('latin1');
  const timeNs = parseTimeNs(time);
  if (timeNs === null || (stream !== 'stdout' && stream !== 'stderr')) return null;
  return { time, timeNs, stream, partial: tag === 'P', data: Buffer.from(line.subarray(Math.min(sp2 + 3, line.length))) };
}

const CHUNK = 64 * 1024;
const POLL_MS = 500;

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return null;
    throw err;
  }
}

/**
 * Wakes a follower when the log's directory reports a change to the log (inotify),
 * or after POLL_MS in case the watch misses something (or the directory is absent).
 * A change seen while nobody waits is remembered.
 */
class ChangeWaiter {
  private dirty = false;
  private wake: (() => void) | undefined;
  private readonly watcher: FSWatcher | undefined;

  constructor(path: string, private readonly signal?: AbortSignal) {
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), (_event, file) => {
        if (file === null || file.toString() === name) this.poke();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
    signal?.addEventListener('abort', this.poke, { once: true });
  }

  readonly poke = (): void => {
    this.dirty = true;
    this.wake?.();
  };

  async wait(): Promise<void> {
    if (!this.dirty && !this.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.dirty = false;
  }

  close(): void {
    this.watcher?.close();
    this.signal?.removeEventListener('abort', this.poke);
  }
}

/**
 * Opens a log and its rotated files (and a file cut off but not yet moved), oldest first, the live file (if any) last.
 * Opening newest first and skipping inodes already open makes a rotation during
 * the opening harmless: a file is never read twice.
 */
async function openLogSet(path: string): Promise<{ files: FileHandle[]; live: FileHandle | null }> {
  const seen = new Set<number>();
  const take = async (p: string): Promise<FileHandle | null> => {
    const fh = await openIfExists(p);
    if (!fh) return null;
    const { ino } = await fh.stat();
    if (seen.has(ino)) {
      await fh.close();
      return null;
    }
    seen.add(ino);
    return fh;
  };
  const live = await take(path);
  const rotated: FileHandle[] = [];
  const cut = await take(keptPath(path)); // cut off, not yet moved to <path>.1
  if (cut) rotated.push(cut);
  // By name, not by probing .1, .2, ... up to a gap: a rotation shifting the files
  // while they are opened leaves a gap for a moment.
  const name = basename(path);
  const numbers = (await readdir(dirname(path)).catch(() => [] as string[]))
    .map((n) => (n.startsWith(`${name}.`) && /^\d+$/.test(n.slice(name.length + 1)) ? Number(n.slice(name.length + 1)) : 0))
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  for (const i of numbers) {
    const fh = await take(`${path}.${i}`);
    if (fh) rotated.push(fh);
  }
  return { files: rotated.reverse(), live };
}

/**
 * Reads a k8s-file log as records, from its rotated files (`<path>.N` … `<path>.1`,
 * see log-rotation.ts) through the live file. A missing log yields nothing (the
 * container never started), or is waited for when following. Following goes on
 * through rotations: when the live path names a new file, the old one is drained
 * and the new one read from its start. Only newline-terminated records are
 * returned: a torn last line is held back while following and dropped otherwise.
 * Aborting the signal ends the iteration without an error.
 */
export async function* readLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogRecord> {
  const { signal, sinceNs, untilNs } = opts;
  const set = await openLogSet(path);
  const queue: FileHandle[] = set.live ? [...set.files, set.live] : [...set.files];
  if (queue.length === 0 && !opts.follow) return;
  const waiter = opts.follow ? new ChangeWaiter(path, signal) : undefined;
  let stopRequested = false;
  void opts.stopWhen?.then(() => {
    stopRequested = true;
    waiter?.poke();
  });
  let fh: FileHandle | null = null;
  try {
    let pos = 0;
    if (opts.tail !== undefined && queue.length > 0) {
      const start = await tailStart(queue, opts.tail);
      for (const skipped of queue.splice(0, start.index)) await skipped.close();
      pos = start.offset;
    }
    fh = queue.shift() ?? null;
    let rest: Buffer = Buffer.alloc(0);
    let lastPass = false;
    let settled = false;
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      fh ??= await openIfExists(path);
      if (fh) {
        if ((await fh.stat()).size < pos) pos = 0; // truncated under us: start over
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          const data = rest.length ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
          let start = 0;
          for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
            const rec = parseLogLine(data.subarray(start, nl));
            start = nl + 1;
            if (!rec || (sinceNs !== undefined && rec.timeNs < sinceNs)) continue;
            if (untilNs !== undefined && rec.timeNs > untilNs) return;
            yield rec;
            if (signal?.aborted) return;
          }
          rest = Buffer.from(data.subarray(start));
        }
        // A rotated file is complete: go on with the next one. When the live file was
        // rotated, its successors are queued and it is drained once more first: conmon
        // writes to it until it reopens the path, and a successor exists only after that.
        if (queue.length > 0 && (settled || !opts.follow || !(await isLive(fh, path)))) {
          settled = false;
          await fh.close();
          fh = queue.shift()!;
          pos = 0;
          rest = Buffer.alloc(0);
          continue;
        }
        if (opts.follow && queue.length === 0 && (await replacedBy(fh, path))) {
          queue.push(...(await newerFiles(fh, path)));
          if (queue.length > 0) {
            settled = true;
            continue;
          }
        }
      }
      if (!opts.follow || signal?.aborted || lastPass) return;
      // The writer is gone: everything it wrote is in the file, so one more pass drains it.
      if (stopRequested || (opts.isRunning && !opts.isRunning())) {
        lastPass = true;
        continue;
      }
      await waiter!.wait();
    }
  } finally {
    waiter?.close();
    await fh?.close();
    for (const left of queue) await left.close();
  }
}

/** True when `path` no longer names `fh` (the log was rotated, or is being). */
async function replacedBy(fh: FileHandle, path: string): Promise<boolean> {
  const [now, open] = await Promise.all([stat(path).catch(() => null), fh.stat()]);
  return now === null || now.ino !== open.ino;
}

/** True when `path` names `fh`. */
async function isLive(fh: FileHandle, path: string): Promise<boolean> {
  return !(await replacedBy(fh, path));
}

/**
 * The files of a log's set that are newer than `fh`, oldest first. Files leave the
 * set oldest first, so when `fh` is no longer in it, every file in it is newer.
 */
async function newerFiles(fh: FileHandle, path: string): Promise<FileHandle[]> {
  const { ino } = await fh.stat();
  const { files, live } = await openLogSet(path);
  const all = live ? [...files, live] : files;
  const inos = await Promise.all(all.map(async (f) => (await f.stat()).ino));
  const at = inos.indexOf(ino);
  for (const f of all.slice(0, at + 1)) await f.close();
  return all.slice(at + 1);
}
