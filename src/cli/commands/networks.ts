import type { Command } from '../command.js';
import { println } from '../command.js';
import { UsageError } from '../flags.js';
import { confirm, forEachTarget, parseFilterFlags, printPruneReport, printRows, printInspected } from '../output.js';
import { ClientError } from '../../client/index.js';

const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const NETWORK_HEADER = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };

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

export const networkCreateCommand: Command = {
  name: 'create',
  usage: 'network create [OPTIONS] NETWORK',
  description: 'Create a network',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'driver', short: 'd', default: 'bridge', description: 'Driver to manage the Network' },
    { name: 'gateway', type: 'stringArray', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'ip-range', type: 'stringArray', description: 'Allocate container ip from a sub-range' },
    { name: 'ipv6', type: 'bool', description: 'Enable or disable IPv6 networking' },
    { name: 'label', type: 'stringArray', description: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'stringArray', description: 'Set driver specific options', valueName: 'map' },
    { name: 'subnet', type: 'stringArray', description: 'Subnet in CIDR format that represents a network segment' },
    { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
  ],
  async run(flags, env) {
    const subnets = flags.array('subnet');
    const gateways = flags.array('gateway');
    const ranges = flags.array('ip-range');
    if (gateways.length > subnets.length || ranges.length > subnets.length) throw new UsageError('every ip-range or gateway must have a corresponding subnet');
    const client = await env.client();
    const res = await client.networkCreate({
      Name: flags.positionals[0],
      Driver: flags.string('driver') || 'bridge',
      Internal: flags.bool('internal'),
      Attachable: flags.bool('attachable'),
      EnableIPv6: flags.bool('ipv6') || undefined,
      IPAM: { Driver: 'default', Config: pairBySubnet(subnets, gateways, ranges), Options: {} },
      Options: keyValues('opt', flags.array('opt')),
      Labels: keyValues('label', flags.array('label')),
    });
    println(env.io.out, res.Id);
    return 0;
  },
};

export const networkLsCommand: Command = {
  name: 'ls',
  usage: 'network ls [OPTIONS]',
  description: 'List networks',
  aliases: ['berth network ls', 'berth network list'],
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: "Provide filter values (e.g. 'driver=bridge')", valueName: 'filter' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const list = await client.networkList(parseFilterFlags(flags.array('filter')));
    const trunc = !flags.bool('no-trunc');
    const rows = list
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((n) => ({
        ID: trunc ? n.Id.slice(0, 12) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
        IPv6: String(n.EnableIPv6), Internal: String(n.Internal), CreatedAt: n.Created,
        Labels: Object.entries(n.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
      }));
    printRows(env.io, { format: flags.string('format'), quiet: flags.bool('quiet'), quietField: 'ID', defaultTable: NETWORK_TABLE, header: NETWORK_HEADER, rows });
    return 0;
  },
};

export const networkInspectCommand: Command = {
  name: 'inspect',
  usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  minArgs: 1,
  flags: [
    { name: 'format', short: 'f', description: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' },
  ],
  async run(flags, env) {
    const client = await env.client();
    return printInspected(env.io, { names: flags.positionals, format: flags.string('format'), errorPrefix: 'Error response from daemon: ' }, (n) =>
      client.networkInspect(n),
    );
  },
};

export const networkRmCommand: Command = {
  name: 'rm',
  usage: 'network rm NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  aliases: ['berth network rm', 'berth network remove'],
  minArgs: 1,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  async run(flags, env) {
    const client = await env.client();
    return forEachTarget(env.io, flags.positionals, async (name) => {
      try {
        await client.networkRemove(name);
      } catch (err) {
        if (flags.bool('force') && err instanceof ClientError && err.status === 404) return [];
        throw err;
      }
      return [name];
    });
  },
};

export const networkPruneCommand: Command = {
  name: 'prune',
  usage: 'network prune [OPTIONS]',
  description: 'Remove all unused networks',
  maxArgs: 0,
  flags: [
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(flags, env) {
    if (!flags.bool('force')) {
      const warning = 'WARNING! This will remove all custom networks not used by at least one container.';
      if (!(await confirm(env.io, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const client = await env.client();
    const res = await client.networksPrune(parseFilterFlags(flags.array('filter')));
    printPruneReport(env.io, 'Deleted Networks:', res.NetworksDeleted ?? []);
    return 0;
  },
};

export const networkConnectCommand: Command = {
  name: 'connect',
  usage: 'network connect [OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'alias', type: 'stringArray', description: 'Add network-scoped alias for the container' },
    { name: 'ip', description: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', description: 'IPv6 address (e.g., "2001:db8::33")' },
  ],
  async run(flags, env) {
    const [network, container] = flags.positionals;
    const client = await env.client();
    const cfg: Record<string, unknown> = {};
    if (flags.array('alias').length) cfg.Aliases = flags.array('alias');
    if (flags.string('ip') || flags.string('ip6')) cfg.IPAMConfig = { IPv4Address: flags.string('ip') || undefined, IPv6Address: flags.string('ip6') || undefined };
    await client.networkConnect(network, { Container: container, EndpointConfig: cfg });
    return 0;
  },
};

export const networkDisconnectCommand: Command = {
  name: 'disconnect',
  usage: 'network disconnect [OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  minArgs: 2,
  maxArgs: 2,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  async run(flags, env) {
    const [network, container] = flags.positionals;
    const client = await env.client();
    await client.networkDisconnect(network, { Container: container, Force: flags.bool('force') });
    return 0;
  },
};

export const NETWORK_COMMANDS: Array<[string, Command]> = [
  ['create', networkCreateCommand], ['ls', networkLsCommand], ['list', networkLsCommand], ['inspect', networkInspectCommand],
  ['rm', networkRmCommand], ['remove', networkRmCommand], ['prune', networkPruneCommand],
  ['connect', networkConnectCommand], ['disconnect', networkDisconnectCommand],
];

/** Each --gateway and --ip-range goes with the subnet of its address family (one IPv4 and one IPv6 subnet at most). */
function pairBySubnet(subnets: string[], gateways: string[], ranges: string[]): Array<{ Subnet: string; Gateway?: string; IPRange?: string }> {
  const v6 = (x: string) => x.includes(':');
  const pick = (list: string[], s: string) => list.find((x) => v6(x) === v6(s));
  for (const x of [...gateways, ...ranges]) {
    if (!subnets.some((s) => v6(s) === v6(x))) throw new UsageError(`no matching subnet for ${gateways.includes(x) ? 'gateway' : 'range'} ${x}`);
  }
  return subnets.map((s) => ({ Subnet: s, Gateway: pick(gateways, s), IPRange: pick(ranges, s) }));
}
