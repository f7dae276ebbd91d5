import { log } from '../util/log.js';
import type { ContainerRuntime } from './ports.js';
import { type ContainerRecord, isRunningStatus } from './record.js';
import { parseSignal } from './signals.js';
import type { ExitWaiters } from './waiters.js';

/** What stopping a container needs from the container service. */
export interface StopDeps {
  runtime: Pick<ContainerRuntime, 'kill' | 'resume' | 'probe'>;
  waiters: ExitWaiters;
  /** Records an exit the monitor could not report (it died). */
  recordExit: (rec: ContainerRecord, exitCode: number) => Promise<void>;
}

/**
 * Docker's stop: the request's signal, else the container's StopSignal (from
 * --stop-signal or the image's STOPSIGNAL), else SIGTERM; after the request's
 * timeout, else the container's StopTimeout, else 10 s (negative: forever),
 * SIGKILL. Resolves once the exit is recorded.
 */
export async function stopRunning(d: StopDeps, rec: ContainerRecord, o: { timeout?: number; signal?: string }): Promise<void> {
  const signal = parseSignal(o.signal || rec.config.StopSignal || 'SIGTERM');
  const seconds = o.timeout ?? rec.config.StopTimeout ?? 10;
  const graceMs = seconds < 0 ? Infinity : seconds * 1000;
  if (graceMs > 0) {
    const exited = await killAndWait(d, rec, signal, graceMs);
    if (exited) return;
  }
  await killAndWait(d, rec, 'SIGKILL', 30_000);
}

/** Sends a signal and waits up to `ms` for the exit to be recorded; true if it was. */
export async function killAndWait(d: StopDeps, rec: ContainerRecord, signal: string, ms: number): Promise<boolean> {
  if (!isRunningStatus(rec.state.status)) return true;
  const exited = d.waiters.nextExit(rec.id);
  try {
    await d.runtime.kill(rec.id, signal, rec.runtime);
  } catch (err) {
    // The process may have exited between our check and the kill.
    log.debug('kill failed', { id: rec.id, error: String(err) });
  }
  // A frozen process cannot act on the signal: thaw it (as Docker does).
  if (rec.state.status === 'paused') await d.runtime.resume(rec.id, rec.runtime).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([exited.then(() => true), timeout]);
  if (timer) clearTimeout(timer);
  if (!result) {
    // A dead monitor never writes an exit file; ask the runtime directly.
    const probe = await d.runtime.probe(rec.id);
    if (probe.exitCode !== null || !probe.conmonAlive) {
      await d.recordExit(rec, probe.exitCode ?? 137);
      return true;
    }
  }
  return result;
}
