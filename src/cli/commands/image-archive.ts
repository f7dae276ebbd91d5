/** `berth save` and `berth load`: image tarballs through the daemon. */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from '../command.js';
import { CliError } from '../command.js';
import { writeTarOutput } from '../archive-output.js';
import { ClientError, readJsonLines } from '../../client/index.js';

export const saveCommand: Command = {
  name: 'save',
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliases: ['berth image save', 'berth save'],
  minArgs: 1,
  flags: [{ name: 'output', short: 'o', description: 'Write to a file, instead of STDOUT' }],
  async run(flags, env) {
    await writeTarOutput(env.io, flags.string('output'), async () => (await env.client()).imagesGet(flags.positionals));
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
