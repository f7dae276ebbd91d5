import type { Command } from '../command.js';
import { CliError, println } from '../command.js';

/** `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: published bindings from inspect, as docker prints them. */
export const portCommand: Command = {
  name: 'port',
  usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  minArgs: 1,
  maxArgs: 2,
  flags: [],
  async run(flags, env) {
    const [ref, wanted] = flags.positionals;
    const client = await env.client();
    const c = await client.containerInspect(ref);
    const ports = c.NetworkSettings.Ports ?? {};
    if (wanted) {
      const key = wanted.includes('/') ? wanted : `${wanted}/tcp`;
      const list = ports[key];
      if (!list || list.length === 0) throw new CliError(`Error: No public port '${key}' published for ${ref}`);
      for (const b of list) println(env.io.out, hostPort(b));
      return 0;
    }
    const keys = Object.keys(ports).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const key of keys) for (const b of ports[key] ?? []) println(env.io.out, `${key} -> ${hostPort(b)}`);
    return 0;
  },
};

/** "ip:port", with an IPv6 address in brackets as docker prints it. */
function hostPort(b: { HostIp: string; HostPort: string }): string {
  return b.HostIp.includes(':') ? `[${b.HostIp}]:${b.HostPort}` : `${b.HostIp}:${b.HostPort}`;
}
