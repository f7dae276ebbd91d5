import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { EngineError } from '../util/errors.js';
import type { OciProcess } from '../spec/oci-runtime.js';
import { connectAttachSocket, resizeTerminal, type AttachSocket } from './attach-socket.js';
import { parseSyncMessage } from './conmon.js';
import type { OciBinary } from './oci.js';

export interface ExecOptions {
  /** The container the process joins. */
  containerId: string;
  /** An id for this exec, unique among the container's execs: names its conmon session. */
  execId: string;
  /** A private, short directory: conmon puts `attach`, `ctl` and the exit file here. */
  dir: string;
  process: OciProcess;
  /** Connect to the process's stdio through the attach socket; without it the output is dropped. */
  attach: boolean;
  /** Keep a stdin pipe (only with attach; a terminal always carries stdin). */
  stdin: boolean;
}

/**
 * A process running in a container under its own conmon (as `podman exec` does):
 * conmon runs `<runtime> exec --process FILE`, serves the attach socket, and
 * reports on its sync pipe first the pid, then the exit code.
 */
export interface ExecSession {
  readonly pid: number;
  /** Present with `attach`: the process's stdio. Output ends before `exited` settles or shortly after. */
  readonly io: AttachSocket | undefined;
  /** The exit code. */
  readonly exited: Promise<number>;
  resize(rows: number, cols: number): Promise<void>;
}

/** Docker's exit codes for an exec that could not run its command. */
export function execFailureCode(message: string): number {
  if (/not found|no such file or directory/i.test(message)) return 127;
  return 126;
}

/**
 * conmon's handshake for an attached exec: one byte on the start pipe lets it
 * set up; `{"data": 0}` on the attach pipe says the socket is ready; we connect
 * and write the start pipe again; the sync pipe then carries the pid and later
 * the exit code (or `{"data": -1, "message"}` when the runtime could not exec).
 * A failure to exec throws an EngineError whose message is the runtime's, with
 * `exitCode` 126 or 127 set on it.
 */
export async function startExec(
  s: { conmonPath: string; runtime: OciBinary; logLevel: string },
  o: ExecOptions,
): Promise<ExecSession> {
  await rm(o.dir, { recursive: true, force: true });
  await mkdir(join(o.dir, 'exits'), { recursive: true });
  const specPath = join(o.dir, 'process.json');
  await writeFile(specPath, JSON.stringify(o.process));
  const args = [
    '--api-version', '1',
    '-c', o.containerId,
    '-u', o.execId,
    '-r', s.runtime.path,
    '-b', o.dir,
    '-p', join(o.dir, 'pid'),
    '-n', o.containerId,
    '--exit-dir', join(o.dir, 'exits'),
    '--full-attach',
    '-l', 'none',
    '--log-level', s.logLevel === 'debug' ? 'info' : 'error',
    '-e',
    '--exec-process-spec', specPath,
    // Only --root: the runtime's exec error must reach conmon's sync message, not a log file.
    '--runtime-arg', `--root=${s.runtime.root}`,
  ];
  if (o.attach) args.push('--exec-attach');
  if (o.process.terminal) args.push('-t');
  else if (o.stdin && o.attach) args.push('-i');

  const child = spawn(s.conmonPath, args, {
    cwd: o.dir,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      _OCI_SYNCPIPE: '3',
      _OCI_STARTPIPE: '4',
      ...(o.attach ? { _OCI_ATTACHPIPE: '5' } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(o.attach ? (['pipe'] as const) : [])],
  });
  child.unref();
  const [, , stderr, syncPipe, startPipe, attachPipe] = child.stdio as unknown as [null, null, Readable, Readable, Writable, Readable | undefined];
  const early: Buffer[] = [];
  stderr.on('data', (b: Buffer) => early.push(b));
  for (const p of [stderr, syncPipe, startPipe, attachPipe]) p?.on('error', () => undefined);
  const messages = new SyncReader(syncPipe, () => Buffer.concat(early).toString('utf8').trim());
  const cleanup = () => {
    for (const p of [stderr, syncPipe, startPipe, attachPipe]) p?.destroy();
  };

  let io: AttachSocket | undefined;
  try {
    startPipe.write('0');
    if (attachPipe) {
      await new SyncReader(attachPipe, () => Buffer.concat(early).toString('utf8').trim()).next();
      io = await connectAttachSocket(join(o.dir, 'attach'));
      startPipe.write('0');
    }
    const first = parseSyncMessage(await messages.next());
    if (!first.ok) {
      const message = first.message.split('\n').filter((l) => l && !l.startsWith('[conmon')).join('; ') || 'exec failed';
      throw Object.assign(new EngineError('Internal', `OCI runtime exec failed: exec failed: unable to start container process: ${message}`), {
        exitCode: execFailureCode(message),
      });
    }
    const exited = messages.next().then(
      (line) => {
        cleanup();
        const msg = JSON.parse(line) as { data?: unknown };
        return typeof msg.data === 'number' && msg.data >= 0 ? msg.data : 255;
      },
      () => {
        cleanup();
        return 255;
      },
    );
    return { pid: first.pid, io, exited, resize: (rows, cols) => resizeTerminal(join(o.dir, 'ctl'), rows, cols) };
  } catch (err) {
    io?.close();
    cleanup();
    throw err;
  }
}

/** Newline-delimited messages from one of conmon's pipes. */
class SyncReader {
  private buf = '';
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(pipe: Readable, private readonly context: () => string) {
    pipe.setEncoding('utf8');
    pipe.on('data', (text: string) => {
      this.buf += text;
      this.waiter?.();
    });
    pipe.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  async next(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return line;
      }
      if (this.ended) throw new EngineError('Internal', `conmon ended the exec session without a report${this.context() ? `: ${this.context()}` : ''}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}
