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

/** A request before random host ports are picked: hostPort 0 = any free one. */
export type PortRequest = PublishedPort;

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
      const hostPort = b.HostPort ? Number(b.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) throw invalidArgument(`invalid port specification: "${b.HostPort}"`);
      const hostIp = b.HostIp === '0.0.0.0' ? '' : b.HostIp ?? '';
      if (hostIp.includes(':')) throw invalidArgument(`publishing on IPv6 address ${hostIp} is not supported`);
      out.push({ hostIp, hostPort, containerPort, protocol: (m[2] ?? 'tcp') as PublishedPort['protocol'] });
    }
  }
  return out;
}

/** Two bindings collide when protocol and port match and either takes all addresses or both take the same one. */
export function collides(a: PublishedPort, b: PublishedPort): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

export function allocatedMessage(p: PublishedPort): string {
  return `driver failed programming external connectivity on endpoint: Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`;
}

const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;

/**
 * Fixes every host port: a requested one must not collide with `taken`; a
 * random one is the first free port from a random start in the ephemeral
 * range that no binding of berth's holds and that the host can bind now.
 */
export async function assignHostPorts(requests: PortRequest[], taken: PublishedPort[]): Promise<PublishedPort[]> {
  const out: PublishedPort[] = [];
  for (const r of requests.filter((x) => x.hostPort !== 0)) {
    const clash = [...taken, ...out].find((t) => collides(t, r));
    if (clash) throw conflict(allocatedMessage(r));
    out.push(r);
  }
  const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
  let cursor = Math.floor(Math.random() * span);
  for (const r of requests.filter((x) => x.hostPort === 0)) {
    let found = 0;
    for (let tries = 0; tries < span && !found; tries++, cursor++) {
      const port = EPHEMERAL_FIRST + (cursor % span);
      const candidate = { ...r, hostPort: port };
      if ([...taken, ...out].some((t) => collides(t, candidate))) continue;
      if (await canBind(r.hostIp, port, r.protocol)) found = port;
    }
    if (!found) throw conflict(`no free host port for ${r.containerPort}/${r.protocol}`);
    out.push({ ...r, hostPort: found });
  }
  return out;
}

function canBind(hostIp: string, port: number, protocol: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, hostIp || '0.0.0.0', () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, hostIp || '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** NetworkSettings.Ports: every exposed or published port, null when not published. */
export function portMap(published: PublishedPort[], exposed: string[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const map: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of exposed) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of published) {
    const key = `${p.containerPort}/${p.protocol}`;
    (map[key] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return map;
}
