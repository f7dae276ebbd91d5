import type { Command } from '../command.js';
import { ClientError } from '../../client/index.js';
import type { DockerClient } from '../../client/index.js';
import { printInspected } from '../output.js';
import { UsageError } from '../flags.js';

type Kind = 'container' | 'image' | 'volume' | 'network';

/** docker inspect's lookup order when no --type is given. */
const ORDER: Kind[] = ['container', 'image', 'volume', 'network'];

function inspectOne(client: DockerClient, name: string, kind: Kind): Promise<unknown> {
  switch (kind) {
    case 'container':
      return client.containerInspect(name);
    case 'image':
      return client.imageInspect(name);
    case 'volume':
      return client.volumeInspect(name);
    case 'network':
      return client.networkInspect(name);
  }
}

async function fetchOne(client: DockerClient, name: string, kind: Kind | undefined): Promise<unknown> {
  for (const k of kind ? [kind] : ORDER) {
    try {
      return await inspectOne(client, name, k);
    } catch (err) {
      if (!(err instanceof ClientError) || err.status !== 404) throw err;
    }
  }
  throw new ClientError(404, kind === 'image' ? `No such image: ${name}` : kind === 'container' ? `No such container: ${name}` : `No such object: ${name}`);
}

/** docker inspect: a JSON array (4-space indent), or one --format line per object. */
export function inspectCommand(kind: Kind | undefined, name: string, usage: string): Command {
  return {
    name,
    usage,
    description: kind ? `Display detailed information on one or more ${kind}s` : 'Return low-level information on Docker objects',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', description: 'Format output using a custom template' },
      { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
      ...(kind ? [] : [{ name: 'type', description: 'Only inspect objects of the given type' }]),
    ],
    async run(flags, env) {
      const client = await env.client();
      const given = kind ? '' : flags.string('type');
      if (given && !ORDER.includes(given as Kind)) throw new UsageError(`"${given}" is not a valid value for --type`);
      const type = kind ?? ((given || undefined) as Kind | undefined);
      return printInspected(env.io, { names: flags.positionals, format: flags.string('format'), errorPrefix: 'Error: ' }, (n) =>
        fetchOne(client, n, type),
      );
    },
  };
}
