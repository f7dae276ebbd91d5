import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { invalidArgument, messageOf } from '../util/errors.js';
import { planIpv6 } from './plan-ipv6.js';
import { formatIp, formatSubnet, parseCidr } from './ipv4.js';

/** One network as berth persists it (data root: network/networks.json). */
export interface NetworkRecord {
  name: string;
  id: string;
  created: string;
  driver: 'bridge' | 'host' | 'null';
  /** Bridge networks only: subnet "a.b.c.d/n", gateway address, optional allocation range. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** Dual stack (EnableIPv6): the IPv6 subnet, gateway and optional allocation range beside the IPv4 ones. */
  ipv6?: boolean;
  subnet6?: string;
  gateway6?: string;
  ipRange6?: string;
  /** The host's bridge interface (≤ 15 chars). */
  iface?: string;
  internal: boolean;
  dns: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export const PREDEFINED = ['bridge', 'host', 'none'];

export interface DefaultBridge {
  /** Bridge interface name (dockerd's -b). */
  iface: string;
  /** Gateway and subnet in one (dockerd's --bip), e.g. 172.30.0.1/16. */
  bip: string;
  /** dockerd --ipv6: the default bridge is dual stack. */
  ipv6?: boolean;
  /** dockerd --fixed-cidr-v6: its IPv6 subnet (gateway: the subnet's first address); absent = a /64 of the daemon's ULA prefix. */
  fixedCidrV6?: string;
}

/** Networks file: the predefined three plus user networks, rewritten atomically on each change. */
export class NetworkStore {
  private constructor(
    private readonly path: string,
    readonly records: NetworkRecord[],
    /** Where IPv6 subnets come from when none is given: a ULA /48 of this data root's own (RFC 4193). */
    readonly ula48: string,
  ) {}

  static async open(dataRoot: string, bridge: DefaultBridge): Promise<NetworkStore> {
    const path = join(dataRoot, 'network', 'networks.json');
    let records: NetworkRecord[] = [];
    try {
      records = JSON.parse(await readFile(path, 'utf8')) as NetworkRecord[];
    } catch {
      records = [];
    }
    const bip = parseCidr(bridge.bip);
    if (!bip || bip.subnet.prefix > 30) throw invalidArgument(`invalid --bip: ${bridge.bip}`);
    if (bridge.iface.length > 15 || !/^[\w.-]+$/.test(bridge.iface)) throw invalidArgument(`invalid bridge name: ${bridge.iface}`);
    const now = new Date().toISOString();
    const ensure = (name: string, make: () => NetworkRecord) => {
      const i = records.findIndex((r) => r.name === name);
      if (i < 0) records.unshift(make());
    };
    ensure('none', () => ({ name: 'none', id: newNetworkId(), created: now, driver: 'null', internal: false, dns: false, labels: {}, options: {} }));
    ensure('host', () => ({ name: 'host', id: newNetworkId(), created: now, driver: 'host', internal: false, dns: false, labels: {}, options: {} }));
    ensure('bridge', () => ({ name: 'bridge', id: newNetworkId(), created: now, driver: 'bridge', internal: false, dns: false, labels: {}, options: {} }));
    // The daemon's flags decide the default bridge at every start.
    const def = records.find((r) => r.name === 'bridge')!;
    def.subnet = formatSubnet(bip.subnet);
    def.gateway = formatIp(bip.ip);
    def.iface = bridge.iface;
    def.options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': bridge.iface,
      'com.docker.network.driver.mtu': '1500',
    };
    const store = new NetworkStore(path, records, ulaPrefixOf(dataRoot));
    await setDefaultBridgeIpv6(store, def, bridge);
    await store.save();
    return store;
  }

  async save(): Promise<void> {
    await writeJsonAtomic(this.path, this.records);
  }

  /** By full name, full id or unique id prefix, as docker resolves networks. */
  tryFind(ref: string): NetworkRecord | undefined {
    const byName = this.records.find((r) => r.name === ref);
    if (byName) return byName;
    const byId = this.records.find((r) => r.id === ref);
    if (byId) return byId;
    const prefixed = this.records.filter((r) => r.id.startsWith(ref));
    return prefixed.length === 1 && ref.length > 0 ? prefixed[0] : undefined;
  }
}

/**
 * The default bridge's IPv6 half, from the flags at every start: the
 * --fixed-cidr-v6 subnet, or the /64 it had before (addresses of live
 * containers stay valid across a restart), or the first free /64 of the ULA
 * prefix, chosen as for user networks.
 */
async function setDefaultBridgeIpv6(store: NetworkStore, def: NetworkRecord, bridge: DefaultBridge): Promise<void> {
  const kept = def.subnet6;
  delete def.ipv6, delete def.subnet6, delete def.gateway6, delete def.ipRange6;
  if (!bridge.ipv6) {
    if (bridge.fixedCidrV6) throw invalidArgument('--fixed-cidr-v6 needs --ipv6');
    return;
  }
  if (bridge.fixedCidrV6) {
    const plan = await planIpv6({ Subnet: bridge.fixedCidrV6 }, store).catch((err: unknown) => {
      throw invalidArgument(`invalid --fixed-cidr-v6: ${messageOf(err)}`);
    });
    Object.assign(def, plan);
    return;
  }
  // A kept subnet that now overlaps a user network's is chosen afresh.
  const plan = kept ? await planIpv6({ Subnet: kept }, store).catch(() => undefined) : undefined;
  Object.assign(def, plan ?? (await planIpv6(undefined, store)));
}

export function newNetworkId(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex');
}

/**
 * fdXX:XXXX:XXXX::/48 with the 40-bit global ID taken from a hash of the data
 * root: pseudo-random as RFC 4193 asks, stable across restarts, and apart for
 * daemons side by side.
 */
function ulaPrefixOf(dataRoot: string): string {
  const h = createHash('sha256').update(`berth-ula:${dataRoot}`).digest();
  const hex = (i: number) => h.readUInt16BE(i).toString(16);
  return `fd${h[0].toString(16).padStart(2, '0')}:${hex(1)}:${hex(3)}::/48`;
}
