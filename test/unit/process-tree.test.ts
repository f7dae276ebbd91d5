import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { descendants, killTree } from '../../src/util/process-tree.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('killTree kills a shell and the children it started', async () => {
  const sh = spawn('sh', ['-c', 'sleep 100 & sleep 100 & wait'], { stdio: 'ignore' });
  const exited = new Promise((res) => sh.once('exit', res));
  let kids: number[] = [];
  const deadline = Date.now() + 10_000;
  while (kids.length < 2 && Date.now() < deadline) {
    kids = await descendants(sh.pid!);
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.equal(kids.length, 2);
  await killTree(sh.pid!);
  await exited;
  // The sleeps were handed to an init and reaped; none keeps running.
  const until = Date.now() + 10_000;
  while (kids.some(alive) && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(kids.filter(alive), []);
});
