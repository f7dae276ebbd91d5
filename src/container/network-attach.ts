/**
 * What containers need from networking, declared by role; engine/ passes the
 * network service in. Contract: `attach` runs at the container's preparation
 * and returns a network namespace the runtime may join at once, with the
 * interfaces coming up until `ready` resolves (before the process starts); `detach`
 * runs after the container's exit or removal, and the namespace stays until
 * it resolves.
 */
import type { ContainerRecord } from './record.js';
import type { NetworkSettings } from '../spec/docker-container.js';

export interface AttachedNetwork {
  netnsPath: string;
  networks: Array<{
    name: string; networkId: string; ip: string; prefixLen: number; gateway: string; mac: string; aliases: string[];
    /** On dual-stack networks. */
    ip6?: string; prefixLen6?: number; gateway6?: string;
  }>;
  /** NetworkSettings.Ports shape: "80/tcp" → bindings, null when exposed only. */
  ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  /** DNS servers the networks provide (aardvark-dns); empty: the host's resolvers. */
  dnsServers: string[];
  dnsSearch: string[];
}

/** An attachment whose namespace exists and whose addresses are fixed; `ready` resolves once its interfaces are up. */
export interface StagedNetwork {
  network: AttachedNetwork;
  ready: Promise<AttachedNetwork>;
}

export interface NetworkAttach {
  attach(rec: ContainerRecord): Promise<StagedNetwork>;
  detach(containerId: string): Promise<void>;
  /** Bridge-driver networks by name or id; predefined host and none are not. */
  isBridgeNetwork(ref: string): boolean;
  /** `--network container:REF`: the running container's namespace; throws when it has none. */
  sharedNamespace(ref: string): string;
  /** `--link NAME:ALIAS` as /etc/hosts lines ("NAME:IP" add-host form), from the targets' current addresses. */
  linkHosts(links: string[]): string[];
}

/** Modes that need no endpoint: the host's namespace, an empty one, or another container's. */
export function needsEndpoint(networkMode: string): boolean {
  return networkMode !== 'host' && networkMode !== 'none' && !networkMode.startsWith('container:');
}

/** --add-host NAME:host-gateway means the container's gateway. */
export function resolveExtraHosts(extra: string[], attached: AttachedNetwork | undefined): string[] {
  const gateway = attached?.networks[0]?.gateway;
  return extra.map((e) => (e.endsWith(':host-gateway') && gateway ? `${e.slice(0, e.lastIndexOf(':'))}:${gateway}` : e));
}

const EMPTY_SETTINGS = {
  Bridge: '', SandboxID: '', SandboxKey: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
  SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPv6Gateway: '',
};

function endpoint(o: {
  networkId?: string; ip?: string; prefixLen?: number; gateway?: string; mac?: string; aliases?: string[] | null; dnsNames?: string[] | null;
  ip6?: string; prefixLen6?: number; gateway6?: string;
}) {
  return {
    IPAMConfig: null, Links: null, Aliases: o.aliases ?? null, MacAddress: o.mac ?? '', NetworkID: o.networkId ?? '', EndpointID: '',
    Gateway: o.gateway ?? '', IPAddress: o.ip ?? '', IPPrefixLen: o.prefixLen ?? 0, IPv6Gateway: o.gateway6 ?? '', GlobalIPv6Address: o.ip6 ?? '',
    GlobalIPv6PrefixLen: o.prefixLen6 ?? 0, DriverOpts: null, DNSNames: o.dnsNames ?? null,
  };
}

/** Docker's NetworkSettings for inspect: addresses while an endpoint exists, the configured networks otherwise. */
export function networkSettingsOf(rec: ContainerRecord, live: boolean): NetworkSettings {
  const mode = rec.hostConfig.NetworkMode ?? 'bridge';
  const att = live ? rec.network : undefined;
  const exposed = Object.keys(rec.config.ExposedPorts ?? {});
  const ports: NetworkSettings['Ports'] = att?.ports ?? Object.fromEntries(exposed.map((k) => [k, null]));
  const networks: NetworkSettings['Networks'] = {};
  if (att) {
    for (const n of att.networks) {
      networks[n.name] = endpoint({
        networkId: n.networkId, ip: n.ip, prefixLen: n.prefixLen, gateway: n.gateway, mac: n.mac, ip6: n.ip6, prefixLen6: n.prefixLen6, gateway6: n.gateway6,
        aliases: n.name === 'bridge' ? null : n.aliases,
        dnsNames: n.name === 'bridge' ? null : [rec.name, rec.id.slice(0, 12), ...n.aliases],
      });
    }
  } else {
    networks[mode] = endpoint({});
  }
  const first = att?.networks.find((n) => n.name === 'bridge');
  return {
    ...EMPTY_SETTINGS,
    SandboxKey: att?.netnsPath ?? '',
    Ports: ports,
    Gateway: first?.gateway ?? '',
    IPAddress: first?.ip ?? '',
    IPPrefixLen: first?.prefixLen ?? 0,
    MacAddress: first?.mac ?? '',
    GlobalIPv6Address: first?.ip6 ?? '',
    GlobalIPv6PrefixLen: first?.prefixLen6 ?? 0,
    IPv6Gateway: first?.gateway6 ?? '',
    Networks: networks,
  } as NetworkSettings;
}

/** ps's Ports list: published bindings, and exposed ports with no binding. */
export function summaryPorts(rec: ContainerRecord, live: boolean): Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> {
  const map = networkSettingsOf(rec, live).Ports ?? {};
  const out: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
  for (const [key, list] of Object.entries(map)) {
    const [port, type] = key.split('/');
    if (!list) out.push({ PrivatePort: Number(port), Type: type ?? 'tcp' });
    else for (const b of list) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type ?? 'tcp' });
  }
  return out;
}
