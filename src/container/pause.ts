import { conflict } from '../util/errors.js';
import type { ContainerRecord } from './record.js';

/** What pausing needs from the OCI runtime (the cgroup freezer, through crun pause/resume). */
export interface PauseRuntime {
  pause(id: string, runtime?: string): Promise<void>;
  resume(id: string, runtime?: string): Promise<void>;
}

/**
 * Freezes (`paused` true) or thaws every process of a running container, with
 * Docker's refusals: only a running container pauses, only a paused one
 * unpauses. On success rec.state.status is "paused" or "running" (caller persists).
 */
export async function setPaused(rec: ContainerRecord, paused: boolean, runtime: PauseRuntime): Promise<void> {
  const status = rec.state.status;
  if (paused) {
    if (status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
    if (status !== 'running') throw conflict(`Container ${rec.id} is not running`);
    await runtime.pause(rec.id, rec.runtime);
    rec.state.status = 'paused';
  } else {
    if (status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
    await runtime.resume(rec.id, rec.runtime);
    rec.state.status = 'running';
  }
}
