/** `berth commit` and `berth export`. */
import type { Command } from '../command.js';
import { CliError, println } from '../command.js';
import { writeTarOutput } from '../archive-output.js';
import { splitTag } from '../../util/reference.js';
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
    const { name: repo, tag } = reference ? splitTag(reference) : { name: undefined, tag: undefined };
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
    await writeTarOutput(env.io, flags.string('output'), async () => (await env.client()).containerExport(flags.positionals[0]));
    return 0;
  },
};
