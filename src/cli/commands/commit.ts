/** `berth commit` and `berth export`. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from '../command.js';
import { CliError, println } from '../command.js';
import { ClientError } from '../../client/index.js';

function daemonError(err: unknown): never {
  if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
  throw err;
}

export const commitCommand: Command = {
  name: 'commit',
  usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  aliases: ['berth container commit', 'berth commit'],
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'author', short: 'a', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'stringArray', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
  ],
  async run(flags, env) {
    const [container, reference] = flags.positionals;
    let repo: string | undefined;
    let tag: string | undefined;
    if (reference) {
      const slash = reference.lastIndexOf('/');
      const colon = reference.lastIndexOf(':');
      repo = colon > slash ? reference.slice(0, colon) : reference;
      tag = colon > slash ? reference.slice(colon + 1) : undefined;
    }
    const client = await env.client();
    try {
      const res = await client.commit({
        container, repo, tag, comment: flags.string('message') || undefined, author: flags.string('author') || undefined,
        pause: flags.bool('pause'), changes: flags.array('change'),
      });
      println(env.io.out, res.Id);
    } catch (err) {
      daemonError(err);
    }
    return 0;
  },
};

export const exportCommand: Command = {
  name: 'export',
  usage: 'export [OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  aliases: ['berth container export', 'berth export'],
  minArgs: 1,
  maxArgs: 1,
  flags: [{ name: 'output', short: 'o', description: 'Write to a file, instead of STDOUT' }],
  async run(flags, env) {
    const output = flags.string('output');
    if (!output && (env.io.out as { isTTY?: boolean }).isTTY) {
      throw new CliError('berth: cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    const client = await env.client();
    let tar: Readable;
    try {
      tar = await client.containerExport(flags.positionals[0]);
    } catch (err) {
      daemonError(err);
    }
    if (!output) {
      await pipeline(tar, env.io.out);
      return 0;
    }
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
