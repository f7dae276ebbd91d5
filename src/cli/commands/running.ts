import type { Command } from '../command.js';
import { renderTable } from '../table.js';
import { forEachTarget, parseFilterFlags, renderTemplate } from '../output.js';
import { parseTimestamp } from '../humanize.js';
import { readJsonLines } from '../../client/index.js';

/** `berth top CONTAINER [ps OPTIONS]`: the container's processes, as the host's ps shows them. */
export const topCommand: Command = {
  name: 'top',
  usage: 'top CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  aliases: ['berth container top', 'berth top'],
  stopAtFirstPositional: true,
  minArgs: 1,
  flags: [],
  async run(flags, env) {
    const [container, ...psArgs] = flags.positionals;
    const client = await env.client();
    const top = await client.containerTop(container, psArgs.length ? psArgs.join(' ') : undefined);
    // docker's tabwriter for top: columns at least 20 wide, 3 spaces apart.
    env.io.out.write(renderTable([top.Titles, ...top.Processes], { minWidth: 20, padding: 3, padChar: ' ' }));
    return 0;
  },
};

function pauseVerb(name: 'pause' | 'unpause'): Command {
  return {
    name,
    usage: `${name} CONTAINER [CONTAINER...]`,
    description: name === 'pause' ? 'Pause all processes within one or more containers' : 'Unpause all processes within one or more containers',
    aliases: [`berth container ${name}`, `berth ${name}`],
    minArgs: 1,
    flags: [],
    async run(flags, env) {
      const client = await env.client();
      return forEachTarget(env.io, flags.positionals, async (n) => {
        await (name === 'pause' ? client.containerPause(n) : client.containerUnpause(n));
        return [n];
      });
    },
  };
}

export const pauseCommand = pauseVerb('pause');
export const unpauseCommand = pauseVerb('unpause');

interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time: number;
  timeNano: number;
}

/** docker's default event line: `<time, RFC 3339 with 9 digits> <type> <action> <id> (k=v, ...)`. */
export function formatEvent(e: EventMessage): string {
  const ns = BigInt(e.timeNano);
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  const stamp = `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
  const attrs = Object.entries(e.Actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return `${stamp} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}`;
}

/** `berth events`: the daemon's events as they happen (or between --since and --until). */
export const eventsCommand: Command = {
  name: 'events',
  usage: 'events [OPTIONS]',
  description: 'Get real time events from the server',
  aliases: ['berth system events', 'berth events'],
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'since', description: 'Show all events created since timestamp' },
    { name: 'until', description: 'Stream events until this timestamp' },
  ],
  async run(flags, env) {
    const since = flags.string('since');
    const until = flags.string('until');
    const client = await env.client();
    const stream = await client.events({
      since: since ? parseTimestamp(since) : undefined,
      until: until ? parseTimestamp(until) : undefined,
      filters: parseFilterFlags(flags.array('filter')),
    });
    const format = flags.string('format');
    for await (const e of readJsonLines<EventMessage>(stream)) {
      const line = !format ? formatEvent(e) : renderTemplate(format === 'json' ? '{{json .}}' : format, e);
      env.io.out.write(`${line}\n`);
    }
    return 0;
  },
};
