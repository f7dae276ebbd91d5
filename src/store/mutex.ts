/**
 * A FIFO async mutex: `run` executes critical sections one at a time, in call
 * order. A section that throws releases the lock like one that returns. Not
 * re-entrant: a section that calls `run` on the same mutex waits forever.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    // The next caller waits for this section to settle, whatever its outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
