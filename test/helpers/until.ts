import * as assert from 'node:assert/strict';

/** Polls `check` until it returns true; fails naming `what` after a generous deadline. */
export async function until(what: string, check: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
