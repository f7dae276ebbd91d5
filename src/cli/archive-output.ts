import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Io } from './command.js';
import { CliError } from './command.js';
import { ClientError } from '../client/index.js';

/**
 * Where `save` and `export` put a tar stream: stdout (never a terminal), or
 * `output`, written beside the target and renamed so a failure leaves no
 * partial file. `open` asks the daemon for the stream; its errors are the
 * daemon's, reported as docker does.
 */
export async function writeTarOutput(io: Io, output: string, open: () => Promise<Readable>): Promise<void> {
  if (!output && (io.out as { isTTY?: boolean }).isTTY) {
    throw new CliError('berth: cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  }
  let tar: Readable;
  try {
    tar = await open();
  } catch (err) {
    if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
    throw err;
  }
  if (!output) {
    await pipeline(tar, io.out);
    return;
  }
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    await pipeline(tar, createWriteStream(tmp));
    await rename(tmp, output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
