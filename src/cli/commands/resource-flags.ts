import type { FlagSpec, ParsedFlags } from '../flags.js';
import { UsageError } from '../flags.js';
import { ramInBytes } from '../../util/size.js';
import type { HostConfig } from '../../spec/docker-container.js';

/**
 * The cgroup flags `run`, `create` and `update` share, with docker's names and
 * help texts. Values are parsed client-side the way docker's CLI parses them
 * (sizes, rationals); range checks are the daemon's, so API clients get them too.
 */
export const RESOURCE_FLAGS: FlagSpec[] = [
  { name: 'blkio-weight', type: 'int', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', valueName: 'uint16' },
  { name: 'cpu-period', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
  { name: 'cpus', description: 'Number of CPUs', valueName: 'decimal' },
  { name: 'cpuset-cpus', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', description: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'memory', short: 'm', description: 'Memory limit', valueName: 'bytes' },
  { name: 'memory-reservation', description: 'Memory soft limit', valueName: 'bytes' },
  { name: 'memory-swap', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", valueName: 'bytes' },
  { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
];

/** The flags only `run` and `create` take: they are fixed for the container's life. */
export const CREATE_ONLY_RESOURCE_FLAGS: FlagSpec[] = [
  { name: 'oom-kill-disable', type: 'bool', description: 'Disable OOM Killer' },
  { name: 'oom-score-adj', type: 'int', description: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'shm-size', description: 'Size of /dev/shm', valueName: 'bytes' },
  { name: 'ulimit', type: 'stringArray', description: 'Ulimit options', valueName: 'ulimit' },
];

/** docker's RAMInBytes: "512m", "1g", "1024" (binary units). */
export function parseBytes(flag: string, text: string): number {
  const bytes = ramInBytes(text);
  if (bytes === undefined) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: invalid size: '${text}'`);
  return bytes;
}

const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime',
  'sigpending', 'stack',
]);

/** docker's `--ulimit name=soft[:hard]` (go-units ParseUlimit), with its wording. */
export function parseUlimit(text: string): { Name: string; Soft: number; Hard: number } {
  const fail = (why: string) => new UsageError(`invalid argument "${text}" for "--ulimit" flag: ${why}`);
  const eq = text.indexOf('=');
  if (eq < 0) throw fail(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw fail(`invalid ulimit type: ${name}`);
  const values = text.slice(eq + 1).split(':');
  if (values.length > 2) throw fail(`too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const parsed = values.map((v) => {
    if (!/^[+-]?\d+$/.test(v)) throw fail(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    return Number(v);
  });
  const [soft, hard = soft] = parsed;
  if (hard !== -1 && soft > hard) throw fail(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** docker's --cpus: a rational number of CPUs, sent as NanoCpus. */
function parseCpus(text: string): number {
  const cpus = Number(text);
  if (text.trim() === '' || !Number.isFinite(cpus)) {
    throw new UsageError(`invalid argument "${text}" for "--cpus" flag: failed to parse ${text} as a rational number`);
  }
  return Math.round(cpus * 1e9);
}

/** Sets the HostConfig fields of the RESOURCE_FLAGS the user gave (and only those). */
export function applyResourceFlags(flags: ParsedFlags, hc: HostConfig): void {
  const ints: Array<[string, keyof HostConfig]> = [
    ['blkio-weight', 'BlkioWeight'], ['cpu-period', 'CpuPeriod'], ['cpu-quota', 'CpuQuota'], ['cpu-shares', 'CpuShares'],
    ['pids-limit', 'PidsLimit'],
  ];
  for (const [flag, key] of ints) if (flags.changed(flag)) hc[key] = flags.int(flag);
  if (flags.string('cpus')) hc.NanoCpus = parseCpus(flags.string('cpus'));
  if (flags.string('cpuset-cpus')) hc.CpusetCpus = flags.string('cpuset-cpus');
  if (flags.string('cpuset-mems')) hc.CpusetMems = flags.string('cpuset-mems');
  if (flags.string('memory')) hc.Memory = parseBytes('memory', flags.string('memory'));
  if (flags.string('memory-reservation')) hc.MemoryReservation = parseBytes('memory-reservation', flags.string('memory-reservation'));
  const swap = flags.string('memory-swap');
  if (swap) hc.MemorySwap = swap === '-1' ? -1 : parseBytes('memory-swap', swap);
}

/** Sets the HostConfig fields of CREATE_ONLY_RESOURCE_FLAGS. */
export function applyCreateOnlyResourceFlags(flags: ParsedFlags, hc: HostConfig): void {
  if (flags.bool('oom-kill-disable')) hc.OomKillDisable = true;
  if (flags.changed('oom-score-adj')) hc.OomScoreAdj = flags.int('oom-score-adj');
  if (flags.string('shm-size')) hc.ShmSize = parseBytes('shm-size', flags.string('shm-size'));
  const ulimits = flags.array('ulimit').map(parseUlimit);
  if (ulimits.length) hc.Ulimits = ulimits;
}
