import type { Command } from '../command.js';
import { UsageError } from '../flags.js';
import { forEachTarget } from '../output.js';
import type { HostConfig } from '../../spec/docker-container.js';
import { RESOURCE_FLAGS, applyResourceFlags } from './resource-flags.js';
import { parseRestart } from './create-options.js';

/** `berth update [OPTIONS] CONTAINER [CONTAINER...]`: new limits or restart policy, running or not. */
export const updateCommand: Command = {
  name: 'update',
  usage: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  aliases: ['berth container update', 'berth update'],
  minArgs: 1,
  flags: [...RESOURCE_FLAGS, { name: 'restart', description: 'Restart policy to apply when a container exits' }],
  async run(flags, env) {
    const body: HostConfig = {};
    applyResourceFlags(flags, body);
    if (flags.changed('restart')) body.RestartPolicy = parseRestart(flags.string('restart'));
    if (Object.keys(body).length === 0) throw new UsageError('you must provide one or more flags when using this command');
    const client = await env.client();
    return forEachTarget(env.io, flags.positionals, async (name) => {
      const res = await client.containerUpdate(name, body);
      for (const w of res.Warnings ?? []) env.io.err.write(`${w}\n`);
      return [name];
    });
  },
};
