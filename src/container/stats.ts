import { totalmem } from 'node:os';
import type { CgroupSample } from '../runtime/index.js';
import type { ContainerRecord } from './record.js';
import { isRunningStatus } from './record.js';

export interface StatsOptions {
  find: (ref: string) => ContainerRecord;
  sample: (cgroupsPath: string, pid?: number) => Promise<CgroupSample>;
}

const INTERVAL_MS = 1_000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Docker's container stats from the container's cgroup. `stream`: one reading a
 * second until `signal` aborts or the container stops. Otherwise one reading,
 * with `precpu_stats` from a reading a second earlier unless `oneShot`.
 */
export async function* containerStats(
  o: StatsOptions,
  ref: string,
  opts: { stream: boolean; oneShot: boolean; signal: AbortSignal },
): AsyncGenerator<Record<string, unknown>> {
  const rec = o.find(ref);
  const cg = `/berth/${rec.id}`;
  const sample = async () => (isRunningStatus(rec.state.status) ? { at: new Date().toISOString(), s: await o.sample(cg, rec.state.pid || undefined) } : undefined);
  const sleep = () => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, INTERVAL_MS);
    opts.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
  let prev = opts.stream || opts.oneShot ? undefined : await sample();
  if (prev) await sleep();
  for (;;) {
    if (opts.signal.aborted) return;
    const cur = await sample();
    yield toDocker(rec, cur, prev);
    if (!opts.stream || !cur) return;
    prev = cur;
    await sleep();
  }
}

type Reading = { at: string; s: CgroupSample } | undefined;

function cpuStats(r: Reading): Record<string, unknown> {
  const c = r?.s.cpu;
  return {
    cpu_usage: { total_usage: c?.total ?? 0, percpu_usage: c?.perCpu, usage_in_kernelmode: c?.system ?? 0, usage_in_usermode: c?.user ?? 0 },
    system_cpu_usage: r?.s.systemCpu,
    online_cpus: r?.s.onlineCpus,
    throttling_data: c?.throttling ?? { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** Docker's StatsJSON; a stopped container reads as zeros, as Docker answers. */
function toDocker(rec: ContainerRecord, cur: Reading, prev: Reading): Record<string, unknown> {
  const m = cur?.s.memory;
  const blk = (cur?.s.blkio ?? []).map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value }));
  return {
    name: `/${rec.name}`,
    id: rec.id,
    read: cur?.at ?? ZERO_TIME,
    preread: prev?.at ?? ZERO_TIME,
    pids_stats: cur?.s.pids ? { current: cur.s.pids.current, ...(cur.s.pids.limit ? { limit: cur.s.pids.limit } : {}) } : {},
    blkio_stats: { io_service_bytes_recursive: cur ? blk : null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    // An unlimited v1 cgroup reports a huge number; Docker shows the host's memory then.
    ...(cur?.s.networks && Object.keys(cur.s.networks).length ? { networks: cur.s.networks } : {}),
    memory_stats: m ? { usage: m.usage, max_usage: m.maxUsage, stats: m.stats, limit: Math.min(m.limit, totalmem()) } : {},
  };
}
