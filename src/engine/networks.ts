import type { AttachedNetwork, ContainerRecord, ContainerService, NetworkAttach, StagedNetwork } from '../container/index.js';
import { portMap, portRequests, type EndpointRecord, type JoinRequest, type NetworkService } from '../network/index.js';
import { readFile, writeFile } from 'node:fs/promises';
import { EngineError, invalidArgument } from '../util/errors.js';

type EndpointConfig = NonNullable<ContainerRecord['endpointsConfig']>[string];

/** The networks a container joins: its network mode first, then those connected since. */
function joinsOf(net: NetworkService, rec: ContainerRecord): JoinRequest[] {
  const mode = rec.hostConfig.NetworkMode ?? 'bridge';
  const configs = rec.endpointsConfig ?? {};
  const names = [mode, ...Object.keys(configs)];
  const seen = new Set<string>();
  const out: JoinRequest[] = [];
  for (const ref of names) {
    const n = net.find(ref);
    if (!n || n.driver !== 'bridge' || seen.has(n.id)) continue;
    seen.add(n.id);
    out.push(joinRequest(n.name, rec, configs[ref] ?? configs[n.name] ?? configs[n.id]));
  }
  return out;
}

function joinRequest(network: string, rec: ContainerRecord, cfg: EndpointConfig | undefined): JoinRequest {
  return {
    network,
    ip: cfg?.IPAMConfig?.IPv4Address || undefined,
    ip6: cfg?.IPAMConfig?.IPv6Address || undefined,
    mac: cfg?.MacAddress || rec.config.MacAddress || undefined,
    // Containers find each other by name, short id and aliases on user networks (aardvark-dns).
    aliases: network === 'bridge' ? [] : [rec.name, rec.id.slice(0, 12), ...(cfg?.Aliases ?? [])],
  };
}

function attachedView(ep: EndpointRecord, rec: ContainerRecord): AttachedNetwork {
  const exposed = Object.keys(rec.config.ExposedPorts ?? {});
  const cfgAliases = (name: string) => rec.endpointsConfig?.[name]?.Aliases ?? [];
  return {
    netnsPath: ep.netns,
    networks: ep.joined.map((j) => ({ ...j, aliases: j.name === 'bridge' ? [] : cfgAliases(j.name) })),
    ports: portMap(ep.published, exposed, ep.joined.some((j) => j.ip6 !== undefined)),
    dnsServers: ep.dnsServers,
    dnsSearch: ep.dnsSearch,
  };
}

/** Adapts the network service to the NetworkAttach role containers declare; `containers` resolves link and namespace targets. */
export function networkAttach(net: NetworkService, containers: () => ContainerService | undefined): NetworkAttach {
  const running = (ref: string) => {
    const rec = containers()?.find(ref);
    if (!rec) throw new EngineError('NotFound', `No such container: ${ref}`);
    const ep = net.endpoint(rec.id);
    if (rec.state.status !== 'running' || !ep) throw new EngineError('Conflict', `cannot join network of a non running container: ${ref}`);
    return { rec, ep };
  };
  return {
    async attach(rec: ContainerRecord): Promise<StagedNetwork> {
      const hc = rec.hostConfig;
      const ports = portRequests(hc.PortBindings, Object.keys(rec.config.ExposedPorts ?? {}), hc.PublishAllPorts === true);
      const { rec: ep, setup } = await net.begin({ containerId: rec.id, containerName: rec.name, joins: joinsOf(net, rec), ports });
      return { network: attachedView(ep, rec), ready: setup.then((e) => attachedView(e, rec)) };
    },
    detach: (id) => net.detach(id),
    isBridgeNetwork: (ref) => net.find(ref)?.driver === 'bridge',
    sharedNamespace: (ref) => running(ref).ep.netns,
    linkHosts(links) {
      const out: string[] = [];
      for (const link of links) {
        // "name:alias" from the CLI, or "/name:/self/alias" as dockerd stores them
        const [target, alias] = link.split(':').map((x) => x.replace(/^.*\//, ''));
        const { rec, ep } = running(target);
        const ip = ep.joined[0]?.ip;
        if (!ip) continue;
        for (const name of new Set([alias || rec.name, rec.name, rec.id.slice(0, 12)])) out.push(`${name}:${ip}`);
      }
      return out;
    },
  };
}

const forbidden = (m: string) => new EngineError('Forbidden', m);

/** POST /networks/{id}/connect: recorded on the container; joined at once when it runs. */
export async function connectContainer(net: NetworkService, containers: ContainerService, netRef: string, ref: string, cfg: EndpointConfig = {}): Promise<void> {
  const n = net.get(netRef);
  await containers.update(ref, async (rec) => {
    const mode = rec.hostConfig.NetworkMode ?? 'bridge';
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:') || n.driver !== 'bridge') {
      throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    }
    const joined = joinsOf(net, rec).some((j) => net.find(j.network)?.id === n.id);
    if (joined) throw forbidden(`endpoint with name ${rec.name} already exists in network ${n.name}`);
    const live = net.endpoint(rec.id);
    if (live && rec.state.status === 'running') {
      const ep = await net.connect(rec.id, joinRequest(n.name, rec, cfg));
      rec.endpointsConfig = { ...(rec.endpointsConfig ?? {}), [n.name]: cfg };
      rec.network = attachedView(ep, rec);
      if (!rec.hostConfig.Dns?.length) await addNameservers(containers.inspect(rec.id).ResolvConfPath, ep.dnsServers);
    } else {
      rec.endpointsConfig = { ...(rec.endpointsConfig ?? {}), [n.name]: cfg };
    }
  });
}

/** POST /networks/{id}/disconnect */
export async function disconnectContainer(net: NetworkService, containers: ContainerService, netRef: string, ref: string): Promise<void> {
  const n = net.get(netRef);
  await containers.update(ref, async (rec) => {
    const joined = joinsOf(net, rec).some((j) => net.find(j.network)?.id === n.id);
    if (!joined) throw forbidden(`container ${rec.id} is not connected to network ${n.name}`);
    const live = net.endpoint(rec.id);
    if (live) {
      await net.disconnect(rec.id, n.id);
      rec.network = attachedView(live, rec);
    }
    const configs = { ...(rec.endpointsConfig ?? {}) };
    delete configs[n.name];
    delete configs[n.id];
    rec.endpointsConfig = configs;
    const mode = rec.hostConfig.NetworkMode ?? 'bridge';
    if (net.find(mode)?.id === n.id) rec.hostConfig.NetworkMode = Object.keys(configs).find((k) => net.find(k)?.driver === 'bridge') ?? 'none';
  });
}

/**
 * A running container joined to a network with DNS learns its server: the
 * bind-mounted resolv.conf is rewritten in place (same inode), the new
 * servers first, as podman does on connect.
 */
async function addNameservers(path: string, servers: string[]): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const missing = servers.filter((s) => !new RegExp(`^nameserver\\s+${s.replace(/\./g, '\\.')}\\s*$`, 'm').test(text));
  if (missing.length === 0) return;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const at = lines.findIndex((l) => /^\s*nameserver\s/.test(l));
  lines.splice(at < 0 ? lines.length : at, 0, ...missing.map((s) => `nameserver ${s}`));
  if (!lines.some((l) => /^\s*search\s/.test(l))) lines.push('search dns.podman');
  await writeFile(path, lines.join('\n') + '\n');
}

export function checkEndpointConfig(body: unknown): EndpointConfig {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid EndpointConfig');
  return body as EndpointConfig;
}
