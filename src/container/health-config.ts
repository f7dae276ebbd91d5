import type { HealthConfig } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';

/** Docker's defaults for fields left at 0 (moby daemon/health.go). */
export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
/** Docker keeps the first 4096 bytes of a probe's output, then "...". */
export const MAX_OUTPUT_BYTES = 4096;
/** Results kept in State.Health.Log. */
export const MAX_LOG_ENTRIES = 5;

const NS_PER_MS = 1_000_000;
/** The shortest non-zero duration Docker accepts (containertypes.MinimumDuration). */
const MINIMUM_NS = NS_PER_MS;

/** A healthcheck ready to schedule: the command to exec and the timings in milliseconds. */
export interface Probe {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/**
 * Docker's merge of the create request's healthcheck over the image's: no
 * request healthcheck takes the image's; otherwise an empty Test and every
 * zero field are filled from the image's.
 */
export function mergeHealthcheck(request: HealthConfig | null | undefined, image: HealthConfig | null | undefined): HealthConfig | undefined {
  if (!request) return image ?? undefined;
  if (!image) return { ...request };
  const out: HealthConfig = { ...request };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (!out[k]) out[k] = image[k];
  }
  return out;
}

/** Refuses durations under 1ms (0 means the default) and negative retries, in Docker's words. */
export function validateHealthcheck(h: HealthConfig | null | undefined): void {
  if (!h) return;
  const durations = [['Interval', h.Interval], ['Timeout', h.Timeout], ['StartPeriod', h.StartPeriod], ['StartInterval', h.StartInterval]] as const;
  for (const [name, value] of durations) {
    if (value !== undefined && value !== null && typeof value !== 'number') throw invalidArgument(`${name} in Healthcheck must be a duration in nanoseconds`);
    if (value && value < MINIMUM_NS) throw invalidArgument(`${name} in Healthcheck cannot be less than 1ms`);
  }
  if (h.Retries !== undefined && h.Retries !== null && (!Number.isInteger(h.Retries) || h.Retries < 0)) {
    throw invalidArgument('Retries in Healthcheck cannot be negative');
  }
  if (h.Test !== undefined && h.Test !== null && (!Array.isArray(h.Test) || h.Test.some((x) => typeof x !== 'string'))) {
    throw invalidArgument('Test in Healthcheck must be a list of strings');
  }
}

/**
 * The probe a container's effective healthcheck asks for, or undefined when it
 * has none: no Test, ["NONE"], or a type other than CMD / CMD-SHELL (Docker
 * ignores those with a warning). CMD-SHELL runs through the container's Shell
 * (default /bin/sh -c).
 */
export function probeOf(h: HealthConfig | null | undefined, shell?: string[] | null): Probe | undefined {
  const test = h?.Test ?? [];
  if (!h || test.length === 0) return undefined;
  let cmd: string[];
  switch (test[0]) {
    case 'CMD':
      cmd = test.slice(1);
      break;
    case 'CMD-SHELL':
      cmd = [...(shell?.length ? shell : ['/bin/sh', '-c']), test.slice(1).join(' ')];
      break;
    default:
      return undefined;
  }
  if (cmd.length === 0) return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns ? ns / NS_PER_MS : fallback);
  return {
    cmd,
    intervalMs: ms(h.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(h.Timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs: ms(h.StartPeriod, 0),
    startIntervalMs: ms(h.StartInterval, DEFAULT_START_INTERVAL_MS),
    retries: h.Retries || DEFAULT_RETRIES,
  };
}

/** Go's time.Duration String() for a whole number of milliseconds: "30s", "100ms", "1m30s", "1.5s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sMs = ms % 60_000;
  const s = (sMs / 1000).toString();
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** Docker's limitedBuffer: keeps the first MAX_OUTPUT_BYTES bytes written, and says "..." when more came. */
export class LimitedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  write(data: Buffer): void {
    const keep = Math.min(MAX_OUTPUT_BYTES - this.size, data.length);
    if (keep > 0) {
      this.chunks.push(data.subarray(0, keep));
      this.size += keep;
    }
    if (keep < data.length) this.truncated = true;
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.truncated ? '...' : '');
  }
}
