import type { Writable } from 'node:stream';

/** Docker's multiplexed stream: an 8-byte header [stream, 0, 0, 0, size BE32] then the payload. */
export function frame(stream: 0 | 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Writes and respects backpressure: resolves when the destination can take more. */
export function writeWithBackpressure(out: Writable, chunk: Buffer | string): Promise<void> | undefined {
  if (out.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** conmon writes "...+00:00"; Docker prints "...Z". */
export function dockerTimestamp(time: string): string {
  return time.replace(/\+00:00$/, 'Z');
}
