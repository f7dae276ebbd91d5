/**
 * How each registry is reached: the daemon's `--insecure-registry`,
 * `--registry-mirror` and per-registry certificates, as dockerd does them.
 *
 * - Secure registries (every one not listed below) are spoken to over HTTPS,
 *   verified against the system's CA bundle, Node's bundled roots and any
 *   `<certs-dir>/<host[:port]>/*.crt` (docker's /etc/docker/certs.d layout;
 *   `client.cert` + `client.key` there are the client certificate).
 * - Insecure registries (loopback, always, and those listed by name or CIDR)
 *   are tried over HTTPS without verification first and plain HTTP after, as
 *   dockerd does; the scheme that answered is remembered for the daemon's life.
 * - Mirrors serve pulls only: `URL` mirrors every upstream, `HOST=URL` one
 *   upstream. They are tried in order before the registry itself, anonymously
 *   (credentials are the upstream's, and are not handed to another host).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { invalidArgument } from '../util/errors.js';

export interface RegistryHostsOptions {
  /** `host[:port]` names or CIDRs (`10.0.0.0/8`). */
  insecure?: readonly string[];
  /** `URL` or `UPSTREAM=URL`. */
  mirrors?: readonly string[];
  /** Where `<host[:port]>/ca.crt` and friends live. */
  certsDir?: string;
  /** Milliseconds a registry may stay silent (connect, headers, each body read). */
  timeoutMs?: number;
}

/** Where to send requests for one registry (or mirror). */
export interface Endpoint {
  /** `https://host:port` or `http://host:port`, no trailing slash. */
  base: string;
  /** The upstream registry this endpoint serves (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  mirror: boolean;
  /** Try HTTPS without verification, then plain HTTP (insecure registries). */
  insecure: boolean;
  /** The TLS context for HTTPS (built on first use, then cached per host). */
  secureContext(): SecureContext | undefined;
  /** Called when an insecure endpoint answered plain HTTP: later endpoints for the host start there. */
  answeredPlain(): void;
  timeoutMs: number;
}

const LOOPBACK_CIDRS = ['127.0.0.0/8'];
const DEFAULT_TIMEOUT_MS = 30_000;
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

interface Mirror {
  upstream?: string;
  url: URL;
}

export class RegistryHosts {
  private readonly insecureNames = new Set<string>();
  private readonly insecureCidrs: Array<{ text: string; net: number; bits: number }> = [];
  private readonly mirrors: Mirror[] = [];
  private readonly certsDir: string | undefined;
  readonly timeoutMs: number;
  /** Insecure hosts that answered plain HTTP (not HTTPS): asked over HTTP from then on. */
  private readonly plain = new Set<string>();
  private readonly contexts = new Map<string, SecureContext | undefined>();

  constructor(o: RegistryHostsOptions = {}) {
    for (const cidr of LOOPBACK_CIDRS) this.addInsecure(cidr);
    for (const entry of o.insecure ?? []) this.addInsecure(entry);
    for (const entry of o.mirrors ?? []) this.mirrors.push(parseMirror(entry));
    this.certsDir = o.certsDir;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The `RegistryConfig` of `GET /info`, in dockerd's shape. */
  info(): Record<string, unknown> {
    const everywhere = this.mirrors.filter((m) => m.upstream === undefined).map((m) => m.url.href);
    const indexConfigs: Record<string, unknown> = {
      'docker.io': { Name: 'docker.io', Mirrors: this.mirrorsFor('docker.io').map((m) => m.url.href), Secure: true, Official: true },
    };
    for (const name of this.insecureNames) indexConfigs[name] = { Name: name, Mirrors: this.mirrorsFor(name).map((m) => m.url.href), Secure: false, Official: false };
    for (const m of this.mirrors) {
      if (m.upstream !== undefined && !(m.upstream in indexConfigs)) {
        indexConfigs[m.upstream] = { Name: m.upstream, Mirrors: this.mirrorsFor(m.upstream).map((x) => x.url.href), Secure: !this.isInsecure(m.upstream), Official: false };
      }
    }
    return {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: this.insecureCidrs.map((c) => c.text),
      IndexConfigs: indexConfigs,
      Mirrors: everywhere,
    };
  }

  /** True for loopback registries and those given to `--insecure-registry` (by name or CIDR). */
  isInsecure(domain: string): boolean {
    const host = hostOf(domain);
    if (this.insecureNames.has(domain) || this.insecureNames.has(host) || host === 'localhost' || host === '::1') return true;
    return isIP(host) === 4 && this.insecureCidrs.some((c) => inCidr(host, c));
  }

  /** The registry itself. */
  registry(domain: string): Endpoint {
    const insecure = this.isInsecure(domain);
    const hostPort = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
    const scheme = insecure && this.plain.has(hostPort) ? 'http' : 'https';
    return {
      base: `${scheme}://${hostPort}`,
      domain,
      mirror: false,
      insecure,
      secureContext: () => this.tlsFor(hostPort, !insecure),
      answeredPlain: () => this.plain.add(hostPort),
      timeoutMs: this.timeoutMs,
    };
  }

  /** Where a pull of `domain` looks, in order: its mirrors, then the registry. */
  pullEndpoints(domain: string): Endpoint[] {
    const mirrors = this.mirrorsFor(domain).map((m): Endpoint => {
      const hostPort = m.url.host;
      const insecure = m.url.protocol === 'http:' || this.isInsecure(hostPort);
      const base = `${m.url.protocol === 'http:' || this.plain.has(hostPort) ? 'http' : 'https'}://${hostPort}${m.url.pathname.replace(/\/+$/, '')}`;
      const tryTls = insecure && m.url.protocol !== 'http:';
      return {
        base,
        domain,
        mirror: true,
        insecure: tryTls,
        secureContext: () => this.tlsFor(hostPort, !insecure),
        answeredPlain: () => this.plain.add(hostPort),
        timeoutMs: this.timeoutMs,
      };
    });
    return [...mirrors, this.registry(domain)];
  }

  private mirrorsFor(domain: string): Mirror[] {
    return this.mirrors.filter((m) => m.upstream === undefined || m.upstream === domain);
  }

  private addInsecure(entry: string): void {
    const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(entry);
    if (cidr) {
      const bits = Number(cidr[2]);
      if (isIP(cidr[1]) !== 4 || bits > 32) throw invalidArgument(`invalid --insecure-registry ${JSON.stringify(entry)}: not an IPv4 CIDR`);
      this.insecureCidrs.push({ text: `${cidr[1]}/${bits}`, net: ipv4(cidr[1]), bits });
      return;
    }
    const name = entry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    if (name === '' || name.includes('/')) throw invalidArgument(`invalid --insecure-registry ${JSON.stringify(entry)}: expected host[:port] or a CIDR`);
    this.insecureNames.add(name);
  }

  /**
   * The TLS context for a host: with `verify`, trusting the system bundle,
   * Node's roots and the host's own CA files; always with the host's client
   * certificate when it has one. Undefined for an unverified host without a
   * client certificate (nothing to set up). Built once per host: parsing the
   * CA bundle costs tens of milliseconds.
   */
  private tlsFor(hostPort: string, verify: boolean): SecureContext | undefined {
    const cacheKey = `${verify ? 'v' : 'n'} ${hostPort}`;
    if (this.contexts.has(cacheKey)) return this.contexts.get(cacheKey);
    const ca: string[] = [];
    if (verify) {
      ca.push(...rootCertificates);
      try {
        ca.push(readFileSync(SYSTEM_CA_BUNDLE, 'utf8'));
      } catch {
        // no system bundle: Node's roots only
      }
    }
    let cert: string | undefined;
    let key: string | undefined;
    if (this.certsDir) {
      const dir = join(this.certsDir, hostPort);
      let names: string[] = [];
      try {
        names = readdirSync(dir).sort();
      } catch {
        // no certificates for this host
      }
      for (const name of names) {
        if (name.endsWith('.crt')) {
          if (verify) ca.push(readFileSync(join(dir, name), 'utf8'));
        }
        else if (name.endsWith('.cert')) cert = readFileSync(join(dir, name), 'utf8');
        else if (name.endsWith('.key')) key = readFileSync(join(dir, name), 'utf8');
      }
    }
    const context = verify || (cert && key) ? createSecureContext({ ...(verify && { ca }), ...(cert && key && { cert, key }) }) : undefined;
    this.contexts.set(cacheKey, context);
    return context;
  }
}

function parseMirror(entry: string): Mirror {
  const scoped = /^([^=/]+)=(.+)$/.exec(entry);
  const text = scoped ? scoped[2] : entry;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(`invalid --registry-mirror ${JSON.stringify(entry)}: not a URL (expected http(s)://host[:port] or UPSTREAM=URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument(`invalid --registry-mirror ${JSON.stringify(entry)}: only http and https mirrors are supported`);
  if (url.username || url.password || url.search || url.hash) throw invalidArgument(`invalid --registry-mirror ${JSON.stringify(entry)}: a mirror URL has no credentials, query or fragment`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { ...(scoped && { upstream: scoped[1] }), url };
}

/** `host:port` → `host`; `[::1]:5000` → `::1`. */
export function hostOf(domain: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(domain);
  if (bracket) return bracket[1];
  return domain.replace(/:\d+$/, '');
}

function ipv4(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function inCidr(ip: string, c: { net: number; bits: number }): boolean {
  if (c.bits === 0) return true;
  const mask = (~0 << (32 - c.bits)) >>> 0;
  return ((ipv4(ip) & mask) >>> 0) === ((c.net & mask) >>> 0);
}
