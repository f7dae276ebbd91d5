import type { ContainerWaitResponse, HealthcheckResult } from '../spec/docker-container.js';
import { conflict, messageOf } from '../util/errors.js';
import { log } from '../util/log.js';
import { LimitedOutput, MAX_LOG_ENTRIES, goDuration, probeOf, type Probe } from './health-config.js';
import { type ContainerRecord, nowRfc3339Nano } from './record.js';

/** Runs one probe command in a running container (ExecService.run). */
export type ProbeExec = (
  id: string,
  cmd: string[],
  o: { timeoutMs: number; output: { write(data: Buffer): void } },
) => Promise<{ exitCode: number; timedOut: boolean }>;

/** What the monitor needs from the container service. */
export interface HealthHost {
  /** The container if it still exists. */
  find(id: string): ContainerRecord | undefined;
  save(rec: ContainerRecord): Promise<void>;
  exec: ProbeExec;
  /** Publishes a container event ("health_status: healthy"). */
  emit(rec: ContainerRecord, action: string): void;
}

type Waiter = (r: ContainerWaitResponse) => void;

/**
 * Healthchecks, scheduled by the daemon: one timer per running container with
 * a probe. A probe runs `interval` after the previous one ended (`start
 * interval` while still starting inside the start period), is killed at
 * `timeout`, and its result moves rec.state.health as Docker does: exit 0 is
 * healthy and clears the streak; a failure counts unless the container is
 * still starting inside its start period, and `retries` failures in a row make
 * it unhealthy. Status changes are saved and published as
 * "health_status: <status>" events.
 *
 * Lifecycle: `started` (every start: status "starting", streak 0, log kept),
 * `paused` (probes stop, status kept), `resumed` (unpause or adoption after a
 * daemon restart: probes go on from the recorded status), `stopped` (probes
 * stop; as Docker, the status becomes "unhealthy"), `removed`. A result that
 * arrives after the container stopped or paused is dropped.
 */
export class HealthMonitor {
  private readonly runs = new Map<string, { timer: NodeJS.Timeout; generation: number }>();
  private readonly waiters = new Map<string, Waiter[]>();
  private generation = 0;

  constructor(private readonly host: HealthHost) {}

  /** The container's probe, if its effective config has one. */
  static probeOf(rec: ContainerRecord): Probe | undefined {
    return probeOf(rec.config.Healthcheck, rec.config.Shell);
  }

  started(rec: ContainerRecord): void {
    this.cancel(rec.id);
    const probe = HealthMonitor.probeOf(rec);
    if (!probe) return;
    const h = (rec.state.health ??= { Status: 'starting', FailingStreak: 0, Log: [] });
    h.Status = 'starting';
    h.FailingStreak = 0;
    this.schedule(rec, probe);
  }

  resumed(rec: ContainerRecord): void {
    this.cancel(rec.id);
    const probe = HealthMonitor.probeOf(rec);
    if (!probe) return;
    rec.state.health ??= { Status: 'starting', FailingStreak: 0, Log: [] };
    this.schedule(rec, probe);
  }

  paused(rec: ContainerRecord): void {
    this.cancel(rec.id);
  }

  stopped(rec: ContainerRecord): void {
    this.cancel(rec.id);
    if (rec.state.health) rec.state.health.Status = 'unhealthy';
    this.settle(rec.id, { StatusCode: rec.state.exitCode, Error: { Message: `container ${rec.id} exited before it became healthy` } });
  }

  removed(id: string): void {
    this.cancel(id);
    this.settle(id, { StatusCode: -1, Error: { Message: `container ${id} was removed before it became healthy` } });
  }

  /**
   * POST /containers/{id}/wait?condition=healthy (berth's extension): settles
   * with StatusCode 0 once the container is healthy (at once if it is), or
   * with an Error when it is or turns unhealthy, exits or is removed first. A
   * container without a healthcheck is refused (Conflict). The caller checks
   * that the container is created, running or restarting.
   */
  waitHealthy(rec: ContainerRecord): Promise<ContainerWaitResponse> {
    if (!HealthMonitor.probeOf(rec)) throw conflict(`container ${rec.id} has no healthcheck`);
    if (rec.state.status === 'running' && rec.state.health?.Status === 'healthy') return Promise.resolve({ StatusCode: 0, Error: null });
    if (rec.state.status === 'running' && rec.state.health?.Status === 'unhealthy') return Promise.resolve(unhealthy(rec.id));
    return new Promise((resolve) => {
      const list = this.waiters.get(rec.id) ?? [];
      list.push(resolve);
      this.waiters.set(rec.id, list);
    });
  }

  private settle(id: string, r: ContainerWaitResponse): void {
    const list = this.waiters.get(id);
    this.waiters.delete(id);
    for (const resolve of list ?? []) resolve(r);
  }

  private cancel(id: string): void {
    const run = this.runs.get(id);
    if (run) clearTimeout(run.timer);
    this.runs.delete(id);
  }

  private current(id: string, generation: number): boolean {
    return this.runs.get(id)?.generation === generation;
  }

  private schedule(rec: ContainerRecord, probe: Probe): void {
    const generation = ++this.generation;
    const sinceStart = Date.now() - Date.parse(rec.state.startedAt);
    const starting = rec.state.health?.Status === 'starting' && sinceStart < probe.startPeriodMs;
    const timer = setTimeout(() => void this.tick(rec.id, probe, generation), starting ? probe.startIntervalMs : probe.intervalMs);
    timer.unref();
    this.runs.set(rec.id, { timer, generation });
  }

  private async tick(id: string, probe: Probe, generation: number): Promise<void> {
    const rec = this.host.find(id);
    if (!rec || rec.state.status !== 'running' || !this.current(id, generation)) return;
    const result = await this.runProbe(id, probe);
    if (!this.current(id, generation) || rec.state.status !== 'running') return;
    this.record(rec, probe, result);
    await this.host.save(rec).catch((err) => log.warn('could not save health status', { id, error: messageOf(err) }));
    if (this.current(id, generation)) this.schedule(rec, probe);
  }

  private async runProbe(id: string, probe: Probe): Promise<HealthcheckResult & { startMs: number }> {
    const startMs = Date.now();
    const Start = nowRfc3339Nano();
    const output = new LimitedOutput();
    try {
      const r = await this.host.exec(id, probe.cmd, { timeoutMs: probe.timeoutMs, output });
      const Output = r.timedOut ? `Health check exceeded timeout (${goDuration(probe.timeoutMs)})` : output.toString();
      return { Start, End: nowRfc3339Nano(), ExitCode: r.timedOut ? -1 : r.exitCode, Output, startMs };
    } catch (err) {
      // As Docker: a probe that cannot run is a failure whose output is the error.
      return { Start, End: nowRfc3339Nano(), ExitCode: -1, Output: messageOf(err), startMs };
    }
  }

  private record(rec: ContainerRecord, probe: Probe, result: HealthcheckResult & { startMs: number }): void {
    const h = (rec.state.health ??= { Status: 'starting', FailingStreak: 0, Log: [] });
    const before = h.Status;
    const { startMs, ...entry } = result;
    h.Log.push(entry);
    if (h.Log.length > MAX_LOG_ENTRIES) h.Log.splice(0, h.Log.length - MAX_LOG_ENTRIES);
    if (entry.ExitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else {
      const inStartPeriod = h.Status === 'starting' && startMs - Date.parse(rec.state.startedAt) < probe.startPeriodMs;
      if (!inStartPeriod) {
        h.FailingStreak += 1;
        if (h.FailingStreak >= probe.retries) h.Status = 'unhealthy';
      }
    }
    if (h.Status === before) return;
    this.host.emit(rec, `health_status: ${h.Status}`);
    if (h.Status === 'healthy') this.settle(rec.id, { StatusCode: 0, Error: null });
    else if (h.Status === 'unhealthy') this.settle(rec.id, unhealthy(rec.id));
  }
}

function unhealthy(id: string): ContainerWaitResponse {
  return { StatusCode: 1, Error: { Message: `container ${id} is unhealthy` } };
}
