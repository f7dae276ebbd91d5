import type { Command } from '../command.js';
import { CliError } from '../command.js';
import { attachAndWait } from './attach-helpers.js';

/** `berth attach`: back to a running container's stdio; ends with its exit, or detaches on the detach keys. */
export const attachCommand: Command = {
  name: 'attach',
  usage: 'attach [OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  aliases: ['berth container attach', 'berth attach'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'detach-keys', description: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy all received signals to the process' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const info = await client.containerInspect(flags.positionals[0]);
    if (!info.State.Running) throw new CliError('You cannot attach to a stopped container, start it first', 1);
    if (info.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first', 1);
    if (info.State.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running', 1);
    const tty = info.Config.Tty === true;
    return attachAndWait(client, env, info.Id, tty, async () => undefined, {
      condition: 'next-exit',
      stdin: info.Config.OpenStdin === true && !flags.bool('no-stdin'),
      detachKeys: flags.string('detach-keys'),
      sigProxy: flags.bool('sig-proxy') && !tty,
    });
  },
};
