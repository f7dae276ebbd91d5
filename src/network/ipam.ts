import { conflict, invalidArgument } from '../util/errors.js';
import { contains, formatIp, isHostAddress, parseCidr, parseIp, size } from './ipv4.js';
import { contains6, formatIp6, isHostAddress6, parseCidr6, parseIp6 } from './ipv6.js';
import type { NetworkRecord } from './store.js';

/** One network an endpoint is on, with its addresses (IPv6 ones on dual-stack networks only). */
export interface JoinedNetwork {
  networkId: string;
  name: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  ip6?: string;
  prefixLen6?: number;
  gateway6?: string;
}

/**
 * berth's IPAM: pure choices over the addresses in use. The caller holds
 * every reservation in its endpoint files (written before netavark runs,
 * deleted after its teardown), so what is in use survives a restart and no
 * address is handed out twice.
 */

/** The requested IPv4 address if free, else the lowest free one in the range (the gateway excluded). */
export function allocate4(net: NetworkRecord, wanted: string | undefined, inUse: string[]): string {
  const subnet = parseCidr(net.subnet!)!.subnet;
  const used = new Set<number>([parseIp(net.gateway!)!, ...inUse.map((x) => parseIp(x)!)]);
  if (wanted) {
    const ip = parseIp(wanted);
    if (ip === undefined) throw invalidArgument(`invalid IPv4 address: ${wanted}`);
    if (!isHostAddress(subnet, ip)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
    if (used.has(ip)) throw conflict(`Address already in use`);
    return wanted;
  }
  const range = net.ipRange ? parseCidr(net.ipRange)!.subnet : subnet;
  for (let n = range.base; n < range.base + size(range); n++) {
    if (!used.has(n) && isHostAddress(subnet, n) && contains(range, n)) return formatIp(n);
  }
  throw conflict(`no available IPv4 addresses on this network's address pools: ${net.name} (${net.id})`);
}

/** The same for the network's IPv6 subnet: the lowest free address after the network address. */
export function allocate6(net: NetworkRecord, wanted: string | undefined, inUse: string[]): string {
  const subnet = parseCidr6(net.subnet6!)!.subnet;
  const used = new Set<bigint>([parseIp6(net.gateway6!)!, ...inUse.map((x) => parseIp6(x)!)]);
  if (wanted) {
    const ip = parseIp6(wanted);
    if (ip === undefined) throw invalidArgument(`invalid IPv6 address: ${wanted}`);
    if (!isHostAddress6(subnet, ip)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
    if (used.has(ip)) throw conflict(`Address already in use`);
    return formatIp6(ip);
  }
  const range = net.ipRange6 ? parseCidr6(net.ipRange6)!.subnet : subnet;
  // Only the addresses in use can be skipped: the search ends within used.size + 2 steps.
  for (let n = range.base, i = 0; i <= used.size + 2; n++, i++) {
    if (!contains6(range, n)) break;
    if (!used.has(n) && isHostAddress6(subnet, n)) return formatIp6(n);
  }
  throw conflict(`no available IPv6 addresses on this network's address pools: ${net.name} (${net.id})`);
}

/** Docker's MAC from the IPv4 address (02:42 and its four bytes): a reused address keeps its MAC. */
export function macFromIp(ip: string): string {
  return ['02', '42', ...ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0'))].join(':');
}
