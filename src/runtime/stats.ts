import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

/** One reading of a container's cgroup (v1 controllers, as on these hosts), in Docker's units. */
export interface CgroupSample {
  memory: { usage: number; maxUsage: number; limit: number; stats: Record<string, number> } | null;
  cpu: { total: number; perCpu: number[]; user: number; system: number; throttling: { periods: number; throttled_periods: number; throttled_time: number } } | null;
  pids: { current: number; limit: number } | null;
  blkio: Array<{ major: number; minor: number; op: string; value: number }>;
  /** The host's total CPU time in nanoseconds (Docker's system_cpu_usage). */
  systemCpu: number;
  onlineCpus: number;
  /** Per interface of the container's network namespace, loopback left out (as Docker reports). */
  networks: Record<string, NetworkCounters> | null;
}

/** Docker's NetworkStats for one interface. */
export interface NetworkCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Parses /proc/<pid>/net/dev (the counters of the reader's network namespace). Pure. */
export function parseNetDev(text: string): Record<string, NetworkCounters> {
  const out: Record<string, NetworkCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === 'lo' || f.length < 16) continue;
    out[name] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return out;
}

const TICKS_PER_SECOND = 100;
const read = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);
const num = (text: string | undefined): number => (text === undefined ? 0 : Number(text.trim()) || 0);

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/**
 * Reads the v1 memory, cpuacct/cpu, pids and blkio files of `cgroupsPath` (e.g. "/berth/<id>"),
 * and with `pid` (the container's init) the interface counters of its network namespace.
 */
export async function sampleCgroup(cgroupsPath: string, pid?: number): Promise<CgroupSample> {
  const v1 = (ctrl: string, file: string) => read(`/sys/fs/cgroup/${ctrl}${cgroupsPath}/${file}`);
  const [usage, maxUsage, limit, memStat, cpuUsage, perCpu, cpuStat, throttle, pidsCurrent, pidsMax, blkio, procStat] = await Promise.all([
    v1('memory', 'memory.usage_in_bytes'),
    v1('memory', 'memory.max_usage_in_bytes'),
    v1('memory', 'memory.limit_in_bytes'),
    v1('memory', 'memory.stat'),
    v1('cpuacct', 'cpuacct.usage'),
    v1('cpuacct', 'cpuacct.usage_percpu'),
    v1('cpuacct', 'cpuacct.stat'),
    v1('cpu', 'cpu.stat'),
    v1('pids', 'pids.current'),
    v1('pids', 'pids.max'),
    v1('blkio', 'blkio.throttle.io_service_bytes_recursive'),
    read('/proc/stat'),
  ]);
  const netDev = pid ? await read(`/proc/${pid}/net/dev`) : undefined;
  const cpuTimes = keyValues(cpuStat);
  const thr = keyValues(throttle);
  const cpuLine = (procStat ?? '').split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const jiffies = cpuLine.split(/\s+/).slice(1, 8).reduce((a, b) => a + (Number(b) || 0), 0);
  return {
    memory: usage === undefined ? null : { usage: num(usage), maxUsage: num(maxUsage), limit: num(limit), stats: keyValues(memStat) },
    cpu: cpuUsage === undefined ? null : {
      total: num(cpuUsage),
      perCpu: (perCpu ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
      user: (cpuTimes.user ?? 0) * (1e9 / TICKS_PER_SECOND),
      system: (cpuTimes.system ?? 0) * (1e9 / TICKS_PER_SECOND),
      throttling: { periods: thr.nr_periods ?? 0, throttled_periods: thr.nr_throttled ?? 0, throttled_time: thr.throttled_time ?? 0 },
    },
    pids: pidsCurrent === undefined ? null : { current: num(pidsCurrent), limit: pidsMax?.trim() === 'max' ? 0 : num(pidsMax) },
    blkio: (blkio ?? '').split('\n').flatMap((line) => {
      const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
      return m ? [{ major: Number(m[1]), minor: Number(m[2]), op: m[3].toLowerCase(), value: Number(m[4]) }] : [];
    }),
    systemCpu: jiffies * (1e9 / TICKS_PER_SECOND),
    onlineCpus: cpus().length,
    networks: netDev === undefined ? null : parseNetDev(netDev),
  };
}
