/**
 * Who may use the build cache at once: builds share it, a collection (the
 * automatic GC, `builder prune`) has it alone, so it never removes a layer
 * a running build stands on and no build starts on an entry it is removing.
 * Waiters are served in arrival order: a waiting collection holds back the
 * builds that come after it, and is itself not starved by a stream of builds.
 */
export class CacheLock {
  private builds = 0;
  private collecting = false;
  private readonly queue: Array<{ exclusive: boolean; go: () => void }> = [];

  /** Runs a build's use of the cache. */
  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold(false, fn);
  }

  /** Runs a collection, once no build is running. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold(true, fn);
  }

  /** True when nothing runs or waits: the moment for an automatic collection. */
  get idle(): boolean {
    return this.builds === 0 && !this.collecting && this.queue.length === 0;
  }

  private async hold<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.queue.length > 0 || !this.free(exclusive)) await new Promise<void>((go) => this.queue.push({ exclusive, go }));
    else this.take(exclusive);
    try {
      return await fn();
    } finally {
      if (exclusive) this.collecting = false;
      else this.builds--;
      this.drain();
    }
  }

  private free(exclusive: boolean): boolean {
    return exclusive ? !this.collecting && this.builds === 0 : !this.collecting;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.collecting = true;
    else this.builds++;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.free(this.queue[0].exclusive)) {
      const next = this.queue.shift() as { exclusive: boolean; go: () => void };
      this.take(next.exclusive);
      next.go();
    }
  }
}
