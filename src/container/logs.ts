import { EngineError } from '../util/errors.js';
import type { ContainerRuntime, LogRecord } from './ports.js';
import { isRunningStatus } from './record.js';
import type { ContainerRepository } from './repository.js';
import type { ExitWaiters } from './waiters.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  sinceNs?: bigint;
  untilNs?: bigint;
  signal?: AbortSignal;
  /** Attach: no history; reading goes on until the exit that follows the call. */
  attach?: boolean;
}

export interface LogsDeps {
  repo: ContainerRepository;
  waiters: ExitWaiters;
  runtime: Pick<ContainerRuntime, 'readLog'>;
  logPath(id: string): string;
}

/**
 * Log records of a container. With `follow`, reading goes on until the
 * container stops. With `attach`, it goes on until the exit that follows the
 * call, even if the container has not started yet. The `none` driver keeps a
 * log for attach only: reading it otherwise is refused, as dockerd does.
 */
export function containerLogs(d: LogsDeps, ref: string, o: LogsOptions): { tty: boolean; records: AsyncIterable<LogRecord> } {
  const rec = d.repo.find(ref);
  if (!o.attach && rec.hostConfig.LogConfig?.Type === 'none') {
    throw new EngineError('NotImplemented', 'configured logging driver does not support reading');
  }
  const exitsAtCall = rec.state.exits;
  const isRunning = o.attach
    ? () => d.repo.tryFind(rec.id) !== undefined && rec.state.exits === exitsAtCall
    : () => d.repo.tryFind(rec.id) !== undefined && isRunningStatus(rec.state.status);
  const following = o.attach || (o.follow && isRunningStatus(rec.state.status));
  const records = d.runtime.readLog(d.logPath(rec.id), {
    follow: o.follow || o.attach,
    stopWhen: following ? d.waiters.nextExit(rec.id) : undefined,
    tail: o.attach ? 0 : o.tail,
    sinceNs: o.sinceNs,
    untilNs: o.untilNs,
    signal: o.signal,
    isRunning,
  });
  return { tty: rec.config.Tty === true, records };
}
