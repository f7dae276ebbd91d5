import { log } from '../util/log.js';
import { messageOf } from '../util/errors.js';
import type { ContainerRecord } from './record.js';

/** Docker's backoff: 100 ms, doubled at each restart in a row, at most a minute. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run at least this long resets the backoff. */
const RESET_AFTER_MS = 10_000;

/** What restarts need from the container service. */
export interface RestartHost {
  /** Starts the container as POST /start does (takes its lock). */
  start(id: string): Promise<void>;
  /** The container if it still exists. */
  find(id: string): ContainerRecord | undefined;
  save(rec: ContainerRecord): Promise<void>;
}

/**
 * Docker's policy decision: `always` restarts every exit, `unless-stopped` every
 * exit the user did not cause, `on-failure[:N]` non-zero exits until N restarts;
 * nothing restarts an exit the user caused with stop or kill.
 */
export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  const policy = rec.hostConfig.RestartPolicy;
  if (rec.manuallyStopped || rec.hostConfig.AutoRemove) return false;
  switch (policy?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return exitCode !== 0 && (max <= 0 || rec.restartCount < max);
    }
    default:
      return false;
  }
}

/**
 * Ends the backoff of a container waiting for its policy's restart (stop,
 * kill, restart, remove): it becomes "exited" with the exit code it had. True
 * if it was restarting; the caller cancels the timer (stoppedByUser) and saves.
 */
export function endRestarting(rec: ContainerRecord): boolean {
  if (rec.state.status !== 'restarting') return false;
  rec.state.status = 'exited';
  return true;
}

/**
 * Restart policies at work: after an exit, a start after the backoff delay;
 * stop, kill, start and remove cancel a pending one. While it waits, the
 * container is "restarting" (State.Restarting, "Restarting (1) 2 seconds ago"),
 * and its RestartCount already counts the coming restart, as in Docker. The
 * decision lives on the record (`manuallyStopped`, `restartCount`, the status),
 * so a daemon restart resumes it: `recovered` starts the containers whose
 * policy wants them running.
 */
export class RestartPolicies {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();

  constructor(private readonly host: RestartHost) {}

  /** After an exit was recorded, before it is saved: a restart to come makes the container "restarting". */
  afterExit(rec: ContainerRecord): void {
    if (!shouldRestart(rec, rec.state.exitCode)) {
      this.delays.delete(rec.id);
      return;
    }
    rec.state.status = 'restarting';
    rec.restartCount += 1;
    const ran = Date.parse(rec.state.finishedAt) - Date.parse(rec.state.startedAt);
    const previous = this.delays.get(rec.id);
    const delay = previous === undefined || ran >= RESET_AFTER_MS ? FIRST_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS);
    this.delays.set(rec.id, delay);
    this.schedule(rec.id, delay);
  }

  private schedule(id: string, delay: number): void {
    this.clear(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      const rec = this.host.find(id);
      if (!rec || rec.manuallyStopped || rec.state.status !== 'restarting') return;
      void this.host.start(id).catch((err) => {
        log.warn('restart by policy failed', { id, error: messageOf(err) });
        if (rec.state.status !== 'restarting') return;
        rec.state.status = 'exited';
        void this.host.save(rec).catch(() => undefined);
      });
    }, delay);
    timer.unref();
    this.timers.set(id, timer);
  }

  private clear(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  /** The user stopped or killed the container: this exit is not restarted. */
  stoppedByUser(rec: ContainerRecord): void {
    rec.manuallyStopped = true;
    this.clear(rec.id);
  }

  /** Started (by the user or a restart); a user start also ends a pending restart. */
  started(rec: ContainerRecord): void {
    rec.manuallyStopped = false;
    this.clear(rec.id);
  }

  removed(id: string): void {
    this.clear(id);
    this.delays.delete(id);
  }

  /** At daemon start, for a container found restarting (or exited, from a daemon that had no such status): resume its policy. */
  recovered(rec: ContainerRecord): void {
    if (rec.state.status === 'restarting') {
      if (rec.manuallyStopped) rec.state.status = 'exited';
      else this.schedule(rec.id, FIRST_DELAY_MS);
      return;
    }
    if (rec.state.status === 'exited' && rec.state.exits > 0 && shouldRestart(rec, rec.state.exitCode)) {
      rec.state.status = 'restarting';
      rec.restartCount += 1;
      this.schedule(rec.id, FIRST_DELAY_MS);
    }
  }
}
