import type { Command } from '../command.js';
import { println } from '../command.js';
import { UsageError } from '../flags.js';
import { confirm, forEachTarget, parseFilterFlags, printPruneReport, printRows, printInspected } from '../output.js';

const VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';
const VOLUME_HEADER = { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Scope: 'SCOPE', Size: 'SIZE', Links: 'LINKS' };

function keyValues(flag: string, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i === 0) throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: invalid key/value pair`);
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export const volumeCreateCommand: Command = {
  name: 'create',
  usage: 'volume create [OPTIONS] [VOLUME]',
  description: 'Create a volume',
  maxArgs: 1,
  flags: [
    { name: 'driver', short: 'd', default: 'local', description: 'Specify volume driver name' },
    { name: 'label', type: 'stringArray', description: 'Set metadata for a volume' },
    { name: 'name', description: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', type: 'stringArray', description: 'Set driver specific options', valueName: 'map' },
  ],
  async run(flags, env) {
    const name = flags.positionals[0] ?? flags.string('name');
    if (flags.positionals[0] && flags.string('name') && flags.string('name') !== name) {
      throw new UsageError(`conflicting options: either specify --name or provide positional arg, not both`);
    }
    const client = await env.client();
    const v = await client.volumeCreate({
      Name: name || undefined,
      Driver: flags.string('driver') || 'local',
      DriverOpts: keyValues('opt', flags.array('opt')),
      Labels: keyValues('label', flags.array('label')),
    });
    println(env.io.out, v.Name);
    return 0;
  },
};

export const volumeLsCommand: Command = {
  name: 'ls',
  usage: 'volume ls [OPTIONS]',
  description: 'List volumes',
  aliases: ['berth volume ls', 'berth volume list'],
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: "Provide filter values (e.g. 'dangling=true')", valueName: 'filter' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const res = await client.volumeList(parseFilterFlags(flags.array('filter')));
    const rows = (res.Volumes ?? [])
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((v) => ({
        Driver: v.Driver, Name: v.Name, Mountpoint: v.Mountpoint, Scope: v.Scope,
        Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
        Size: 'N/A', Links: 'N/A',
      }));
    printRows(env.io, {
      format: flags.string('format'), quiet: flags.bool('quiet'), quietField: 'Name',
      defaultTable: VOLUME_TABLE, header: VOLUME_HEADER, rows,
    });
    return 0;
  },
};

export const volumeInspectCommand: Command = {
  name: 'inspect',
  usage: 'volume inspect [OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', description: 'Format output using a custom template' }],
  async run(flags, env) {
    const client = await env.client();
    return printInspected(env.io, { names: flags.positionals, format: flags.string('format'), errorPrefix: 'Error response from daemon: ' }, (n) =>
      client.volumeInspect(n),
    );
  },
};

export const volumeRmCommand: Command = {
  name: 'rm',
  usage: 'volume rm [OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  aliases: ['berth volume rm', 'berth volume remove'],
  minArgs: 1,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  async run(flags, env) {
    const client = await env.client();
    return forEachTarget(env.io, flags.positionals, async (name) => {
      await client.volumeRemove(name, { force: flags.bool('force') });
      return [name];
    });
  },
};

export const volumePruneCommand: Command = {
  name: 'prune',
  usage: 'volume prune [OPTIONS]',
  description: 'Remove unused local volumes',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "label=<label>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(flags, env) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      const warning = all
        ? 'WARNING! This will remove all local volumes not used by at least one container.'
        : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      if (!(await confirm(env.io, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const filters = parseFilterFlags(flags.array('filter'));
    if (all) filters.all = ['true'];
    const client = await env.client();
    const res = await client.volumesPrune(filters);
    printPruneReport(env.io, 'Deleted Volumes:', res.VolumesDeleted ?? [], res.SpaceReclaimed);
    return 0;
  },
};

export const VOLUME_COMMANDS: Array<[string, Command]> = [
  ['create', volumeCreateCommand], ['ls', volumeLsCommand], ['list', volumeLsCommand], ['inspect', volumeInspectCommand],
  ['rm', volumeRmCommand], ['remove', volumeRmCommand], ['prune', volumePruneCommand],
];
