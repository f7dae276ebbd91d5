import { readFileSync } from 'node:fs';
import { invalidArgument } from '../util/errors.js';
import type { OciRlimit } from '../spec/oci-runtime.js';

/** One resource limit; `Infinity` stands for the kernel's RLIM_INFINITY. */
export interface Limit {
  soft: number;
  hard: number;
}

/**
 * The limits the daemon runs under. The OCI runtime inherits them through conmon,
 * and a container cannot get more unless the daemon may raise hard limits
 * (CAP_SYS_RESOURCE), so every rlimit in a spec must fit inside these.
 */
export interface HostLimits {
  /** Keyed by OCI type: `RLIMIT_NOFILE`, ... */
  limits: Record<string, Limit>;
  canRaiseHard: boolean;
  /**
   * The capabilities in the daemon's bounding set: a container can hold no
   * others, so privileged containers get these rather than every known one.
   * Absent means all (tests and hosts without /proc).
   */
  boundingCaps?: bigint;
}

/** A Docker `--ulimit`: `nofile=1024:2048` arrives as { name: 'nofile', soft: 1024, hard: 2048 }. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

const LABELS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

const CAP_SYS_RESOURCE = 24n;

/** Parses the text of /proc/<pid>/limits (columns: label, soft, hard, units). */
export function parseProcLimits(text: string): Record<string, Limit> {
  const out: Record<string, Limit> = {};
  for (const line of text.split('\n')) {
    const label = Object.keys(LABELS).find((l) => line.startsWith(l + ' '));
    if (!label) continue;
    const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
    const value = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
    const limit = { soft: value(soft), hard: value(hard) };
    if (!Number.isNaN(limit.soft) && !Number.isNaN(limit.hard)) out[LABELS[label]] = limit;
  }
  return out;
}

let cached: HostLimits | undefined;

/** The daemon's own limits, read once: they cannot change under a running process we own. */
export function hostLimits(): HostLimits {
  if (cached) return cached;
  let limits: Record<string, Limit> = {};
  let canRaiseHard = false;
  let boundingCaps: bigint | undefined;
  try {
    limits = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
    const status = readFileSync('/proc/self/status', 'utf8');
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    canRaiseHard = capEff !== null && ((BigInt('0x' + capEff[1]) >> CAP_SYS_RESOURCE) & 1n) === 1n;
    const capBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
    if (capBnd) boundingCaps = BigInt('0x' + capBnd[1]);
  } catch {
    // Not Linux or no /proc: specs then carry no rlimits and the runtime inherits ours.
  }
  cached = { limits, canRaiseHard, ...(boundingCaps !== undefined ? { boundingCaps } : {}) };
  return cached;
}

/**
 * The rlimits for a spec. Like Docker, a container inherits the daemon's limits;
 * NOFILE is written out explicitly (the host's soft and hard values) because runtime
 * templates default it to values that may not fit (crun's 1048576 fails where the
 * hard limit is 20000). Ulimits override, and are refused with InvalidArgument when
 * they could not be applied, so the mistake surfaces at create, not as a start failure.
 */
export function buildRlimits(host: HostLimits, ulimits: Ulimit[] = []): OciRlimit[] {
  const out = new Map<string, OciRlimit>();
  const nofile = host.limits.RLIMIT_NOFILE;
  if (nofile && Number.isFinite(nofile.soft) && Number.isFinite(nofile.hard)) {
    out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', soft: nofile.soft, hard: nofile.hard });
  }
  for (const u of ulimits) {
    const type = 'RLIMIT_' + u.name.toUpperCase();
    if (!Object.values(LABELS).includes(type)) throw invalidArgument(`invalid ulimit type: ${u.name}`);
    if (!Number.isInteger(u.soft) || !Number.isInteger(u.hard) || u.soft < 0 || u.hard < 0) {
      throw invalidArgument(`invalid ulimit ${u.name}: limits must be non-negative integers`);
    }
    if (u.soft > u.hard) {
      throw invalidArgument(`invalid ulimit ${u.name}: soft limit ${u.soft} is above hard limit ${u.hard}`);
    }
    const have = host.limits[type];
    if (have && !host.canRaiseHard && u.hard > have.hard) {
      throw invalidArgument(
        `ulimit ${u.name}: hard limit ${u.hard} is above the daemon's own hard limit ${have.hard}, which it may not raise`,
      );
    }
    out.set(type, { type, soft: u.soft, hard: u.hard });
  }
  return [...out.values()];
}
