import { readFile, writeFile } from 'node:fs/promises';

/**
 * The three files Docker writes for every container and bind-mounts over
 * /etc/hostname, /etc/hosts and /etc/resolv.conf. They are rewritten at every
 * start, so a plain write (no fsync) is enough: a torn file is replaced before
 * any container reads it.
 */
export interface EtcFiles {
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
}

/** Resolver settings from --dns, --dns-search, --dns-option or the network; empty lists keep the host's. */
export interface DnsSettings {
  servers: string[];
  search: string[];
  options: string[];
}

const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export async function writeEtcFiles(
  dir: string,
  o: { hostname: string; domainname?: string; networkMode: string; extraHosts?: string[]; ipAddress?: string; ipAddress6?: string; dns?: DnsSettings },
): Promise<EtcFiles> {
  const files: EtcFiles = {
    hostnamePath: `${dir}/hostname`,
    hostsPath: `${dir}/hosts`,
    resolvConfPath: `${dir}/resolv.conf`,
  };
  let hosts: string;
  if (o.networkMode === 'host') {
    hosts = await readHostFile('/etc/hosts', LOCALHOST_LINES.join('\n') + '\n');
  } else {
    const lines = [...LOCALHOST_LINES];
    for (const extra of o.extraHosts ?? []) {
      const i = extra.indexOf(':');
      if (i > 0) lines.push(`${extra.slice(i + 1)}\t${extra.slice(0, i)}`);
    }
    const fqdn = o.domainname ? `${o.hostname}.${o.domainname} ` : '';
    for (const ip of [o.ipAddress, o.ipAddress6]) if (ip) lines.push(`${ip}\t${fqdn}${o.hostname}`);
    hosts = lines.join('\n') + '\n';
  }
  await Promise.all([
    writeFile(files.hostnamePath, `${o.hostname}\n`),
    writeFile(files.hostsPath, hosts),
    containerResolvConf(o.networkMode, o.dns).then((text) => writeFile(files.resolvConfPath, text)),
  ]);
  return files;
}

async function readHostFile(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Docker copies the host's resolv.conf; outside the host network it drops
 * loopback nameservers (unreachable from the container's namespace) and falls
 * back to public resolvers when none remain.
 */
async function containerResolvConf(networkMode: string, dns?: DnsSettings): Promise<string> {
  const host = await readHostFile('/etc/resolv.conf', '');
  if (dns && (dns.servers.length || dns.search.length || dns.options.length)) {
    // --dns/--dns-search/--dns-option (or a network's own DNS server) replace the host's lines of that kind.
    const keep = host.split('\n').filter((l) =>
      !(dns.servers.length && /^\s*nameserver\s/.test(l)) && !(dns.search.length && /^\s*(search|domain)\s/.test(l)) && !(dns.options.length && /^\s*options\s/.test(l)));
    const extra = [
      ...dns.servers.map((s) => `nameserver ${s}`),
      ...(dns.search.length ? [`search ${dns.search.join(' ')}`] : []),
      ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
    ];
    if (networkMode === 'host' || dns.servers.length) return [...keep.filter((l) => l.trim() !== ''), ...extra].join('\n') + '\n';
    return containerResolvConfLines(keep.join('\n'), extra);
  }
  if (networkMode === 'host') return host;
  return containerResolvConfLines(host, []);
}

function containerResolvConfLines(host: string, extra: string[]): string {
  const lines = host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) {
    lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  }
  lines.push(...extra);
  return lines.filter((l) => l.trim() !== '').join('\n').replace(/\n*$/, '\n');
}
