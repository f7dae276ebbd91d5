import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { hasCode } from '../util/errors.js';

/**
 * Driving conmon 2.1 as Podman 4.3 does (libpod/oci_conmon_linux.go). conmon runs
 * `<runtime> create`, then stays as the container's monitor: it holds the stdio,
 * writes the k8s-file log, serves the attach socket and, when the container exits,
 * drains stdio into the log and only then writes the exit files. It double-forks
 * and calls setsid, so it outlives the daemon. The engine runs `<runtime> start`.
 */
export interface ConmonOptions {
  conmonPath: string;
  runtimePath: string;
  /** Global runtime flags placed before `create` (e.g. `--root=DIR`, `--log=FILE`). */
  runtimeArgs: string[];
  id: string;
  bundleDir: string;
  /** Where the runtime writes the container's init pid (conmon's `-p`). */
  pidFile: string;
  conmonPidFile: string;
  /** `<exitDir>/<id>` receives the exit code: the directory the daemon watches. */
  exitDir: string;
  /** Receives `exit` and, after an OOM kill, `oom`. */
  persistDir: string;
  socketDir: string;
  logPath: string;
  /** `--log-size-max`: at this size conmon swaps the log for an empty one. */
  logSizeMax?: number;
  logLevel: string;
  /** Must equal the spec's process.terminal. */
  terminal: boolean;
  /** Keep a stdin pipe (`-i`); ignored with a terminal, whose pty carries stdin. */
  stdin: boolean;
  /** Keep stdin open after the first attached client leaves (Docker's StdinOnce = false). */
  leaveStdinOpen: boolean;
  /** fsync the log before the exit file is written (durability at the cost of exit latency). */
  syncLog: boolean;
  timeoutMs: number;
}

/**
 * What conmon (with `--full-attach`) creates in the bundle directory: `attach`, the
 * SOCK_SEQPACKET attach socket (each message from conmon is one stream byte, 2 for
 * stdout and 3 for stderr, then data; connect via `/proc/self/fd/<dirfd>/attach` when
 * the path passes 108 bytes), and the `ctl` and `winsz` fifos (`1 <rows> <cols>\n`
 * to `ctl` resizes the terminal).
 */
export function conmonBundleFiles(bundleDir: string): { attach: string; ctl: string; winsz: string } {
  return { attach: join(bundleDir, 'attach'), ctl: join(bundleDir, 'ctl'), winsz: join(bundleDir, 'winsz') };
}

/** `failed` carries conmon's message, which may be empty: the runtime's own log then has the reason. */
export type ConmonOutcome = { ok: true; pid: number } | { ok: false; message: string; timedOut: boolean };

const LOG_LEVELS: Record<string, string> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error' };

export function conmonArgs(o: ConmonOptions): string[] {
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', o.id,
    '-r', o.runtimePath,
    '-b', o.bundleDir,
    '-p', o.pidFile,
    '-n', o.id,
    '--exit-dir', o.exitDir,
    '--persist-dir', o.persistDir,
    '--socket-dir-path', o.socketDir,
    '--full-attach',
    '-l', `k8s-file:${o.logPath}`,
    '--log-level', LOG_LEVELS[o.logLevel] ?? 'error',
    '--conmon-pidfile', o.conmonPidFile,
  ];
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i');
  if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (!o.syncLog) args.push('--no-sync-log');
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  for (const a of o.runtimeArgs) args.push('--runtime-arg', a);
  return args;
}

/**
 * Spawns conmon and waits for the sync pipe's first message: `{"data": PID}` once
 * the container is created, `{"data": -1, "message": ...}` when the runtime failed
 * and wrote to stderr, or end-of-file when conmon gave up without a message (with
 * `--log=FILE` the runtime's stderr is empty, so the caller reads that file).
 *
 * fds 3 and 4 are Node socketpairs: conmon writes the sync message on 3 and blocks
 * on a read of 4 before forking. conmon's stdin/stdout/stderr are pipes we only
 * skim for early errors (bad arguments); conmon replaces them with /dev/null before
 * it forks the runtime, so no container ever holds them. After the answer every
 * pipe is closed; conmon ignores SIGPIPE and sends nothing more for a container.
 */
export function runConmon(o: ConmonOptions): Promise<ConmonOutcome> {
  return new Promise((resolve) => {
    const child = spawn(o.conmonPath, conmonArgs(o), {
      cwd: o.bundleDir,
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    const [, stdout, stderr, syncPipe, startPipe] = child.stdio as [null, Readable, Readable, Readable, Writable];
    const early: Buffer[] = [];
    const sync: Buffer[] = [];
    let settled = false;
    const finish = (outcome: ConmonOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of [stdout, stderr, syncPipe, startPipe]) s.destroy();
      child.unref();
      resolve(outcome);
    };
    const earlyText = (): string => Buffer.concat(early).toString('utf8').trim();
    const timer = setTimeout(() => {
      // A first conmon still running never forked; a forked one is the caller's to kill (its pidfile).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      finish({ ok: false, message: `conmon did not report within ${o.timeoutMs} ms`, timedOut: true });
    }, o.timeoutMs);

    stdout.on('data', (b: Buffer) => early.push(b));
    stderr.on('data', (b: Buffer) => early.push(b));
    for (const s of [stdout, stderr, syncPipe, startPipe]) s.on('error', () => undefined);
    child.on('error', (err) => finish({ ok: false, message: `cannot run ${o.conmonPath}: ${err.message}`, timedOut: false }));

    syncPipe.on('data', (b: Buffer) => {
      sync.push(b);
      const text = Buffer.concat(sync).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      finish(parseSyncMessage(text.slice(0, nl)));
    });
    // Without a message, report what conmon printed (option errors come before its
    // fork). Its stdout and stderr end with the sync pipe or before it: the forked
    // conmon swaps them for /dev/null at once, and a conmon that never forked exits.
    let open = 3;
    const closed = (): void => {
      if (--open > 0) return;
      const status = child.exitCode ? `conmon exited with status ${child.exitCode}` : '';
      finish({ ok: false, message: earlyText() || status, timedOut: false });
    };
    for (const s of [stdout, stderr, syncPipe]) s.on('end', closed);

    startPipe.end('0');
  });
}

/** conmon's `{"data": N[, "message": "..."]}`: N is the pid, or negative on failure. */
export function parseSyncMessage(line: string): ConmonOutcome {
  let msg: { data?: unknown; message?: unknown };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return { ok: false, message: `unexpected message from conmon: ${line}`, timedOut: false };
  }
  if (typeof msg.data === 'number' && msg.data > 0) return { ok: true, pid: msg.data };
  return { ok: false, message: typeof msg.message === 'string' ? msg.message.trim() : '', timedOut: false };
}

/**
 * The pid in a conmon pidfile if that process is alive and is the conmon of `id`:
 * /proc/<pid>/cmdline must name conmon and carry `-c <id>` (pids are reused), and a
 * zombie counts as dead (PID 1 here reaps slowly, so kill(pid, 0) would still succeed).
 */
export async function liveConmonPid(conmonPidFile: string, id: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(conmonPidFile, 'utf8')).trim(), 10);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return null;
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!argv[0]?.endsWith('conmon')) return null;
    const i = argv.indexOf('-c');
    if (i < 0 || argv[i + 1] !== id) return null;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X' ? null : pid;
  } catch {
    return null;
  }
}
