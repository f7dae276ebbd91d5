import { readFile, writeFile } from 'node:fs/promises';
import type { OciResources } from '../spec/oci-runtime.js';

/**
 * A container's cgroup limits in Docker's units, already normalized by the
 * container layer (NanoCpus turned into quota/period, unlimited values left out).
 * The same shape serves the spec at create and `<runtime> update` later.
 */
export interface ResourceLimits {
  memoryBytes?: number;
  /** Memory plus swap, as Docker's --memory-swap; -1 is unlimited. */
  memorySwapBytes?: number;
  /** The soft limit (v1 memory.soft_limit_in_bytes). */
  memoryReservationBytes?: number;
  disableOOMKiller?: boolean;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** Values of 0 or below mean unlimited, as in Docker. */
  pidsLimit?: number;
  /** 10..1000; left out where the host has no blkio weight file. */
  blkioWeight?: number;
}

/** The OCI `linux.resources` for `limits`, without device rules. Pure. */
export function toOciResources(r: ResourceLimits): OciResources {
  const out: OciResources = {};
  const memory: NonNullable<OciResources['memory']> = {};
  if (r.memoryBytes !== undefined) memory.limit = r.memoryBytes;
  if (r.memorySwapBytes !== undefined) memory.swap = r.memorySwapBytes;
  if (r.memoryReservationBytes !== undefined) memory.reservation = r.memoryReservationBytes;
  if (r.disableOOMKiller) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) out.memory = memory;
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpuQuota !== undefined) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod !== undefined) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight !== undefined && r.blkioWeight > 0) out.blockIO = { weight: r.blkioWeight };
  return out;
}

/** What the host offers for limits; read from sysfs, so limits can be checked before a container exists. */
export interface HostResources {
  /** Online CPUs, e.g. "0-1". */
  cpus: number[];
  /** Online memory nodes. */
  mems: number[];
  /** A blkio weight file exists (v1 blkio.weight / blkio.bfq.weight, v2 io.weight / io.bfq.weight). */
  blkioWeight: boolean;
  /** Memory plus swap can be limited (v1 memory.memsw.*; v2 memory.swap.max). */
  swapLimit: boolean;
}

/** Parses a kernel cpu or node list ("0-3,5"); null when the text is not one. Pure. */
export function parseCpuList(text: string): number[] | null {
  const out = new Set<number>();
  const t = text.trim();
  if (t === '') return [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 4096) return null;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

const exists = (path: string): Promise<boolean> => readFile(path).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
const list = async (path: string, fallback: number[]): Promise<number[]> =>
  parseCpuList(await readFile(path, 'utf8').catch(() => '')) ?? fallback;

let cached: Promise<HostResources> | undefined;

/** The host's CPUs, memory nodes and limit support; read once per daemon. */
export function hostResources(): Promise<HostResources> {
  cached ??= (async () => {
    const cpus = await list('/sys/devices/system/cpu/online', [0]);
    const mems = await list('/sys/devices/system/node/online', [0]);
    const weightFiles = [
      '/sys/fs/cgroup/blkio/blkio.weight', '/sys/fs/cgroup/blkio/blkio.bfq.weight',
      '/sys/fs/cgroup/io.weight', '/sys/fs/cgroup/io.bfq.weight',
    ];
    const weights = await Promise.all(weightFiles.map(exists));
    const swap = await Promise.all(['/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes', '/sys/fs/cgroup/init.scope/memory.swap.max'].map(exists));
    return { cpus: cpus.length ? cpus : [0], mems: mems.length ? mems : [0], blkioWeight: weights.some(Boolean), swapLimit: swap.some(Boolean) };
  })();
  return cached;
}

/**
 * Lifts the pids limit of the cgroup a process is in (writes `max` to pids.max).
 * crun 1.8 writes an OCI `pids.limit` of -1 literally, which the kernel refuses, so
 * an update to "unlimited" is done here. v1 (`N:pids:/path`) and v2 (`0::/path`).
 */
export async function liftPidsLimit(pid: number): Promise<void> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  const v1 = /^\d+:(?:[^:]*,)?pids(?:,[^:]*)?:(.*)$/m.exec(text);
  const target = v1 ? `/sys/fs/cgroup/pids${v1[1]}/pids.max` : `/sys/fs/cgroup${/^0::(.*)$/m.exec(text)?.[1] ?? '/'}/pids.max`;
  await writeFile(target, 'max');
}
