import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { invalidArgument } from '../util/errors.js';
import { conflict } from '../util/errors.js';

/** One published port as berth holds it: host side fixed (a random port already chosen). */
export interface PublishedPort {
  hostIp: string; // "" = every address
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/**
 * A request before host ports are picked: hostPort 0 = any free one; with
 * hostPortEnd, any free one from hostPort to hostPortEnd (docker's "8000-8010").
 */
export interface PortRequest extends PublishedPort {
  hostPortEnd?: number;
}

/**
 * Docker's PortBindings ({"80/tcp": [{HostIp, HostPort}]}) plus, with
 * PublishAllPorts, every exposed port not bound otherwise, as requests.
 */
export function portRequests(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined,
  exposed: string[],
  publishAll: boolean,
): PortRequest[] {
  const out: PortRequest[] = [];
  const keyed = { ...(bindings ?? {}) };
  if (publishAll) for (const key of exposed) if (!keyed[key]) keyed[key] = [{ HostIp: '', HostPort: '' }];
  for (const [key, list] of Object.entries(keyed)) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m) throw invalidArgument(`invalid port specification: "${key}"`);
    const containerPort = Number(m[1]);
    if (containerPort < 1 || containerPort > 65535) throw invalidArgument(`invalid port specification: "${key}"`);
    for (const b of list && list.length ? list : [{}]) {
      const hp = /^(\d+)(?:-(\d+))?$/.exec(b.HostPort ?? '');
      const hostPort = hp ? Number(hp[1]) : 0;
      const hostPortEnd = hp?.[2] === undefined ? undefined : Number(hp[2]);
      const bad = b.HostPort && (!hp || hostPort > 65535 || (hostPortEnd !== undefined && (hostPortEnd > 65535 || hostPortEnd < hostPort || hostPort === 0)));
      if (bad) throw invalidArgument(`invalid port specification: "${b.HostPort}"`);
      const hostIp = hostIpOf(b.HostIp);
      const r: PortRequest = { hostIp, hostPort, containerPort, protocol: (m[2] ?? 'tcp') as PublishedPort['protocol'] };
      if (hostPortEnd !== undefined && hostPortEnd !== hostPort) r.hostPortEnd = hostPortEnd;
      out.push(r);
    }
  }
  return out;
}

/** Two bindings collide when protocol and port match and either takes all addresses or both take the same one. */
export function collides(a: PublishedPort, b: PublishedPort): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

export function allocatedMessage(p: PortRequest): string {
  const ports = p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : String(p.hostPort);
  return `driver failed programming external connectivity on endpoint: Bind for ${p.hostIp || '0.0.0.0'}:${ports} failed: port is already allocated`;
}

/** dockerd's words when a process of the host's holds the port (its userland proxy could not listen). */
export function inUseMessage(p: PublishedPort): string {
  const family = p.hostIp.includes(':') ? '6' : '4';
  const ip = p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp || '0.0.0.0';
  return `driver failed programming external connectivity on endpoint: Error starting userland proxy: listen ${p.protocol}${family} ${ip}:${p.hostPort}: bind: address already in use`;
}

const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;

/**
 * Fixes every host port. A requested port must collide with no binding of
 * berth's (`taken`) and be free on the host, as dockerd's proxy would find it
 * (netavark's DNAT binds nothing, so a host process would lose its traffic).
 * A range takes the first of its ports that is free both ways; a random one
 * is the first such port from a random start in the ephemeral range.
 */
export async function assignHostPorts(requests: PortRequest[], taken: PublishedPort[]): Promise<PublishedPort[]> {
  const out: PublishedPort[] = [];
  const clashes = (p: PublishedPort) => [...taken, ...out].some((t) => collides(t, p));
  for (const r of requests.filter((x) => x.hostPort !== 0)) {
    const { hostPortEnd, ...port } = r;
    if (hostPortEnd === undefined) {
      if (clashes(port)) throw conflict(allocatedMessage(r));
      if (!(await canBind(port.hostIp, port.hostPort, port.protocol))) throw conflict(inUseMessage(port));
      out.push(port);
      continue;
    }
    let found: PublishedPort | undefined;
    for (let p = r.hostPort; p <= hostPortEnd && !found; p++) {
      const candidate = { ...port, hostPort: p };
      if (!clashes(candidate) && (await canBind(candidate.hostIp, p, candidate.protocol))) found = candidate;
    }
    if (!found) throw conflict(allocatedMessage(r));
    out.push(found);
  }
  const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
  let cursor = Math.floor(Math.random() * span);
  for (const r of requests.filter((x) => x.hostPort === 0)) {
    let found = 0;
    for (let tries = 0; tries < span && !found; tries++, cursor++) {
      const port = EPHEMERAL_FIRST + (cursor % span);
      const candidate = { ...r, hostPort: port };
      if (clashes(candidate)) continue;
      if (await canBind(r.hostIp, port, r.protocol)) found = port;
    }
    if (!found) throw conflict(`no free host port for ${r.containerPort}/${r.protocol}`);
    out.push({ hostIp: r.hostIp, hostPort: found, containerPort: r.containerPort, protocol: r.protocol });
  }
  return out;
}

/** Whether the host lets us bind the port now (sctp is not checked: node has no sctp sockets). */
function canBind(hostIp: string, port: number, protocol: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'sctp') return resolve(true);
    if (protocol === 'udp') {
      const s = createSocket(hostIp.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => resolve(false));
      s.bind(port, hostIp || '0.0.0.0', () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, hostIp || '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** "" for every address ("0.0.0.0" and "::" too), else the address; IPv6 without brackets. */
function hostIpOf(text: string | undefined): string {
  const ip = (text ?? '').replace(/^\[(.*)\]$/, '$1');
  return ip === '0.0.0.0' || ip === '::' ? '' : ip;
}

/**
 * NetworkSettings.Ports: every exposed or published port, null when not
 * published. A binding on every address is listed as 0.0.0.0 and, when the
 * container has IPv6 (netavark then forwards both families), as :: too.
 */
export function portMap(published: PublishedPort[], exposed: string[], ipv6 = false): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const map: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of exposed) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of published) {
    const list = (map[`${p.containerPort}/${p.protocol}`] ??= []);
    list.push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
    if (!p.hostIp && ipv6) list.push({ HostIp: '::', HostPort: String(p.hostPort) });
  }
  return map;
}
