/**
 * Test daemons: each gets its own data root, exec root and socket, so suites
 * run side by side and never touch a user's berthd. stop() removes every
 * container, mount and directory the daemon made, even after a failed test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = findRepoRoot();
export const BERTH = join(REPO_ROOT, 'dist', 'berth.cjs');
export const BERTHD = join(REPO_ROOT, 'dist', 'berthd.js');

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
}

/** Builds (once per machine boot) the busybox rootfs tarball the tests import. */
export function busyboxTar(): string {
  const path = join(tmpdir(), 'berth-test-busybox-rootfs.tar');
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}`;
  const r = spawnSync(join(REPO_ROOT, 'scripts', 'make-busybox-rootfs.sh'), [tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-busybox-rootfs failed: ${r.stderr}`);
  renameSync(tmp, path);
  return path;
}

export class TestDaemon {
  private child: ChildProcess | undefined;
  private stopping = false;
  readonly host: string;
  readonly socket: string;

  private constructor(
    readonly dataRoot: string,
    readonly execRoot: string,
    readonly extraArgs: string[],
  ) {
    this.socket = join(execRoot, 'berth.sock');
    this.host = `unix://${this.socket}`;
  }

  /** Starts a daemon on fresh roots; with `busybox`, imports busybox:latest into it. */
  static async start(o: { busybox?: boolean; args?: string[] } = {}): Promise<TestDaemon> {
    const dataRoot = mkdtempSync('/var/tmp/berth-test-data-');
    const execRoot = mkdtempSync('/run/berth-test-');
    const net = testNetwork();
    const d = new TestDaemon(dataRoot, execRoot, ['-b', net.bridge, '--bip', net.bip, ...(o.args ?? [])]);
    await d.launch();
    if (o.busybox !== false) {
      const r = await d.berth(['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest']);
      if (r.code !== 0) throw new Error(`importing busybox failed: ${r.stderr}`);
    }
    return d;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** (Re)starts berthd on the same roots and waits until it answers. */
  async launch(): Promise<void> {
    const log = join(this.execRoot, '..', `${this.execRoot.split('/').pop()}.log`);
    this.child = spawn(
      process.execPath,
      ['--lite-mode', BERTHD, '-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--log-level', 'debug', ...this.extraArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    this.child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    void log;
    const child = this.child;
    child.on('exit', (code, signal) => {
      // An exit nobody asked for: show why, or the failing tests only say "Cannot connect".
      if (!this.stopping && signal !== 'SIGKILL') process.stderr.write(`berthd ${this.execRoot} exited (${code ?? signal}):\n${stderr.slice(-4000)}\n`);
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`berthd exited with ${this.child.exitCode}: ${stderr}`);
      try {
        const r = await this.api('GET', '/_ping');
        if (r.status === 200) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`berthd did not answer within 20 s: ${stderr}`);
  }

  /** SIGKILL the daemon, as a crash would. Containers keep running. */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Runs the berth CLI against this daemon. */
  berth(args: string[], o: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    return runProcess(process.execPath, [BERTH, '-H', this.host, ...args], { ...o, env: { ...process.env, ...o.env } });
  }

  /** Runs the stock docker CLI against this daemon. */
  docker(args: string[], o: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    const env = { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.execRoot, 'docker-config') };
    return runProcess('docker', args, { ...o, env });
  }

  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socket,
          method,
          path,
          headers: payload === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(payload);
    });
  }

  /** Removes every container, stops the daemon, unmounts and deletes its roots. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      if (this.child && this.child.exitCode === null) {
        const list = await this.api('GET', '/containers/json?all=1').catch(() => undefined);
        for (const c of (list?.json as Array<{ Id: string }> | undefined) ?? []) {
          await this.api('DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
        }
        const child = this.child;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      killStrays(this.execRoot);
      cleanNetworks(this.dataRoot, this.execRoot);
      unmountUnder(this.dataRoot);
      rmSync(this.dataRoot, { recursive: true, force: true });
      rmSync(this.execRoot, { recursive: true, force: true });
    }
  }
}

let networkCounter = 0;

/**
 * A bridge name, /24 and IPv6 /64 of the test's own: unique per process and
 * daemon, and a subnet no host interface uses, so parallel suites never share a bridge.
 */
export function testNetwork(): { bridge: string; bip: string; subnetPrefix: string; subnet6: string } {
  const n = networkCounter++;
  const bridge = `bt${process.pid % 100000}x${n}`.slice(0, 15);
  const used = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  const start = (process.pid * 7 + n * 13) % 250;
  for (let i = 0; i < 250; i++) {
    const third = ((start + i) % 250) + 1;
    const prefix = `172.31.${third}`;
    if (used.includes(` ${prefix}.`)) continue;
    // The IPv6 /64 follows the IPv4 /24, so it is as much the test's own.
    return { bridge, bip: `${prefix}.1/24`, subnetPrefix: prefix, subnet6: `fdb7:3e27:${third.toString(16)}::/64` };
  }
  throw new Error('no free test subnet in 172.31.0.0/16');
}

/**
 * Undoes what a daemon's networking left: netavark teardown of every endpoint
 * still on file, namespace files, the daemon's bridges and its aardvark-dns.
 */
export function cleanNetworks(dataRoot: string, execRoot: string): void {
  const config = join(execRoot, 'netavark');
  const endpoints = join(dataRoot, 'network', 'endpoints');
  for (const name of existsSync(endpoints) ? readdirSync(endpoints) : []) {
    try {
      const ep = JSON.parse(readFileSync(join(endpoints, name), 'utf8')) as { netns: string; options: unknown };
      spawnSync('flock', ['-o', '/run/lock/berth-netavark.lock', '/usr/lib/podman/netavark', '--config', config, '--rootless', 'false',
        '--aardvark-binary', '/usr/lib/podman/aardvark-dns', 'teardown', ep.netns], { input: JSON.stringify(ep.options) });
    } catch {
      // unreadable: the bridge removal below still drops its interfaces
    }
  }
  const netnsDir = join(execRoot, 'netns');
  for (const name of existsSync(netnsDir) ? readdirSync(netnsDir) : []) spawnSync('umount', ['-l', join(netnsDir, name)]);
  let ifaces: string[] = [];
  try {
    const nets = JSON.parse(readFileSync(join(dataRoot, 'network', 'networks.json'), 'utf8')) as Array<{ iface?: string }>;
    ifaces = nets.map((x) => x.iface ?? '').filter((x) => x !== '');
  } catch {
    ifaces = [];
  }
  for (const iface of ifaces) {
    if (existsSync(`/sys/class/net/${iface}`)) spawnSync('ip', ['link', 'del', iface]);
  }
  dropFirewallRules(dataRoot);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('aardvark') && cmdline.includes(execRoot)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Deletes iptables and ip6tables rules that name one of the daemon's subnets or bridges (a teardown that failed leaves them). */
function dropFirewallRules(dataRoot: string): void {
  let marks: string[] = [];
  try {
    const nets = JSON.parse(readFileSync(join(dataRoot, 'network', 'networks.json'), 'utf8')) as Array<{ subnet?: string; subnet6?: string; iface?: string }>;
    marks = nets.flatMap((n) => [n.subnet ? ` ${n.subnet} ` : '', n.subnet6 ? ` ${n.subnet6} ` : '', n.iface ? `berth-${n.iface} ` : '']).filter((m) => m !== '');
  } catch {
    return;
  }
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['nat', 'filter']) {
      const rules = spawnSync(tool, ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
      for (const rule of rules.split('\n')) {
        if (!rule.startsWith('-A ') || !marks.some((m) => `${rule} `.includes(m))) continue;
        const args = rule.slice(3).match(/"[^"]*"|\S+/g) ?? [];
        spawnSync(tool, ['-t', table, '-D', ...args.map((x) => x.replace(/^"(.*)"$/, '$1'))]);
      }
    }
  }
}

/** Kills monitors and container processes that belong to an exec root. */
export function killStrays(execRoot: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(execRoot) && cmdline.includes('conmon')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const runtime of ['crun', 'runc']) {
    for (const root of [join(execRoot, 'runtime', runtime), join(execRoot, runtime)]) {
      if (!existsSync(root)) continue;
      for (const id of readdirSync(root)) spawnSync(runtime, ['--root', root, 'delete', '--force', id]);
    }
  }
}

export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

export function runProcess(
  file: string,
  args: string[],
  o: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}
