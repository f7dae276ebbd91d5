import { readFile } from 'node:fs/promises';
import { EngineError, conflict, invalidArgument, notFound } from '../util/errors.js';
import { contains, formatIp, formatSubnet, isHostAddress, overlaps, parseCidr, parseIp, type Subnet } from './ipv4.js';
import { KEEPER_ID, type EndpointRecord } from './attach.js';
import { planIpv6 } from './plan-ipv6.js';
import { PREDEFINED, newNetworkId, type NetworkRecord, type NetworkStore } from './store.js';

/** POST /networks/create body, as docker clients send it. */
export interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string }> | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const forbidden = (message: string) => new EngineError('Forbidden', message);

/** Subnets the host routes already (its interfaces, other engines' bridges): automatic subnets avoid them. */
async function hostRoutes(): Promise<Subnet[]> {
  const text = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] === '00000000') continue;
    const le = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE(0);
    const mask = le(f[7]);
    const prefix = mask.toString(2).replace(/0/g, '').length;
    out.push({ base: le(f[1]) >>> 0, prefix });
  }
  return out;
}

/** Validates a create request and returns the new record (not yet stored). */
export async function planNetwork(body: NetworkCreateBody, store: NetworkStore): Promise<NetworkRecord> {
  const name = body.Name ?? '';
  if (!name) throw invalidArgument('network name cannot be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid network name "${name}"`);
  if (PREDEFINED.includes(name)) throw forbidden(`operation is not permitted on predefined ${name} network `);
  if (store.records.some((r) => r.name === name)) throw conflict(`network with name ${name} already exists`);
  const driver = body.Driver || 'bridge';
  if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
  const all = body.IPAM?.Config ?? [];
  const isV6 = (c: { Subnet?: string; Gateway?: string; IPRange?: string }) => [c.Subnet, c.Gateway, c.IPRange].some((x) => x?.includes(':'));
  const configs = all.filter((c) => !isV6(c));
  const configs6 = all.filter(isV6);
  if (configs.length > 1 || configs6.length > 1) throw invalidArgument('only one IPv4 and one IPv6 subnet per network are supported');
  if (configs6.length && !body.EnableIPv6) throw invalidArgument(`an IPv6 subnet (${configs6[0].Subnet ?? ''}) needs IPv6 enabled on the network (--ipv6)`);
  const v6 = body.EnableIPv6 ? await planIpv6(configs6[0], store) : {};
  const taken = store.records.filter((r) => r.subnet).map((r) => parseCidr(r.subnet!)!.subnet);
  const cfg = configs[0] ?? {};
  let subnet: Subnet;
  if (cfg.Subnet) {
    const parsed = parseCidr(cfg.Subnet);
    if (!parsed || cfg.Subnet.includes(':')) throw invalidArgument(`invalid subnet ${cfg.Subnet}`);
    if (parsed.ip !== parsed.subnet.base) throw invalidArgument(`invalid subnet ${cfg.Subnet}: it should be ${formatSubnet(parsed.subnet)}`);
    subnet = parsed.subnet;
    if (subnet.prefix > 30) throw invalidArgument(`invalid subnet ${cfg.Subnet}: too small`);
    if (taken.some((t) => overlaps(t, subnet))) throw forbidden('Pool overlaps with other one on this address space');
  } else {
    if (cfg.Gateway || cfg.IPRange) throw invalidArgument('gateway and ip-range need a subnet');
    subnet = await freeSubnet(taken);
  }
  let gateway = subnet.base + 1;
  if (cfg.Gateway) {
    const g = parseIp(cfg.Gateway);
    if (g === undefined || !isHostAddress(subnet, g)) throw invalidArgument(`invalid gateway ${cfg.Gateway}: not in subnet ${formatSubnet(subnet)}`);
    gateway = g;
  }
  if (cfg.IPRange) {
    const r = parseCidr(cfg.IPRange);
    if (!r || !contains(subnet, r.subnet.base) || r.subnet.prefix < subnet.prefix) throw invalidArgument(`invalid ip-range ${cfg.IPRange}: not in subnet ${formatSubnet(subnet)}`);
  }
  const id = newNetworkId();
  const options = { ...(body.Options ?? {}) };
  const iface = options['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
  if (iface.length > 15) throw invalidArgument(`bridge name ${iface} is longer than 15 characters`);
  if (store.records.some((r) => r.iface === iface)) throw conflict(`bridge name ${iface} is in use by another network`);
  return {
    name, id, created: new Date().toISOString(), driver: 'bridge',
    subnet: formatSubnet(subnet), gateway: formatIp(gateway), ipRange: cfg.IPRange || undefined, ...v6, iface,
    internal: body.Internal === true, dns: true, labels: { ...(body.Labels ?? {}) }, options,
  };
}

/** The first /24 in 10.90.0.0/15 that overlaps no network of berth's and no route of the host's. */
async function freeSubnet(taken: Subnet[]): Promise<Subnet> {
  const avoid = [...taken, ...(await hostRoutes())];
  const first = parseIp('10.90.0.0')!;
  for (let i = 0; i < 512; i++) {
    const candidate = { base: first + i * 256, prefix: 24 };
    if (!avoid.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** Docker's network JSON (GET /networks/{id}); `Containers` from the live endpoints. */
export function networkView(net: NetworkRecord, endpoints: EndpointRecord[], names: (id: string) => string | undefined): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const e of endpoints) {
    if (e.containerId === KEEPER_ID) continue;
    const j = e.joined.find((x) => x.networkId === net.id);
    if (!j) continue;
    containers[e.containerId] = {
      Name: names(e.containerId) ?? e.options.container_name, EndpointID: '', MacAddress: j.mac,
      IPv4Address: `${j.ip}/${j.prefixLen}`, IPv6Address: j.ip6 ? `${j.ip6}/${j.prefixLen6}` : '',
    };
  }
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: 'local',
    Driver: net.driver,
    EnableIPv6: net.ipv6 === true,
    IPAM: { Driver: 'default', Options: null, Config: ipamConfig(net) },
    Internal: net.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: net.options,
    Labels: net.labels,
  };
}

function ipamConfig(net: NetworkRecord): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  if (net.subnet) out.push({ Subnet: net.subnet, Gateway: net.gateway!, ...(net.ipRange ? { IPRange: net.ipRange } : {}) });
  if (net.subnet6) out.push({ Subnet: net.subnet6, Gateway: net.gateway6!, ...(net.ipRange6 ? { IPRange: net.ipRange6 } : {}) });
  return out;
}

/** docker's network filters: name (substring), id (prefix), driver, label, type (builtin|custom), dangling. */
export function matchesNetworkFilters(net: NetworkRecord, filters: Record<string, string[]>, inUse: boolean): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const ok = values.some((v) => {
      switch (key) {
        case 'name': return net.name.includes(v);
        case 'id': return net.id.startsWith(v);
        case 'driver': return net.driver === v;
        case 'scope': return v === 'local';
        case 'type': return v === 'builtin' ? PREDEFINED.includes(net.name) : v === 'custom' ? !PREDEFINED.includes(net.name) : false;
        case 'dangling': return ['1', 'true'].includes(v) ? !inUse && !PREDEFINED.includes(net.name) : inUse || PREDEFINED.includes(net.name);
        case 'label': {
          const i = v.indexOf('=');
          return i < 0 ? v in net.labels : net.labels[v.slice(0, i)] === v.slice(i + 1);
        }
        default: throw invalidArgument(`invalid filter '${key}'`);
      }
    });
    if (!ok) return false;
  }
  return true;
}

export { forbidden };
