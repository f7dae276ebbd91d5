import type { ContainerWaitResponse } from '../spec/docker-container.js';

/** Docker's conditions, and berth's `healthy` (see HealthMonitor.waitHealthy). */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed' | 'healthy';

interface Waiter {
  condition: WaitCondition;
  resolve: (r: ContainerWaitResponse) => void;
}

/**
 * Who waits for a container's exit or removal: API waiters (POST .../wait,
 * answered with the exit code) and internal ones (stop, log followers).
 * Registration is synchronous, so a waiter registered before a start cannot
 * miss the exit that follows it.
 */
export class ExitWaiters {
  private readonly api = new Map<string, Waiter[]>();
  private readonly internal = new Map<string, Array<() => void>>();

  /** Settles with the exit code at the next exit (or removal, for "removed"). */
  waitFor(id: string, condition: WaitCondition): Promise<ContainerWaitResponse> {
    return new Promise((resolve) => push(this.api, id, { condition, resolve }));
  }

  /** Settles at the container's next exit or its removal. */
  nextExit(id: string): Promise<void> {
    return new Promise((resolve) => push(this.internal, id, resolve));
  }

  /** The container exited (or was removed) with `exitCode`: wake whoever waits for that. */
  settle(id: string, event: 'exit' | 'removed', exitCode: number): void {
    for (const resolve of this.internal.get(id) ?? []) resolve();
    this.internal.delete(id);
    const keep: Waiter[] = [];
    for (const w of this.api.get(id) ?? []) {
      if (event === 'removed' || w.condition !== 'removed') w.resolve({ StatusCode: exitCode, Error: null });
      else keep.push(w);
    }
    if (keep.length) this.api.set(id, keep);
    else this.api.delete(id);
  }
}

function push<T>(map: Map<string, T[]>, id: string, item: T): void {
  const list = map.get(id) ?? [];
  list.push(item);
  map.set(id, list);
}
