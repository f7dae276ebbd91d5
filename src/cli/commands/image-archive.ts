/** `berth save` and `berth load`: image tarballs through the daemon. */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from '../command.js';
import { CliError } from '../command.js';
import { ClientError, readJsonLines } from '../../client/index.js';

export const saveCommand: Command = {
  name: 'save',
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliases: ['berth image save', 'berth save'],
  minArgs: 1,
  flags: [{ name: 'output', short: 'o', description: 'Write to a file, instead of STDOUT' }],
  async run(flags, env) {
    const output = flags.string('output');
    if (!output && (env.io.out as { isTTY?: boolean }).isTTY) {
      throw new CliError('berth: cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    const client = await env.client();
    let tar: Readable;
    try {
      tar = await client.imagesGet(flags.positionals);
    } catch (err) {
      if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
      throw err;
    }
    if (!output) {
      await pipeline(tar, env.io.out);
      return 0;
    }
    // Written beside the target and renamed, so a failed save leaves no partial file.
    const tmp = `${output}.tmp-${process.pid}`;
    try {
      await pipeline(tar, createWriteStream(tmp));
      await rename(tmp, output);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return 0;
  },
};

export const loadCommand: Command = {
  name: 'load',
  usage: 'load [OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  aliases: ['berth image load', 'berth load'],
  maxArgs: 0,
  flags: [
    { name: 'input', short: 'i', description: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  async run(flags, env) {
    const input = flags.string('input');
    const source = (input ? createReadStream(input) : env.io.in) as Readable;
    const client = await env.client();
    let res: Readable;
    try {
      res = await client.imagesLoad(source, { quiet: flags.bool('quiet') });
    } catch (err) {
      if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
      throw err;
    }
    for await (const msg of readJsonLines(res)) {
      const m = msg as { stream?: string; error?: string; errorDetail?: { message?: string } };
      if (m.error) throw new CliError(m.errorDetail?.message ?? m.error, 1);
      if (m.stream) env.io.out.write(m.stream);
    }
    return 0;
  },
};
