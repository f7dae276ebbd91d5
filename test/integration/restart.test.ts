import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

/** Polls `inspect --format` until `want` matches; fails with the last answer after a generous deadline. */
async function until(name: string, format: string, want: RegExp): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await d.berth(['inspect', '--format', format, name]);
    if (want.test(r.stdout)) return r.stdout;
    if (Date.now() > deadline) assert.fail(`${name}: ${format} never matched ${want}; last: ${r.stdout}${r.stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('on-failure:2 restarts a failing container twice, then leaves it exited', async () => {
  await d.berth(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 3']);
  await until('flaky', '{{.RestartCount}} {{.State.Status}}', /^2 exited\n$/);
  // RestartCount counts a restart from its decision on; its run may still be starting.
  const deadline = Date.now() + 10_000;
  let logs = await d.berth(['logs', 'flaky']);
  while (logs.stdout !== 'run\nrun\nrun\n' && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
    logs = await d.berth(['logs', 'flaky']);
  }
  assert.equal(logs.stdout, 'run\nrun\nrun\n');
  assert.equal((await d.berth(['inspect', '--format', '{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', 'flaky'])).stdout, '3 on-failure\n');
});

test('on-failure leaves a clean exit alone; always restarts it', async () => {
  await d.berth(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
  await d.berth(['run', '-d', '--name', 'again', '--restart', 'always', 'busybox', 'sh', '-c', 'echo up; sleep 1000']);
  await d.berth(['wait', 'clean']);
  process.kill(Number((await d.berth(['inspect', '--format', '{{.State.Pid}}', 'again'])).stdout), 'SIGKILL');
  await until('again', '{{.RestartCount}} {{.State.Status}}', /^1 running\n$/);
  assert.equal((await d.berth(['inspect', '--format', '{{.RestartCount}} {{.State.Status}}', 'clean'])).stdout, '0 exited\n');
});

test('stop and kill are not undone by the policy', async () => {
  await d.berth(['run', '-d', '--name', 'stays', '--restart', 'always', 'busybox', 'sleep', '1000']);
  assert.equal((await d.berth(['stop', '-t', '0', 'stays'])).code, 0);
  await d.berth(['run', '-d', '--name', 'killed', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
  assert.equal((await d.berth(['kill', 'killed'])).code, 0);
  await until('killed', '{{.State.Status}}', /^exited\n$/);
  // A policy restart comes after a 100 ms backoff: by now each container would have a second start.
  const events = await d.berth(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=stays', '--filter', 'container=killed', '--format', '{{.Action}}']);
  assert.equal(events.stdout.split('\n').filter((a) => a === 'start').length, 2);
  assert.equal((await d.berth(['inspect', '--format', '{{.RestartCount}}', 'stays'])).stdout, '0\n');
});

test('a container that dies while berthd is down is restarted when berthd comes back', async () => {
  await d.berth(['run', '-d', '--name', 'phoenix', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
  const pid = Number((await d.berth(['inspect', '--format', '{{.State.Pid}}', 'phoenix'])).stdout);
  assert.ok(pid > 0);
  await d.crash();
  process.kill(pid, 'SIGKILL');
  await d.launch();
  await until('phoenix', '{{.RestartCount}} {{.State.Status}}', /^1 running\n$/);
});

test('a container waiting out its backoff shows as restarting until stop ends the wait', async () => {
  await d.berth(['run', '-d', '--name', 'backoff', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 4']);
  // The delay doubles at each restart: from the eighth on it lasts over 12 s, long enough to look at.
  const seen = await until('backoff', '{{.RestartCount}} {{.State.Status}} {{.State.Restarting}} {{.State.Running}} {{.State.ExitCode}}', /^([89]|\d\d) restarting true true 4\n$/);
  assert.ok(seen);
  const ps = await d.berth(['ps', '--filter', 'name=backoff', '--format', '{{.Status}}|{{.State}}']);
  assert.match(ps.stdout, /^Restarting \(4\) (Less than a second|\d+ seconds?) ago\|restarting\n$/);
  // info counts it as running, as dockerd does (State.Running is true during the backoff).
  const info = (await d.api('GET', '/info')).json as { ContainersRunning: number };
  const listed = (await d.berth(['ps', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
  assert.equal(info.ContainersRunning, listed);
  const rm = await d.berth(['rm', 'backoff']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /container is restarting: stop the container before removing or force remove/);
  const exec = await d.berth(['exec', 'backoff', 'true']);
  assert.match(exec.stderr, /is restarting, wait until the container is running/);
  // A berthd that comes back finds it restarting and carries the restart out.
  const startedBefore = (await d.berth(['inspect', '--format', '{{.State.StartedAt}}', 'backoff'])).stdout.trim();
  await d.crash();
  await d.launch();
  await until('backoff', '{{.State.StartedAt}}', new RegExp(`^(?!${escape(startedBefore)}$)`));
  assert.equal((await d.berth(['stop', 'backoff'])).code, 0);
  // The stop may meet the short-lived command itself (143) or the backoff after it (4).
  assert.match((await d.berth(['inspect', '--format', '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}', 'backoff'])).stdout, /^exited false (4|143)\n$/);
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
