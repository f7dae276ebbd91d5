/**
 * Decoders for the Engine API's streaming bodies: docker's multiplexed
 * stdout/stderr frames (logs, attach and exec without a TTY) and the
 * newline-delimited JSON of pull, push, build, load and events.
 *
 * Both read with `for await`, so a slow consumer holds the socket back
 * instead of the client buffering without bound.
 */
import { StringDecoder } from 'node:string_decoder';

/** One frame of a multiplexed stream; the header byte names the stream. */
export type StreamFrame =
  | { stream: 'stdin'; data: Buffer }
  | { stream: 'stdout'; data: Buffer }
  | { stream: 'stderr'; data: Buffer }
  /** The daemon reporting an error in the middle of the stream (stdcopy's Systemerr). */
  | { stream: 'system'; data: Buffer };

const STREAM_NAMES = ['stdin', 'stdout', 'stderr', 'system'] as const;
const HEADER_LENGTH = 8;

/** True when `head` starts like a frame header: [0..3, 0, 0, 0]. */
function looksFramed(head: Buffer): boolean {
  return head[0] <= 3 && head[1] === 0 && head[2] === 0 && head[3] === 0;
}

/**
 * Splits a multiplexed stream into frames. A stream whose first bytes are
 * not a frame header (a TTY's raw output, or a server that does not frame)
 * is passed through as stdout, chunk by chunk, as dockerode's demuxStream does.
 */
export async function* readFrames(readable: AsyncIterable<Buffer | string>): AsyncGenerator<StreamFrame> {
  let pending: Buffer = Buffer.alloc(0);
  let mode: 'unknown' | 'framed' | 'raw' = 'unknown';
  for await (const chunk of readable) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (mode === 'raw') {
      yield { stream: 'stdout', data: bytes };
      continue;
    }
    pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
    if (mode === 'unknown') {
      // Decide on the first byte when it cannot start a header, so a raw
      // prompt of one or two bytes is not held back waiting for more.
      if (pending[0] <= 3 && pending.length < 4) continue;
      mode = looksFramed(pending) ? 'framed' : 'raw';
      if (mode === 'raw') {
        yield { stream: 'stdout', data: pending };
        pending = Buffer.alloc(0);
        continue;
      }
    }
    while (pending.length >= HEADER_LENGTH) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER_LENGTH + size) break;
      const kind = pending[0];
      if (kind > 3) throw new Error(`Unrecognized input header: ${kind}`);
      const data = pending.subarray(HEADER_LENGTH, HEADER_LENGTH + size);
      pending = pending.subarray(HEADER_LENGTH + size);
      yield { stream: STREAM_NAMES[kind], data } as StreamFrame;
    }
  }
  if (pending.length > 0) {
    // A short stream that never filled a header is raw output; a cut frame is an error.
    if (mode !== 'framed') yield { stream: 'stdout', data: pending };
    else throw new Error('unexpected EOF in multiplexed stream');
  }
}

export type ChunkSink = (data: Buffer) => void | boolean | Promise<void>;

/**
 * Sends each frame's payload to `onStdout` or `onStderr` (stdin frames count
 * as stdout, as in docker's stdcopy). A sink may return a promise to hold
 * the stream until it has taken the data. Resolves at the end of the stream;
 * rejects with "error from daemon in stream: …" when the daemon reports one.
 */
export async function demuxStream(
  readable: AsyncIterable<Buffer | string>,
  onStdout: ChunkSink,
  onStderr: ChunkSink,
): Promise<void> {
  for await (const frame of readFrames(readable)) {
    let result: ReturnType<ChunkSink>;
    switch (frame.stream) {
      case 'stdin':
      case 'stdout':
        result = onStdout(frame.data);
        break;
      case 'stderr':
        result = onStderr(frame.data);
        break;
      case 'system':
        throw new Error(`error from daemon in stream: ${frame.data.toString('utf8')}`);
    }
    if (result instanceof Promise) await result;
  }
}

/**
 * Yields each JSON value of a newline-delimited JSON stream, as the daemon
 * writes them (blank lines and `\r\n` endings are accepted; a last line
 * without a newline still counts). A line that is not JSON throws.
 */
export async function* readJsonLines<T = unknown>(readable: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const parse = (line: string): T => {
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`invalid JSON in stream: ${line.length > 200 ? line.slice(0, 200) + '…' : line}`);
    }
  };
  for await (const chunk of readable) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield parse(line);
    }
  }
  pending += decoder.end();
  if (pending.trim() !== '') yield parse(pending.trim());
}
