import type { Command } from '../command.js';
import { println } from '../command.js';

const KINDS = ['C', 'A', 'D'];

export const diffCommand: Command = {
  name: 'diff',
  usage: 'diff CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  aliases: ['berth container diff', 'berth diff'],
  minArgs: 1,
  maxArgs: 1,
  flags: [],
  async run(flags, env) {
    const client = await env.client();
    for (const c of (await client.containerChanges(flags.positionals[0])) ?? []) println(env.io.out, `${KINDS[c.Kind] ?? '?'} ${c.Path}`);
    return 0;
  },
};
