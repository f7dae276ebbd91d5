import { UsageError } from './flags.js';

type Bindings = Record<string, Array<{ HostIp: string; HostPort: string }>>;

/** PORT or LO-HI; `what` names the side in docker's words ("hostPort", "containerPort"). */
function range(text: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new UsageError(`invalid ${what}: ${text}`);
  return [lo, hi];
}

/**
 * docker's -p forms: [ip:][hostPort[-hostEnd]:]containerPort[-containerEnd][/proto],
 * ranges of equal length paired port by port, a host range against one
 * container port meaning "any of these". Fills bindings and the exposed set.
 */
export function parsePublish(specs: string[], bindings: Bindings, exposed: Record<string, object>): void {
  for (const spec of specs) {
    let rest = spec;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.slice(slash + 1).toLowerCase();
      rest = rest.slice(0, slash);
      if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new UsageError(`invalid proto: ${proto}`);
    }
    let hostIp = '';
    const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
    if (bracket) {
      hostIp = bracket[1];
      rest = bracket[2];
    }
    const parts = rest.split(':');
    if (parts.length > 3) throw new UsageError(`invalid port specification: "${spec}"`);
    if (parts.length === 3) hostIp = parts.shift()!;
    const containerText = parts.pop()!;
    const hostText = parts.pop() ?? '';
    const [cLo, cHi] = range(containerText, 'containerPort');
    const host = hostText === '' ? undefined : range(hostText, 'hostPort');
    const count = cHi - cLo + 1;
    if (host && host[1] - host[0] + 1 !== count && count !== 1) {
      throw new UsageError(`invalid ranges specified for container and host Ports: ${containerText} and ${hostText}`);
    }
    for (let i = 0; i < count; i++) {
      const key = `${cLo + i}/${proto}`;
      let hostPort = '';
      // One container port against a host range: the daemon takes any free port of the range.
      if (host) hostPort = count === 1 && host[0] !== host[1] ? `${host[0]}-${host[1]}` : String(host[0] + i);
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
    }
  }
}

/** --expose PORT[-END][/proto] */
export function parseExpose(specs: string[], exposed: Record<string, object>): void {
  for (const spec of specs) {
    const [ports, proto = 'tcp'] = spec.split('/');
    const [lo, hi] = range(ports, 'port');
    for (let p = lo; p <= hi; p++) exposed[`${p}/${proto}`] = {};
  }
}
