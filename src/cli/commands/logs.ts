import type { Command } from '../command.js';
import { UsageError } from '../flags.js';
import { parseTimestamp } from '../humanize.js';
import { demuxStream } from '../../client/index.js';

export const logsCommand: Command = {
  name: 'logs',
  usage: 'logs [OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  aliases: ['berth container logs', 'berth logs'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'since', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', default: 'all', description: 'Number of lines to show from the end of the logs' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'until', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(flags, env) {
    const toApiTime = (name: string): string | undefined => {
      const v = flags.string(name);
      if (!v) return undefined;
      try {
        return parseTimestamp(v);
      } catch (err) {
        throw new UsageError(`invalid value for "${name}": ${(err as Error).message}`);
      }
    };
    const client = await env.client();
    const info = await client.containerInspect(flags.positionals[0]);
    const stream = await client.containerLogs(info.Id, {
      follow: flags.bool('follow'),
      stdout: true,
      stderr: true,
      since: toApiTime('since'),
      until: toApiTime('until'),
      timestamps: flags.bool('timestamps'),
      tail: flags.string('tail'),
    });
    if (info.Config.Tty) {
      for await (const chunk of stream) env.io.out.write(chunk as Buffer);
    } else {
      await demuxStream(stream, (b) => void env.io.out.write(b), (b) => void env.io.err.write(b));
    }
    return 0;
  },
};
