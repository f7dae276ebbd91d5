import type { FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;
/** Enough of a record's start to hold its time, stream and tag. */
const HEAD = 64;

/**
 * Whether a k8s-file record (given by its first bytes) ends a line: its tag is `F`.
 * conmon writes a line its read buffer cut as `P` records and a final `F`; text that
 * is not a record counts as a line, so nothing is hidden.
 */
function endsLine(head: Buffer): boolean {
  const sp1 = head.indexOf(0x20);
  const sp2 = sp1 < 0 ? -1 : head.indexOf(0x20, sp1 + 1);
  return sp2 < 0 || head[sp2 + 1] !== 0x50; // 'P'
}

/**
 * The end offsets (just past the newline) of the records of one file that end a
 * line, last first, read backwards in chunks so a tail of a large file reads
 * little. A torn last record (no newline yet) is not one of them.
 */
async function* lineEndsBackward(fh: FileHandle): AsyncGenerator<number> {
  const { size } = await fh.stat();
  const buf = Buffer.alloc(CHUNK);
  let after = Buffer.alloc(0); // the first bytes of the chunk read before (the one after this one)
  let pendingEnd: number | null = null; // a record's end whose start is not found yet
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const data = buf.subarray(0, bytesRead);
    const headAt = (i: number): Buffer => {
      const own = data.subarray(i, i + HEAD);
      return own.length >= HEAD ? own : Buffer.concat([own, after]).subarray(0, HEAD);
    };
    for (let i = data.lastIndexOf(0x0a); i >= 0; i = i > 0 ? data.lastIndexOf(0x0a, i - 1) : -1) {
      if (pendingEnd !== null && endsLine(headAt(i + 1))) yield pendingEnd;
      pendingEnd = start + i + 1;
    }
    after = Buffer.from(data.subarray(0, HEAD));
    end = start;
  }
  if (pendingEnd !== null && endsLine(after)) yield pendingEnd;
}

/**
 * Where the last `n` lines of a set of log files (oldest first) begin: a file index
 * and an offset in it. Lines, not records: a line cut into `P` records counts once,
 * as `docker logs --tail` counts entries. With `n` 0 it is the end of the last file.
 */
export async function tailStart(files: FileHandle[], n: number): Promise<{ index: number; offset: number }> {
  if (files.length === 0) return { index: 0, offset: 0 };
  if (n <= 0) return { index: files.length - 1, offset: (await files[files.length - 1].stat()).size };
  let seen = 0;
  for (let i = files.length - 1; i >= 0; i--) {
    for await (const end of lineEndsBackward(files[i])) {
      // Past the n-th line from the end lies the end of the line before it: start there.
      if (++seen === n + 1) return { index: i, offset: end };
    }
  }
  return { index: 0, offset: 0 };
}
