import type { Command } from '../command.js';
import { printRows } from '../output.js';
import { bytesSize, formatG, truncateId } from '../humanize.js';
import { readJsonLines, type DockerClient } from '../../client/index.js';

const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const STATS_HEADER = {
  ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

interface StatsJson {
  id: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats: { io_service_bytes_recursive: Array<{ op: string; value: number }> | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  pids_stats: { current?: number };
}

/** go-units HumanSizeWithPrecision(x, 3), as docker stats prints I/O. */
const ioSize = (n: number): string => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return formatG(n, 3) + units[i];
};

/** One row of `docker stats`, computed as docker/cli's formatter does (cgroup v1 memory: usage less inactive file cache). */
export function statsRow(s: StatsJson, noTrunc: boolean): Record<string, unknown> {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 0;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const inactive = s.memory_stats.stats?.total_inactive_file ?? s.memory_stats.stats?.inactive_file ?? 0;
  const usage = s.memory_stats.usage ?? 0;
  const mem = inactive < usage ? usage - inactive : usage;
  const limit = s.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    if (e.op.toLowerCase() === 'write') write += e.value;
  }
  return {
    ID: noTrunc ? s.id : truncateId(s.id),
    Container: noTrunc ? s.id : truncateId(s.id),
    Name: s.name.replace(/^\//, ''),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${ioSize(rx)} / ${ioSize(tx)}`,
    BlockIO: `${ioSize(read)} / ${ioSize(write)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  };
}

async function oneReading(client: DockerClient, id: string): Promise<StatsJson> {
  const stream = await client.containerStats(id, { stream: false });
  for await (const s of readJsonLines<StatsJson>(stream)) return s;
  throw new Error(`no stats for ${id}`);
}

/** `berth stats`: resource use of containers, once (--no-stream) or refreshed as readings arrive. */
export const statsCommand: Command = {
  name: 'stats',
  usage: 'stats [OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  aliases: ['berth container stats', 'berth stats'],
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', description: "Do not truncate output" },
  ],
  async run(flags, env) {
    const client = await env.client();
    const ids = flags.positionals.length
      ? flags.positionals
      : (await client.containerList({ all: flags.bool('all') })).map((c) => c.Id);
    const print = (rows: StatsJson[]) =>
      printRows(env.io, {
        format: flags.string('format'), quiet: false, quietField: 'ID', defaultTable: STATS_TABLE, header: STATS_HEADER,
        rows: rows.map((r) => statsRow(r, flags.bool('no-trunc'))),
      });
    if (flags.bool('no-stream')) {
      print(await Promise.all(ids.map((id) => oneReading(client, id))));
      return 0;
    }
    const latest = new Map<string, StatsJson>();
    await Promise.all(ids.map(async (id) => {
      const stream = await client.containerStats(id, { stream: true });
      for await (const s of readJsonLines<StatsJson>(stream)) {
        latest.set(id, s);
        if (latest.size < ids.length) continue;
        env.io.out.write('\x1b[2J\x1b[H');
        print(ids.map((i) => latest.get(i)!).filter(Boolean));
      }
    }));
    return 0;
  },
};
