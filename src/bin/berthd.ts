import { readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createApiServer, ENGINE_VERSION, API_VERSION } from '../api/index.js';
import { Engine, checkRegistryOptions, parseSeccompProfile, type EngineOptions, normalizeLogConfig } from '../engine/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { log, setLogLevel } from '../util/log.js';
import { messageOf } from '../util/errors.js';
import { ramInBytes } from '../util/size.js';

interface DaemonFlags {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: string;
  defaultRuntime?: string;
  bridge?: string;
  bip?: string;
  ipv6?: boolean;
  fixedCidrV6?: string;
  seccompProfile?: string;
  init?: boolean;
  initPath?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  certsDir: string;
  registryTimeoutMs?: number;
  logDriver?: string;
  logOpts: Record<string, string>;
  builderKeepStorage?: number;
}

const USAGE = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine daemon

Options:
      --data-root string        Root directory of persistent state (default "/var/lib/berth", or $BERTH_ROOT)
      --default-runtime string  Default OCI runtime for containers (default "crun")
  -b, --bridge string           Attach containers to a network bridge (default "berth0")
      --bip string              Specify default-bridge IP (default "172.30.0.1/16")
      --builder-gc-keep-storage bytes  Build cache kept after each build, least recently used first dropped; 0 keeps all (default 10% of the data root's filesystem, at most 20GB)
  -D, --debug                   Enable debug mode
      --exec-root string        Root directory for execution state files (default "/run/berth", or $BERTH_EXEC_ROOT)
      --fixed-cidr-v6 string    IPv6 subnet of the default bridge (default: a /64 of a ULA prefix of the data root's own)
  -H, --host list               Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
      --init                    Run an init in the container to forward signals and reap processes
      --init-path string        Path to the docker-init binary (default "/usr/bin/tini-static")
      --ipv6                    Enable IPv6 networking on the default bridge network
      --insecure-registry list  Enable insecure registry communication (host[:port] or CIDR; loopback always is)
      --registry-certs-dir string  CA and client certificates per registry, as <dir>/<host[:port]>/ca.crt (default "/etc/berth/certs.d")
      --registry-mirror list    Preferred registry mirror for pulls: URL (every registry) or REGISTRY=URL (one)
      --registry-timeout int    Seconds a registry may stay silent before the request fails (default 30)
  -l, --log-level string        Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-driver string       Default driver for container logs: json-file, local or none (default "json-file")
      --log-opt map             Default log driver options for containers, KEY=VALUE (repeatable)
  -p, --pidfile string          Path to use for daemon PID file (default "/run/berth/berthd.pid")
      --seccomp-profile string  Path to seccomp profile. Use "unconfined" to disable the default seccomp profile (default "builtin")
  -v, --version                 Print version information and quit
`;

function parseFlags(argv: string[]): DaemonFlags {
  const flags: DaemonFlags = {
    hosts: [],
    logOpts: {},
    dataRoot: process.env.BERTH_ROOT || '/var/lib/berth',
    execRoot: process.env.BERTH_EXEC_ROOT || '/run/berth',
    pidfile: '',
    logLevel: 'info',
    bridge: process.env.BERTH_BRIDGE || undefined,
    bip: process.env.BERTH_BIP || undefined,
    insecureRegistries: [],
    registryMirrors: [],
    certsDir: '/etc/berth/certs.d',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) fatalUsage(`flag needs an argument: ${name}`);
      return v;
    };
    switch (name) {
      case '-H': case '--host': flags.hosts.push(value()); break;
      case '--data-root': case '-g': case '--graph': flags.dataRoot = value(); break;
      case '--exec-root': flags.execRoot = value(); break;
      case '-p': case '--pidfile': flags.pidfile = value(); break;
      case '-l': case '--log-level': flags.logLevel = value(); break;
      case '-D': case '--debug': flags.logLevel = 'debug'; break;
      case '--default-runtime': flags.defaultRuntime = value(); break;
      case '-b': case '--bridge': flags.bridge = value(); break;
      case '--bip': flags.bip = value(); break;
      case '--ipv6': flags.ipv6 = true; break;
      case '--log-driver': flags.logDriver = value(); break;
      case '--log-opt': {
        const opt = value();
        const eq = opt.indexOf('=');
        if (eq <= 0) fatalUsage(`invalid --log-opt ${JSON.stringify(opt)}: expected KEY=VALUE`);
        flags.logOpts[opt.slice(0, eq)] = opt.slice(eq + 1);
        break;
      }
      case '--fixed-cidr-v6': flags.fixedCidrV6 = value(); break;
      case '--seccomp-profile': flags.seccompProfile = value(); break;
      case '--init': flags.init = true; break;
      case '--init-path': flags.initPath = value(); break;
      case '--insecure-registry': flags.insecureRegistries.push(value()); break;
      case '--registry-mirror': flags.registryMirrors.push(value()); break;
      case '--registry-certs-dir': flags.certsDir = value(); break;
      case '--builder-gc-keep-storage': {
        const text = value();
        const bytes = ramInBytes(text);
        if (bytes === undefined) fatalUsage(`invalid --builder-gc-keep-storage: ${JSON.stringify(text)} is not a size (like 10GB, 512MB or 0)`);
        flags.builderKeepStorage = bytes;
        break;
      }
      case '--registry-timeout': {
        const seconds = Number(value());
        if (!(seconds > 0)) fatalUsage(`invalid --registry-timeout: expected a positive number of seconds`);
        flags.registryTimeoutMs = seconds * 1000;
        break;
      }
      case '-v': case '--version':
        process.stdout.write(`berthd version ${ENGINE_VERSION}, API ${API_VERSION}\n`);
        process.exit(0);
        break;
      case '-h': case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        fatalUsage(arg.startsWith('-') ? `unknown flag: ${name}` : `berthd takes no arguments, got "${arg}"`);
    }
  }
  try {
    checkRegistryOptions({ insecure: flags.insecureRegistries, mirrors: flags.registryMirrors });
  } catch (err) {
    fatalUsage(messageOf(err));
  }
  if (flags.fixedCidrV6 && !flags.ipv6) fatalUsage('--fixed-cidr-v6 needs --ipv6');
  if (flags.logDriver || Object.keys(flags.logOpts).length) {
    try {
      normalizeLogConfig({ Type: flags.logDriver || 'json-file', Config: flags.logOpts });
    } catch (err) {
      fatalUsage(messageOf(err));
    }
  }
  if (flags.hosts.length === 0) flags.hosts.push(`unix://${flags.execRoot}/berth.sock`);
  if (!flags.pidfile) flags.pidfile = `${flags.execRoot}/berthd.pid`;
  return flags;
}

function fatalUsage(message: string): never {
  process.stderr.write(`berthd: ${message}\nSee 'berthd --help'.\n`);
  process.exit(125);
}

/** Refuses to start when another live daemon holds the pidfile. */
async function claimPidfile(path: string): Promise<void> {
  const old = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (old > 0 && old !== process.pid) {
    let alive = false;
    try {
      process.kill(old, 0);
      const cmdline = await readFile(`/proc/${old}/cmdline`, 'utf8').catch(() => '');
      alive = cmdline.includes('berthd');
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`pid file found, ensure berthd is not running or delete ${path} (process ${old} is still running)`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${process.pid}\n`);
}

/** The --seccomp-profile file, read and checked before anything starts. */
async function loadSeccompProfile(path: string | undefined): Promise<EngineOptions['seccompProfile']> {
  if (!path || path === 'builtin') return undefined;
  if (path === 'unconfined') return 'unconfined';
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new Error(`opening seccomp profile (${path}) failed: ${messageOf(err)}`);
  });
  return { profile: parseSeccompProfile(text), path };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  setLogLevel(flags.logLevel);
  if (process.getuid?.() !== 0) throw new Error('berthd needs to be started with root privileges');
  await claimPidfile(flags.pidfile);
  const engine = await Engine.open({
    dataRoot: flags.dataRoot,
    execRoot: flags.execRoot,
    defaultRuntime: flags.defaultRuntime,
    logLevel: flags.logLevel,
    bridge: flags.bridge,
    bip: flags.bip,
    ipv6: flags.ipv6,
    fixedCidrV6: flags.fixedCidrV6,
    seccompProfile: await loadSeccompProfile(flags.seccompProfile),
    init: flags.init,
    initPath: flags.initPath,
    registry: { insecure: flags.insecureRegistries, mirrors: flags.registryMirrors, certsDir: flags.certsDir, timeoutMs: flags.registryTimeoutMs },
    builderKeepStorage: flags.builderKeepStorage,
    logConfig: flags.logDriver || Object.keys(flags.logOpts).length ? { Type: flags.logDriver || 'json-file', Config: flags.logOpts } : undefined,
  });
  const api = createApiServer(engine);
  const sockets: string[] = [];
  for (const host of flags.hosts) {
    if (host.startsWith('unix://') || host.startsWith('/')) {
      const path = host.replace(/^unix:\/\//, '');
      await mkdir(dirname(path), { recursive: true });
      await api.listenUnix(path);
      sockets.push(path);
    } else if (host.startsWith('tcp://')) {
      const u = new URL(host);
      await api.listenTcp(u.hostname, Number(u.port || 2375));
      log.warn('API listening on TCP without TLS: anyone who can reach it has root on this host', { host });
    } else {
      throw new Error(`invalid host: ${host} (use unix:///path or tcp://host:port)`);
    }
  }
  log.info('berthd started', { version: ENGINE_VERSION, dataRoot: flags.dataRoot, hosts: flags.hosts.join(',') });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down; containers keep running', { signal });
    // Do not wait for open streams (follows, attaches): exiting closes them.
    void api.close().catch(() => undefined);
    engine.close();
    for (const s of sockets) await rm(s, { force: true });
    await rm(flags.pidfile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  log.error(`berthd failed to start: ${messageOf(err)}`);
  process.exit(1);
});
