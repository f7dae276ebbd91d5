import type { HostConfig } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';
import { hostResources, parseCpuList, type HostResources, type ResourceLimits } from '../runtime/index.js';

/** Docker's floor for --memory and --memory-reservation (moby linuxMinMemory). */
const MIN_MEMORY = 6 * 1024 * 1024;
const DEFAULT_CPU_PERIOD = 100_000;

/** The rlimit names Docker's --ulimit accepts (go-units ulimitNameMapping). */
export const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime',
  'sigpending', 'stack',
]);

/** The HostConfig fields that are cgroup resources (what `update` may change, plus the create-only ones). */
export const UPDATABLE_FIELDS = [
  'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus',
  'CpusetMems', 'PidsLimit', 'BlkioWeight',
] as const;

const int = (hc: HostConfig, key: string): number => {
  const v = hc[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`invalid value for ${key}: ${JSON.stringify(v)}`);
  return v;
};

function checkCpuset(kind: 'cpus' | 'mems', value: string, available: number[]): void {
  if (!value) return;
  const wanted = parseCpuList(value);
  if (wanted === null) throw invalidArgument(`Invalid value ${value} for cpuset ${kind}`);
  const missing = wanted.filter((n) => !available.includes(n));
  if (missing.length === 0) return;
  const label = kind === 'cpus' ? 'CPUs' : 'memory nodes';
  throw invalidArgument(`Requested ${label} are not available - requested ${value}, available: ${formatList(available)}`);
}

function formatList(ns: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    parts.push(i === j ? String(ns[i]) : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return parts.join(',');
}

/**
 * Checks the resource fields of a HostConfig as dockerd does
 * (daemon/daemon_unix.go verifyPlatformContainerResources), with its wording, and
 * returns its warnings. `update`: the values are an update request, whose swap
 * rules differ. Throws InvalidArgument; changes nothing.
 */
export function checkResources(hc: HostConfig, host: HostResources, o: { update?: boolean } = {}): string[] {
  const warnings: string[] = [];
  const memory = int(hc, 'Memory');
  const swap = int(hc, 'MemorySwap');
  const reservation = int(hc, 'MemoryReservation');
  if (memory !== 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (swap < -1) throw invalidArgument('invalid memory swap limit: use -1 for unlimited swap');
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && swap > 0 && !o.update) {
    throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (reservation < 0) throw invalidArgument('invalid memory reservation: it cannot be negative');
  if (reservation > 0 && reservation < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (hc.OomKillDisable === true && memory === 0 && !o.update) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  const nano = int(hc, 'NanoCpus');
  const period = int(hc, 'CpuPeriod');
  const quota = int(hc, 'CpuQuota');
  if (nano > 0 && period > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const ncpu = host.cpus.length;
  if (nano < 0 || nano > ncpu * 1e9) {
    throw invalidArgument(`range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  }
  if (int(hc, 'CpuShares') < 0) throw invalidArgument(`invalid CPU shares (${int(hc, 'CpuShares')}): value must be a positive integer`);
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota !== 0 && quota !== -1 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  checkCpuset('cpus', String(hc.CpusetCpus ?? ''), host.cpus);
  checkCpuset('mems', String(hc.CpusetMems ?? ''), host.mems);
  const weight = int(hc, 'BlkioWeight');
  if (weight !== 0 && (weight < 10 || weight > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if (weight > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  const oomScoreAdj = int(hc, 'OomScoreAdj');
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw invalidArgument(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (int(hc, 'ShmSize') < 0) throw invalidArgument('SHM size can not be less than 0');
  for (const u of hc.Ulimits ?? []) {
    if (!u || typeof u.Name !== 'string' || !ULIMIT_NAMES.has(u.Name)) throw invalidArgument(`invalid ulimit type: ${u?.Name}`);
    if (!Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) throw invalidArgument(`invalid ulimit ${u.Name}: limits must be integers`);
    if (u.Soft > u.Hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  return warnings;
}

/**
 * dockerd's create-time defaults for resources: with a memory limit and no swap
 * limit, memory plus swap may reach twice the memory (where the host can limit swap).
 */
export function applyResourceDefaults(hc: HostConfig, host: HostResources): void {
  if (int(hc, 'Memory') > 0 && int(hc, 'MemorySwap') === 0 && host.swapLimit) hc.MemorySwap = int(hc, 'Memory') * 2;
  if (typeof hc.PidsLimit === 'number' && hc.PidsLimit <= 0) hc.PidsLimit = null;
}

/** The cgroup limits a HostConfig asks for, in the runtime's terms; unset and unlimited values are left out. */
export function resourceLimits(hc: HostConfig): ResourceLimits {
  const nano = int(hc, 'NanoCpus');
  const period = int(hc, 'CpuPeriod');
  const positive = (n: number): number | undefined => (n > 0 ? n : undefined);
  const swap = int(hc, 'MemorySwap');
  return {
    memoryBytes: positive(int(hc, 'Memory')),
    memorySwapBytes: swap > 0 || swap === -1 ? swap : undefined,
    memoryReservationBytes: positive(int(hc, 'MemoryReservation')),
    disableOOMKiller: hc.OomKillDisable === true || undefined,
    cpuShares: positive(int(hc, 'CpuShares')),
    cpuQuota: nano > 0 ? Math.round((nano / 1e9) * (period || DEFAULT_CPU_PERIOD)) : positive(int(hc, 'CpuQuota')),
    cpuPeriod: nano > 0 ? period || DEFAULT_CPU_PERIOD : positive(period),
    cpusetCpus: hc.CpusetCpus || undefined,
    cpusetMems: hc.CpusetMems || undefined,
    pidsLimit: positive(int(hc, 'PidsLimit')),
    blkioWeight: positive(int(hc, 'BlkioWeight')),
  };
}

/**
 * A create request's HostConfig with its resources checked and defaulted (a copy),
 * and dockerd's warnings. Runs before anything of the container exists.
 */
export async function createResources(hc: HostConfig | undefined): Promise<{ hostConfig: HostConfig; warnings: string[] }> {
  const hostConfig: HostConfig = { ...(hc ?? {}) };
  const host = await hostResources();
  const warnings = checkResources(hostConfig, host);
  applyResourceDefaults(hostConfig, host);
  return { hostConfig, warnings };
}
