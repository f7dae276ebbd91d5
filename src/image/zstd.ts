/**
 * zstd decompression through Debian's `zstd` binary: Node 20's zlib has no
 * zstd. The child reads the compressed bytes on stdin and writes the tar on
 * stdout; a corrupt frame or a missing binary fails the returned stream with
 * the tool's message, which the tar reader reports as a broken archive.
 */
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The decompressed bytes of `input` (a zstd stream). Destroying the result stops the child. */
export function zstdDecompress(input: AsyncIterable<Buffer>): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const fail = (message: string): void => {
    const err = Object.assign(new Error(`zstd: ${message}`), { code: 'Z_DATA_ERROR' });
    out.destroy(err);
  };
  child.once('error', (err) => fail(err.message));
  // Our write side: input → zstd. An EPIPE here means zstd gave up; its exit explains why.
  pipeline(Readable.from(input), child.stdin).catch(() => child.kill('SIGKILL'));
  // The stream ends only once zstd exited 0: a cut-off frame must not look like a short tar.
  child.stdout.pipe(out, { end: false });
  child.once('close', (code, signal) => {
    if (out.destroyed) return;
    if (code === 0) out.end();
    else fail(stderr.trim().split('\n').pop() || `exited with ${code ?? signal}`);
  });
  out.once('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return out;
}
