import { readFile } from 'node:fs/promises';
import { EngineError, invalidArgument } from '../util/errors.js';
import { contains6, formatIp6, formatSubnet6, isHostAddress6, overlaps6, parseCidr6, parseIp6, type Subnet6 } from './ipv6.js';
import type { NetworkRecord, NetworkStore } from './store.js';

export interface Ipam6Config {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
}

/** IPv6 subnets the host routes already (its interfaces, other engines' bridges): automatic subnets avoid them. */
async function hostRoutes6(): Promise<Subnet6[]> {
  const text = await readFile('/proc/net/ipv6_route', 'utf8').catch(() => '');
  const out: Subnet6[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const prefix = parseInt(f[1], 16);
    if (prefix === 0) continue;
    out.push({ base: BigInt(`0x${f[0]}`), prefix });
  }
  return out;
}

/**
 * The IPv6 half of a dual-stack network: the given subnet (checked, not
 * overlapping another network's) or the first free /64 of the daemon's ULA
 * /48 that no network of berth's and no route of the host's uses.
 */
export async function planIpv6(cfg: Ipam6Config | undefined, store: NetworkStore): Promise<Pick<NetworkRecord, 'ipv6' | 'subnet6' | 'gateway6' | 'ipRange6'>> {
  const taken = store.records.filter((r) => r.subnet6).map((r) => parseCidr6(r.subnet6!)!.subnet);
  let subnet: Subnet6;
  if (cfg?.Subnet) {
    const parsed = parseCidr6(cfg.Subnet);
    if (!parsed) throw invalidArgument(`invalid subnet ${cfg.Subnet}`);
    if (parsed.ip !== parsed.subnet.base) throw invalidArgument(`invalid subnet ${cfg.Subnet}: it should be ${formatSubnet6(parsed.subnet)}`);
    subnet = parsed.subnet;
    if (subnet.prefix > 124) throw invalidArgument(`invalid subnet ${cfg.Subnet}: too small`);
    if (taken.some((t) => overlaps6(t, subnet))) throw new EngineError('Forbidden', 'Pool overlaps with other one on this address space');
  } else {
    if (cfg?.Gateway || cfg?.IPRange) throw invalidArgument('gateway and ip-range need a subnet');
    subnet = await freeSubnet6(store.ula48, taken);
  }
  let gateway = subnet.base + 1n;
  if (cfg?.Gateway) {
    const g = parseIp6(cfg.Gateway);
    if (g === undefined || !isHostAddress6(subnet, g)) throw invalidArgument(`invalid gateway ${cfg.Gateway}: not in subnet ${formatSubnet6(subnet)}`);
    gateway = g;
  }
  let ipRange: string | undefined;
  if (cfg?.IPRange) {
    const r = parseCidr6(cfg.IPRange);
    if (!r || !contains6(subnet, r.subnet.base) || r.subnet.prefix < subnet.prefix) throw invalidArgument(`invalid ip-range ${cfg.IPRange}: not in subnet ${formatSubnet6(subnet)}`);
    ipRange = formatSubnet6(r.subnet);
  }
  return { ipv6: true, subnet6: formatSubnet6(subnet), gateway6: formatIp6(gateway), ipRange6: ipRange };
}

async function freeSubnet6(pool48: string, taken: Subnet6[]): Promise<Subnet6> {
  const avoid = [...taken, ...(await hostRoutes6())];
  const base = parseCidr6(pool48)!.subnet.base;
  for (let i = 0n; i < 65536n; i++) {
    const candidate = { base: base + (i << 64n), prefix: 64 };
    if (!avoid.some((t) => overlaps6(t, candidate))) return candidate;
  }
  throw new EngineError('Forbidden', 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
}
