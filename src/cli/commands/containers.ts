import type { Command, CommandEnv } from '../command.js';
import { CliError } from '../command.js';
import { humanSize, timeAgo, truncateId } from '../humanize.js';
import { forEachTarget, printPruneReport, printRows, parseFilterFlags } from '../output.js';
import { ClientError } from '../../client/index.js';
import type { ContainerSummary } from '../../spec/docker-container.js';

const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const PS_HEADER = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', State: 'STATE', Size: 'SIZE', Labels: 'LABELS',
  Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES',
};

function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** The fields `docker ps --format` offers, computed from one API row. */
function psRow(c: ContainerSummary, noTrunc: boolean): Record<string, unknown> {
  // docker/cli: truncate first, then Go-quote.
  const command = (text: string) => JSON.stringify(text);
  const image = !noTrunc && c.Image.startsWith('sha256:') ? truncateId(c.Image) : c.Image;
  return {
    ID: noTrunc ? c.Id : truncateId(c.Id),
    Image: image,
    Command: command(noTrunc ? c.Command : ellipsis(c.Command, 20)),
    CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: timeAgo(c.Created * 1000),
    Status: c.Status,
    State: c.State,
    Ports: c.Ports.map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`)).join(', '),
    Names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    Size: c.SizeRw !== undefined ? humanSize(c.SizeRw) : '0B',
    Mounts: c.Mounts.map((m) => m.Name ?? m.Source).join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    LocalVolumes: String(c.Mounts.filter((m) => m.Driver === 'local').length),
  };
}

export const psCommand: Command = {
  name: 'ps',
  usage: 'ps [OPTIONS]',
  description: 'List containers',
  aliases: ['berth container ls', 'berth container list', 'berth container ps', 'berth ps'],
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
    { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ],
  async run(flags, env) {
    const limit = flags.bool('latest') ? 1 : flags.int('last');
    const filters = parseFilterFlags(flags.array('filter'));
    const client = await env.client();
    const rows = await client.containerList({ all: flags.bool('all'), limit: limit > 0 ? limit : undefined, filters });
    const noTrunc = flags.bool('no-trunc');
    printRows(env.io, {
      format: flags.string('format'),
      quiet: flags.bool('quiet'),
      quietField: 'ID',
      defaultTable: PS_TABLE,
      header: PS_HEADER,
      rows: rows.map((r) => psRow(r, noTrunc)),
    });
    return 0;
  },
};

/** Runs a verb on each named container and prints the name of each one done. */
function eachContainer(env: CommandEnv, names: string[], verb: (name: string) => Promise<void>): Promise<number> {
  return forEachTarget(env.io, names, async (name) => {
    await verb(name);
    return [name];
  });
}

export const startCommand: Command = {
  name: 'start',
  usage: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  aliases: ['berth container start', 'berth start'],
  minArgs: 1,
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  ],
  async run(flags, env) {
    const client = await env.client();
    if (flags.bool('attach')) {
      if (flags.positionals.length > 1) throw new CliError('you cannot start and attach multiple containers at once', 1);
      const id = flags.positionals[0];
      const info = await client.containerInspect(id);
      const { attachAndWait } = await import('./attach-helpers.js');
      return attachAndWait(client, env, info.Id, info.Config.Tty === true, () => client.containerStart(id).catch(ignoreNotModified));
    }
    return eachContainer(env, flags.positionals, (n) => client.containerStart(n).catch(ignoreNotModified));
  },
};

function ignoreNotModified(err: unknown): void {
  if (err instanceof ClientError && err.status === 304) return;
  throw err;
}

const timeFlags = [
  { name: 'signal', short: 's', description: 'Signal to send to the container' },
  { name: 'time', short: 't', type: 'int' as const, default: -1, description: 'Seconds to wait before killing the container' },
  { name: 'timeout', type: 'int' as const, default: -1, hidden: true, description: 'Seconds to wait before killing the container' },
];

function waitSeconds(flags: import('../flags.js').ParsedFlags): number | undefined {
  if (flags.changed('time')) return flags.int('time');
  if (flags.changed('timeout')) return flags.int('timeout');
  return undefined;
}

export const stopCommand: Command = {
  name: 'stop',
  usage: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  aliases: ['berth container stop', 'berth stop'],
  minArgs: 1,
  flags: timeFlags,
  async run(flags, env) {
    const client = await env.client();
    const o = { t: waitSeconds(flags), signal: flags.string('signal') || undefined };
    return eachContainer(env, flags.positionals, (n) => client.containerStop(n, o).catch(ignoreNotModified));
  },
};

export const restartCommand: Command = {
  name: 'restart',
  usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  aliases: ['berth container restart', 'berth restart'],
  minArgs: 1,
  flags: timeFlags,
  async run(flags, env) {
    const client = await env.client();
    const o = { t: waitSeconds(flags), signal: flags.string('signal') || undefined };
    return eachContainer(env, flags.positionals, (n) => client.containerRestart(n, o));
  },
};

export const killCommand: Command = {
  name: 'kill',
  usage: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  aliases: ['berth container kill', 'berth kill'],
  minArgs: 1,
  flags: [{ name: 'signal', short: 's', description: 'Signal to send to the container' }],
  async run(flags, env) {
    const client = await env.client();
    return eachContainer(env, flags.positionals, (n) => client.containerKill(n, flags.string('signal') || undefined));
  },
};

export const rmCommand: Command = {
  name: 'rm',
  usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  aliases: ['berth container rm', 'berth container remove', 'berth rm'],
  minArgs: 1,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', description: 'Remove the specified link' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const o = { force: flags.bool('force'), v: flags.bool('volumes') };
    return eachContainer(env, flags.positionals, (n) => client.containerRemove(n, o));
  },
};

export const waitCommand: Command = {
  name: 'wait',
  usage: 'wait CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  aliases: ['berth container wait', 'berth wait'],
  minArgs: 1,
  flags: [
    { name: 'condition', default: 'not-running', description: 'Condition to wait for: "not-running", "next-exit", "removed" or "healthy" (berth)' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const condition = flags.string('condition');
    return forEachTarget(env.io, flags.positionals, async (name) => {
      const res = await (await client.containerWait(name, condition)).result;
      // "healthy" fails with a message when the container turns unhealthy or stops first.
      if (res.Error?.Message) throw new ClientError(409, res.Error.Message);
      return [String(res.StatusCode)];
    });
  },
};

export const renameCommand: Command = {
  name: 'rename',
  usage: 'rename CONTAINER NEW_NAME',
  description: 'Rename a container',
  aliases: ['berth container rename', 'berth rename'],
  minArgs: 2,
  maxArgs: 2,
  flags: [],
  async run(flags, env) {
    const client = await env.client();
    await client.containerRename(flags.positionals[0], flags.positionals[1]);
    return 0;
  },
};

export const containerPruneCommand: Command = {
  name: 'prune',
  usage: 'container prune [OPTIONS]',
  description: 'Remove all stopped containers',
  maxArgs: 0,
  flags: [
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(flags, env) {
    if (!flags.bool('force')) {
      const { confirm } = await import('../output.js');
      const ok = await confirm(env.io, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
      if (!ok) return 0;
    }
    const client = await env.client();
    const res = await client.containersPrune(parseFilterFlags(flags.array('filter')));
    printPruneReport(env.io, 'Deleted Containers:', res.ContainersDeleted ?? [], res.SpaceReclaimed);
    return 0;
  },
};
