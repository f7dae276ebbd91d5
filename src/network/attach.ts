import { access, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { invalidArgument, messageOf, notFound } from '../util/errors.js';
import { log } from '../util/log.js';
import { allocate4, allocate6, macFromIp, type JoinedNetwork } from './ipam.js';
import { formatIp6, parseIp6 } from './ipv6.js';
import { createNetns, netavark, removeNetns, removeVeths, type NetavarkOptions, type NetavarkStatus } from './netavark.js';
import { interfaceExists, plumbVeth } from './veth.js';
import { assignHostPorts, collides, type PortRequest, type PublishedPort } from './ports.js';
import type { NetworkRecord, NetworkStore } from './store.js';

/** One network a container asks to join. */
export interface JoinRequest {
  network: string;
  ip?: string;
  ip6?: string;
  mac?: string;
  aliases?: string[];
}

export interface AttachOptions {
  containerId: string;
  containerName: string;
  joins: JoinRequest[];
  ports: PortRequest[];
}

/** A container's attachment as persisted (data root: network/endpoints/<id>.json) until its teardown ends. */
export interface EndpointRecord {
  containerId: string;
  netns: string;
  options: NetavarkOptions;
  published: PublishedPort[];
  joined: JoinedNetwork[];
  dnsServers: string[];
  dnsSearch: string[];
}

/**
 * Endpoints: IPAM, host-port bookkeeping, the network namespace and the
 * netavark calls for each container (or the veth alone, see vethOnly).
 * Addresses and ports are reserved in the
 * endpoint file before netavark runs and freed only after its teardown ends,
 * so no address is handed out twice, also across a daemon restart.
 */
export class Endpoints {
  private readonly byContainer = new Map<string, EndpointRecord>();
  private readonly detaching = new Map<string, Promise<void>>();
  /** Attaches under way: a detach waits for them, so it never races a reservation or a setup. */
  private readonly attaching = new Map<string, Promise<unknown>>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly netnsDir: string,
    private readonly configDir: string,
    private readonly store: NetworkStore,
  ) {}

  static async open(o: { dataRoot: string; execRoot: string; store: NetworkStore }): Promise<Endpoints> {
    const dir = join(o.dataRoot, 'network', 'endpoints');
    const netnsDir = join(o.execRoot, 'netns');
    const configDir = join(o.execRoot, 'netavark');
    await Promise.all([mkdir(dir, { recursive: true }), mkdir(netnsDir, { recursive: true }), mkdir(configDir, { recursive: true })]);
    const eps = new Endpoints(dir, netnsDir, configDir, o.store);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(await readFile(join(dir, name), 'utf8')) as EndpointRecord;
        eps.byContainer.set(rec.containerId, rec);
      } catch {
        await rm(join(dir, name), { force: true });
      }
    }
    // The keeper's namespace is gone after a reboot (the exec root is a tmpfs): it is made anew on demand.
    const keeper = eps.byContainer.get(KEEPER_ID);
    if (keeper && !(await access(keeper.netns).then(() => true, () => false))) {
      eps.byContainer.delete(KEEPER_ID);
      await rm(join(dir, `${KEEPER_ID}.json`), { force: true });
    } else if (keeper && !eps.keeperMatches(keeper)) {
      // The daemon's flags changed the default bridge (e.g. --ipv6): a new keeper is made for the new subnets.
      await eps.teardown(keeper);
    }
    // A namespace made while its reservation was being written, when the daemon died between the two.
    const held = new Set(eps.all().map((e) => e.netns));
    for (const name of await readdir(netnsDir)) if (!held.has(join(netnsDir, name))) await removeNetns(join(netnsDir, name));
    return eps;
  }

  get(containerId: string): EndpointRecord | undefined {
    return this.byContainer.get(containerId);
  }

  all(): EndpointRecord[] {
    return [...this.byContainer.values()];
  }

  /** Whether the keeper's endpoint has the default bridge's current subnets. */
  private keeperMatches(keeper: EndpointRecord): boolean {
    const net = this.store.tryFind('bridge');
    const info = net ? keeper.options.network_info[netavarkName(net)] : undefined;
    const want = net ? [net.subnet, ...(net.subnet6 ? [net.subnet6] : [])] : [];
    return info !== undefined && JSON.stringify(info.subnets.map((s) => s.subnet)) === JSON.stringify(want);
  }

  /** Runs `fn` after every earlier reservation: allocation decisions never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * netavark removes a bridge and its rules with its last endpoint and makes
   * them again for the next (~350 ms together here). An endpoint of berth's
   * own, in a namespace with no process, keeps the default bridge up, as
   * docker0 always is.
   */
  private keeping: Promise<unknown> | undefined;

  private keepBridgeUp(): Promise<unknown> {
    if (this.keeping) return this.keeping;
    const net = this.store.tryFind('bridge');
    if (!net || this.byContainer.has(KEEPER_ID)) return Promise.resolve();
    this.keeping ??= this.stage({ containerId: KEEPER_ID, containerName: KEEPER_ID, joins: [{ network: net.name }], ports: [] })
      .then((st) => st.setup)
      .catch((err) => log.warn('could not keep the default bridge up', { error: messageOf(err) }))
      .finally(() => (this.keeping = undefined));
    return this.keeping;
  }

  /**
   * Reserves the address and ports and makes the namespace; resolves then,
   * with `setup` (netavark's) still running, so a caller can have the runtime
   * join the namespace meanwhile. The record already holds every address and
   * the DNS servers netavark will report (the gateways of networks with DNS).
   * A failed setup tears down what it made before `setup` rejects.
   */
  async begin(o: AttachOptions): Promise<{ rec: EndpointRecord; setup: Promise<EndpointRecord> }> {
    if (o.joins.some((j) => this.store.tryFind(j.network)?.name === 'bridge')) await this.keepBridgeUp();
    const staged = this.stage(o);
    this.attaching.set(o.containerId, staged.then((s) => s.setup).catch(() => undefined));
    return staged;
  }

  private async stage(o: AttachOptions): Promise<{ rec: EndpointRecord; setup: Promise<EndpointRecord> }> {
    const t0 = performance.now();
    // The namespace is made while the reservation is decided and written, unless an
    // old endpoint of this container still holds the path (its teardown comes first).
    const netns = join(this.netnsDir, o.containerId);
    const early = this.byContainer.has(o.containerId) ? undefined : createNetns(netns).then(() => undefined, (err: unknown) => err);
    let rec: EndpointRecord;
    try {
      await this.leavingHolders(o);
      rec = await this.serial(() => this.reserve(o));
    } catch (err) {
      if (early) await early.then(() => removeNetns(netns));
      throw err;
    }
    try {
      const failed = early ? await early : await createNetns(rec.netns);
      if (failed) throw failed;
    } catch (err) {
      await this.teardown(rec).catch(() => undefined);
      throw err;
    }
    const t1 = performance.now();
    const setup = this.setup(rec).then((r) => {
      log.debug('endpoint set up', { id: o.containerId, reserveAndNetnsMs: Math.round(t1 - t0), setupMs: Math.round(performance.now() - t1) });
      return r;
    });
    setup.catch(() => undefined);
    return { rec, setup };
  }

  /**
   * Waits for the teardowns under way of endpoints holding what `o` asks for
   * by value: a host port, or an address (--ip, --ip6) on a network. The
   * port or address of a removed container is free for the next one, as
   * with docker (`run --rm -p P` twice in a row), though teardowns run after
   * the removal. Outside `serial`, since a teardown may wait for its
   * container's own reservation.
   */
  private async leavingHolders(o: AttachOptions): Promise<void> {
    const ports = o.ports.filter((p) => p.hostPort !== 0 && p.hostPortEnd === undefined);
    const addrs = o.joins.filter((j) => j.ip || j.ip6).map((j) => ({ net: this.store.tryFind(j.network)?.id, ips: [j.ip, j.ip6 && formatIp6(parseIp6(j.ip6) ?? 0n)] }));
    if (ports.length === 0 && addrs.length === 0) return;
    const holds = (rec: EndpointRecord) =>
      rec.published.some((p) => ports.some((w) => collides(w, p))) ||
      rec.joined.some((j) => addrs.some((a) => a.net === j.networkId && (a.ips.includes(j.ip) || (j.ip6 !== undefined && a.ips.includes(j.ip6)))));
    const leaving = [...this.detaching.entries()].filter(([id]) => {
      const rec = this.byContainer.get(id);
      return rec !== undefined && holds(rec);
    });
    await Promise.all(leaving.map(([, done]) => done.catch(() => undefined)));
  }

  private async setup(rec: EndpointRecord): Promise<EndpointRecord> {
    try {
      if (this.vethOnly(rec) && (await this.plumbed(rec))) return rec;
      const out = await netavark({ configDir: this.configDir, verb: 'setup', netns: rec.netns, options: rec.options });
      const status = JSON.parse(out) as NetavarkStatus;
      for (const j of rec.joined) {
        const net = this.store.tryFind(j.networkId);
        const st = net ? status[netavarkName(net)] : undefined;
        const iface = st ? Object.values(st.interfaces)[0] : undefined;
        if (iface) j.mac = iface.mac_address;
        for (const ip of st?.dns_server_ips ?? []) if (!rec.dnsServers.includes(ip)) rec.dnsServers.push(ip);
        for (const s of st?.dns_search_domains ?? []) if (!rec.dnsSearch.includes(s)) rec.dnsSearch.push(s);
      }
      await this.persist(rec);
      return rec;
    } catch (err) {
      await this.teardown(rec).catch(() => undefined);
      throw err;
    }
  }

  private async reserve(o: AttachOptions): Promise<EndpointRecord> {
    const old = this.byContainer.get(o.containerId);
    if (old) await (this.detaching.get(o.containerId) ?? this.teardown(old));
    const options: NetavarkOptions = { container_id: o.containerId, container_name: o.containerName, networks: {}, network_info: {}, port_mappings: [] };
    const joined: JoinedNetwork[] = [];
    o.joins.forEach((j, i) => this.join(options, joined, j, `eth${i}`));
    checkIpv6Bindings(o.ports, joined.some((j) => j.ip6 !== undefined));
    const taken = this.all().flatMap((e) => e.published);
    const published = await assignHostPorts(o.ports, taken);
    options.port_mappings = joined.length ? published.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })) : [];
    // aardvark-dns answers on the gateway of each network with DNS: known before netavark runs.
    const dnsServers = joined.filter((j) => this.store.tryFind(j.networkId)?.dns).flatMap((j) => (j.gateway6 ? [j.gateway, j.gateway6] : [j.gateway]));
    const rec: EndpointRecord = { containerId: o.containerId, netns: join(this.netnsDir, o.containerId), options, published, joined, dnsServers, dnsSearch: [] };
    this.byContainer.set(o.containerId, rec);
    await this.persist(rec);
    return rec;
  }

  /** Adds one network to netavark's options and the joined list, with its addresses allocated. */
  private join(options: NetavarkOptions, joined: JoinedNetwork[], j: JoinRequest, ifname: string): void {
    const net = this.store.tryFind(j.network);
    if (!net || net.driver !== 'bridge') throw notFound(`network ${j.network} not found`);
    const used = this.inUse(net, joined);
    const ip = allocate4(net, j.ip, used.v4);
    const aliases = [...new Set([...(j.aliases ?? [])])];
    const name = netavarkName(net);
    // Docker's MAC from the address: a reused address keeps its MAC, so the host's neighbour cache never points at a gone container.
    const mac = j.mac || macFromIp(ip);
    const entry: JoinedNetwork = { networkId: net.id, name: net.name, ip, prefixLen: Number(net.subnet!.split('/')[1]), gateway: net.gateway!, mac, aliases };
    // netavark pairs static_ips with subnets by position.
    const subnets = [{ subnet: net.subnet!, gateway: net.gateway! }];
    if (net.ipv6) {
      Object.assign(entry, { ip6: allocate6(net, j.ip6, used.v6), prefixLen6: Number(net.subnet6!.split('/')[1]), gateway6: net.gateway6! });
      subnets.push({ subnet: net.subnet6!, gateway: net.gateway6! });
    } else if (j.ip6) {
      throw invalidArgument(`invalid endpoint settings:\nuser specified IP address is supported only when connecting to networks with user configured subnets`);
    }
    const staticIps = entry.ip6 ? [ip, entry.ip6] : [ip];
    options.networks[name] = { interface_name: ifname, static_ips: staticIps, aliases: net.dns ? aliases : [], static_mac: mac };
    options.network_info[name] = {
      name, id: net.id, driver: 'bridge', network_interface: net.iface!, subnets,
      ipv6_enabled: net.ipv6 === true, internal: net.internal, dns_enabled: net.dns, ipam_options: { driver: 'host-local' },
      options: { isolate: net.name === 'bridge' ? 'false' : 'true' },
    };
    joined.push(entry);
  }

  /** Joins a live endpoint to one more network (network connect on a running container). */
  async connect(containerId: string, j: JoinRequest): Promise<EndpointRecord> {
    const rec = this.byContainer.get(containerId);
    if (!rec) throw notFound(`container ${containerId} has no network namespace`);
    const part: NetavarkOptions = { container_id: containerId, container_name: rec.options.container_name, networks: {}, network_info: {}, port_mappings: [] };
    const joined: JoinedNetwork[] = [];
    await this.serial(async () => {
      let n = 0;
      const used = new Set(Object.values(rec.options.networks).map((x) => x.interface_name));
      while (used.has(`eth${n}`)) n++;
      this.join(part, joined, j, `eth${n}`);
      Object.assign(rec.options.networks, part.networks);
      Object.assign(rec.options.network_info, part.network_info);
      rec.joined.push(...joined);
      await this.persist(rec);
    });
    try {
      const status = JSON.parse(await netavark({ configDir: this.configDir, verb: 'setup', netns: rec.netns, options: part })) as NetavarkStatus;
      const st = Object.values(status)[0];
      const iface = st ? Object.values(st.interfaces)[0] : undefined;
      if (iface) joined[0].mac = iface.mac_address;
      for (const ip of st?.dns_server_ips ?? []) if (!rec.dnsServers.includes(ip)) rec.dnsServers.push(ip);
    } catch (err) {
      await this.forget(rec, part).catch(() => undefined);
      throw err;
    }
    await this.persist(rec);
    return rec;
  }

  /** Takes a live endpoint off one network (network disconnect on a running container). */
  async disconnect(containerId: string, networkId: string): Promise<void> {
    const rec = this.byContainer.get(containerId);
    const net = this.store.tryFind(networkId);
    if (!rec || !net) return;
    const name = netavarkName(net);
    if (!rec.options.networks[name]) return;
    const part: NetavarkOptions = {
      container_id: containerId, container_name: rec.options.container_name,
      networks: { [name]: rec.options.networks[name] }, network_info: { [name]: rec.options.network_info[name] }, port_mappings: [],
    };
    await netavark({ configDir: this.configDir, verb: 'teardown', netns: rec.netns, options: part }).catch((err) =>
      log.debug('netavark teardown of one network failed', { id: containerId, error: messageOf(err) }),
    );
    await this.forget(rec, part);
  }

  private async forget(rec: EndpointRecord, part: NetavarkOptions): Promise<void> {
    for (const name of Object.keys(part.networks)) {
      const id = part.network_info[name]?.id;
      delete rec.options.networks[name];
      delete rec.options.network_info[name];
      rec.joined = rec.joined.filter((j) => j.networkId !== id);
    }
    await this.persist(rec);
  }

  /** Addresses of `net` held by endpoints on file and by `pending` (the reservation being made). */
  private inUse(net: NetworkRecord, pending: JoinedNetwork[]): { v4: string[]; v6: string[] } {
    const all = [...this.all().flatMap((e) => e.joined), ...pending].filter((j) => j.networkId === net.id);
    return { v4: all.map((j) => j.ip), v6: all.flatMap((j) => (j.ip6 ? [j.ip6] : [])) };
  }

  private async persist(rec: EndpointRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${rec.containerId}.json`), rec);
  }

  /** Tears down the container's networking; its address and ports are free once this resolves. */
  detach(containerId: string): Promise<void> {
    return this.detachNow(containerId);
  }

  private detachNow(containerId: string): Promise<void> {
    const running = this.detaching.get(containerId);
    if (running) return running;
    const pending = this.attaching.get(containerId);
    const p = (async () => {
      if (pending) await pending;
      const rec = this.byContainer.get(containerId);
      if (rec) await this.teardown(rec);
    })().finally(() => {
      this.detaching.delete(containerId);
      if (this.attaching.get(containerId) === pending) this.attaching.delete(containerId);
    });
    this.detaching.set(containerId, p);
    return p;
  }

  /**
   * An endpoint on the default bridge with no published port and no DNS
   * entry owns nothing of netavark's but its veth pair while the keeper holds
   * the bridge and its rules: making and deleting the veth is its whole setup
   * and teardown, and needs neither netavark's per-container firewall checks
   * nor the host-wide lock another container's setup may be waiting for.
   */
  private vethOnly(rec: EndpointRecord): boolean {
    // IPv6 endpoints need netavark's sysctls (no DAD, no autoconf) beside the address: left to netavark.
    if (rec.containerId === KEEPER_ID || !this.byContainer.has(KEEPER_ID) || rec.options.port_mappings.length > 0) return false;
    if (rec.joined.some((j) => j.ip6 !== undefined)) return false;
    const keeper = this.byContainer.get(KEEPER_ID)!;
    return Object.entries(rec.options.network_info).every(([name, info]) => !info.dns_enabled && name in keeper.options.network_info);
  }

  /** Sets a veth-only endpoint up without netavark (see vethOnly); false when the bridge is not there to join. */
  private async plumbed(rec: EndpointRecord): Promise<boolean> {
    const [name, member] = Object.entries(rec.options.networks)[0];
    const bridge = rec.options.network_info[name].network_interface;
    if (Object.keys(rec.options.networks).length !== 1 || !(await interfaceExists(bridge))) return false;
    const j = rec.joined[0];
    await plumbVeth({ netns: rec.netns, bridge, ifname: member.interface_name, mac: j.mac, ip: j.ip, prefixLen: j.prefixLen, gateway: j.gateway });
    return true;
  }

  private async teardown(rec: EndpointRecord): Promise<void> {
    const containerId = rec.containerId;
    const t0 = performance.now();
    if (this.vethOnly(rec)) {
      await removeVeths(rec.netns, Object.values(rec.options.networks).map((n) => n.interface_name));
    } else if (Object.keys(rec.options.networks).length > 0) {
      await netavark({ configDir: this.configDir, verb: 'teardown', netns: rec.netns, options: rec.options }).catch((err) =>
        log.debug('netavark teardown failed', { id: containerId, error: messageOf(err) }),
      );
    }
    await removeNetns(rec.netns);
    await rm(join(this.dir, `${containerId}.json`), { force: true });
    this.byContainer.delete(containerId);
    log.debug('endpoint torn down', { id: containerId, ms: Math.round(performance.now() - t0) });
  }
}

/** The endpoint that keeps the default bridge up; it is no container's. */
export const KEEPER_ID = 'berth-bridge-keeper';

/** netavark names chains and aardvark files after the network: unique per bridge, so daemons side by side never share them. */
export function netavarkName(net: NetworkRecord): string {
  return `berth-${net.iface}`;
}

/**
 * netavark publishes on an IPv6 host address by DNAT in ip6tables, which
 * needs an IPv6 address in the container; the kernel has no route_localnet
 * for IPv6, so traffic to ::1 can never be forwarded to a container.
 */
function checkIpv6Bindings(ports: PortRequest[], hasIpv6: boolean): void {
  for (const p of ports.filter((x) => x.hostIp.includes(':'))) {
    if (parseIp6(p.hostIp) === 1n) throw invalidArgument(`publishing on ${p.hostIp} is not supported: IPv6 loopback traffic cannot be forwarded to a container (publish on another address, or on all addresses)`);
    if (!hasIpv6) throw invalidArgument(`publishing on IPv6 address ${p.hostIp} needs a network with IPv6 enabled`);
  }
}
