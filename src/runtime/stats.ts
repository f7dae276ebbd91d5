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

/** Reads the v1 memory, cpuacct/cpu, pids and blkio files of `cgroupsPath` (e.g. "/berth/<id>"). */
export async function sampleCgroup(cgroupsPath: string): Promise<CgroupSample> {
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
  };
}
