import type { Duplex } from 'node:stream';
import { demuxStream } from '../client/index.js';
import type { Io } from './command.js';
import { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys } from '../util/detach-keys.js';

export { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys };

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => void };
type TtyOut = NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number; on(e: 'resize', l: () => void): unknown; off(e: 'resize', l: () => void): unknown };

/** Puts the local terminal in raw mode when stdin is one; returns the undo. */
export function rawMode(io: Io): () => void {
  const input = io.in as TtyIn;
  if (!input.isTTY || !input.setRawMode) return () => undefined;
  input.setRawMode(true);
  return () => input.setRawMode?.(false);
}

/** The local terminal's size, when stdout is a terminal. */
export function terminalSize(io: Io): [number, number] | undefined {
  const out = io.out as TtyOut;
  return out.isTTY && out.rows && out.columns ? [out.rows, out.columns] : undefined;
}

/** Sends the terminal's size now and on every SIGWINCH (stdout's 'resize'); returns the undo. */
export function followResize(io: Io, resize: (rows: number, cols: number) => Promise<void>): () => void {
  const out = io.out as TtyOut;
  if (!out.isTTY) return () => undefined;
  const send = () => {
    const size = terminalSize(io);
    if (size) void resize(size[0], size[1]).catch(() => undefined);
  };
  send();
  out.on('resize', send);
  return () => out.off('resize', send);
}

export interface SessionResult {
  /** The user typed the detach sequence: the process keeps running. */
  detached: boolean;
}

/**
 * Runs one interactive session over a hijacked stream: output to our stdout
 * (demultiplexed unless tty), and, with `stdin`, our stdin to the stream,
 * half-closing it at our stdin's end. Settles when the daemon ends the output
 * or the detach keys are typed.
 */
export async function runSession(
  io: Io,
  stream: Duplex,
  o: { tty: boolean; stdin: boolean; detachKeys?: string },
): Promise<SessionResult> {
  let detached = false;
  let detach: () => void = () => undefined;
  const detachedNow = new Promise<void>((resolve) => (detach = resolve));
  const input = io.in;
  const watcher = new DetachWatcher(o.tty ? parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS) : Buffer.alloc(0));
  const onData = (chunk: Buffer | string) => {
    const { forward, detach: hit } = watcher.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (forward.length) stream.write(forward);
    if (hit) {
      detached = true;
      detach();
    }
  };
  const onEnd = () => stream.end();
  if (o.stdin) {
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  }
  stream.on('error', () => undefined);
  const write = (to: NodeJS.WritableStream) => (b: Buffer) => void to.write(b);
  const output = (async () => {
    try {
      if (o.tty) for await (const chunk of stream) write(io.out)(chunk as Buffer);
      else await demuxStream(stream, write(io.out), write(io.err));
    } catch {
      // a cut connection ends the output
    }
  })();
  try {
    await Promise.race([output, detachedNow]);
  } finally {
    if (o.stdin) {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    }
    if (detached) stream.destroy();
  }
  return { detached };
}
