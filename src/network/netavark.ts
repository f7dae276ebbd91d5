import { spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileText } from '../util/exec.js';
import { EngineError } from '../util/errors.js';

export const NETAVARK = '/usr/lib/podman/netavark';
export const AARDVARK = '/usr/lib/podman/aardvark-dns';

/**
 * One lock file for every berthd on the host: netavark 1.4 keeps shared
 * iptables chains and fails ("Chain already exists") or corrupts aardvark's
 * files when two calls overlap, also across daemons (tests run several).
 * Teardowns that touch nothing shared (an endpoint on the kept default
 * bridge) stay under it too: run beside a setup, the two netavarks' iptables
 * (nft) calls conflict and retry, and the next container's start was
 * measured slower, not faster.
 */
const HOST_LOCK = '/run/lock/berth-netavark.lock';

/** netavark's options JSON (containers/netavark v1.4 src/network/types.rs). */
export interface NetavarkOptions {
  container_id: string;
  container_name: string;
  networks: Record<string, { interface_name: string; static_ips: string[]; aliases: string[]; static_mac?: string }>;
  network_info: Record<string, NetavarkNetwork>;
  port_mappings: NetavarkPort[];
}

export interface NetavarkNetwork {
  name: string;
  id: string;
  driver: 'bridge';
  network_interface: string;
  subnets: Array<{ subnet: string; gateway: string }>;
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  options?: Record<string, string>;
  ipam_options: { driver: 'host-local' };
}

export interface NetavarkPort {
  host_ip: string;
  container_port: number;
  host_port: number;
  range: number;
  protocol: string;
}

export type NetavarkStatus = Record<string, {
  dns_server_ips?: string[];
  dns_search_domains?: string[];
  interfaces: Record<string, { mac_address: string; subnets: Array<{ gateway: string; ipnet: string }> }>;
}>;

/**
 * Runs `netavark setup|teardown NETNS` under the host-wide lock. stdout goes
 * to a file, not a pipe: netavark may leave aardvark-dns running, and a
 * daemon holding our pipe would keep the call from ever ending. flock's -o
 * keeps the lock's descriptor from netavark, else aardvark-dns would inherit
 * it and hold the host-wide lock for as long as it runs.
 */
export async function netavark(o: { configDir: string; verb: 'setup' | 'teardown'; netns: string; options: NetavarkOptions }): Promise<string> {
  const outPath = join(o.configDir, `.out-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const out = await open(outPath, 'w+');
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('flock', ['-o', HOST_LOCK, NETAVARK, '--config', o.configDir, '--rootless', 'false', '--aardvark-binary', AARDVARK, o.verb, o.netns], {
        stdio: ['pipe', out.fd, 'ignore'],
        env: { ...process.env, RUST_LOG: 'error' },
      });
      child.on('error', reject);
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(JSON.stringify(o.options));
    });
    const text = await readFile(outPath, 'utf8');
    if (code !== 0) {
      let message = text.trim() || `exit ${code}`;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // a panic (exit 101) prints no JSON
      }
      throw new EngineError('Internal', `netavark ${o.verb} failed: ${message}`);
    }
    return text;
  } finally {
    await out.close();
    await rm(outPath, { force: true });
  }
}

/** Creates a persistent network namespace bound onto `path` (as `ip netns add` does). */
export async function createNetns(path: string): Promise<void> {
  await (await open(path, 'w')).close();
  await execFileText('unshare', [`--net=${path}`, 'true']);
}

/** Unbinds and deletes a namespace file made by createNetns; absent is fine. */
export async function removeNetns(path: string): Promise<void> {
  await execFileText('umount', ['-l', path], { allowFailure: true });
  await rm(path, { force: true });
}

/** Deletes the named interfaces inside a namespace (their host-side veth peers go with them); absent is fine. */
export async function removeVeths(netnsPath: string, names: string[]): Promise<void> {
  for (const name of names) await execFileText('nsenter', [`--net=${netnsPath}`, 'ip', 'link', 'del', name], { allowFailure: true });
}
