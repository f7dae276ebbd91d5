import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

test('after kill -9 of berthd, running containers still run and stopped ones keep logs and exit codes', async () => {
  const running = (await d.berth(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'echo alive; sleep 1000'])).stdout.trim();
  assert.equal((await d.berth(['run', '--name', 'finished', 'busybox', 'sh', '-c', 'echo done; exit 7'])).code, 7);
  const pidBefore = (await d.berth(['inspect', '-f', '{{.State.Pid}}', 'survivor'])).stdout.trim();

  await d.crash();
  // The container process outlives the daemon.
  process.kill(Number(pidBefore), 0);
  await d.launch();

  const ps = await d.berth(['ps', '--format', '{{.ID}} {{.Names}} {{.State}}']);
  assert.equal(ps.stdout, `${running.slice(0, 12)} survivor running\n`);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Pid}}', 'survivor'])).stdout.trim(), pidBefore);
  assert.equal((await d.berth(['logs', 'survivor'])).stdout, 'alive\n');
  const finished = await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'finished']);
  assert.equal(finished.stdout, 'exited 7\n');
  assert.equal((await d.berth(['logs', 'finished'])).stdout, 'done\n');

  // The adopted container can still be stopped and its exit is noticed.
  assert.equal((await d.berth(['stop', '-t', '1', 'survivor'])).code, 0);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', 'survivor'])).stdout, 'exited\n');
});

test('a container that exits while berthd is down is recorded with its exit code', async () => {
  await d.berth(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 1; exit 5']);
  await d.crash();
  await new Promise((r) => setTimeout(r, 1500));
  await d.launch();
  const r = await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'short']);
  assert.equal(r.stdout, 'exited 5\n');
});

test('nothing half-written is left in the data root after a crash', async () => {
  for (let i = 0; i < 3; i++) {
    const p = d.berth(['run', '--rm', 'busybox', 'true']);
    await new Promise((r) => setTimeout(r, 40 * i));
    await d.crash();
    await p;
    await d.launch();
  }
  const stray = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.name.startsWith('.tmp-')) return [`${dir}/${e.name}`];
      return [];
    });
  assert.deepEqual(stray(d.dataRoot), []);
  assert.deepEqual(stray(`${d.dataRoot}/containers`), []);
  const ps = await d.berth(['ps', '-a', '--format', '{{.Names}}']);
  assert.equal(ps.code, 0);
});
