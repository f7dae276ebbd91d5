import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

/** The stock docker CLI against berthd: healthchecks, --init, stop signals. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
before(async () => {
  if (hasDocker) d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

test('docker run --health-cmd: docker inspect and docker ps show the health, docker events the change', { skip }, async () => {
  const run = await d.docker(['run', '-d', '--name', 'hc', '--health-cmd', 'echo fine', '--health-interval', '100ms', '--health-retries', '2', 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  await until('healthy', async () => (await d.docker(['inspect', '--format', '{{.State.Health.Status}}', 'hc'])).stdout === 'healthy\n');
  const log = await d.docker(['inspect', '--format', '{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}', 'hc']);
  assert.equal(log.stdout, '0 fine\n\n');
  assert.equal((await d.docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Retries}}', 'hc'])).stdout, '["CMD-SHELL","echo fine"] 2\n');
  assert.match((await d.docker(['ps', '--filter', 'name=hc', '--format', '{{.Status}}'])).stdout, /^Up .* \(healthy\)\n$/);
  assert.equal((await d.docker(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}'])).stdout, 'hc\n');
  const now = String(Math.floor(Date.now() / 1000) + 1);
  const events = await d.docker(['events', '--since', '0', '--until', now, '--filter', 'event=health_status', '--format', '{{.Actor.Attributes.name}} {{.Action}}']);
  assert.equal(events.stdout, 'hc health_status: healthy\n');
});

test('docker run --init runs docker-init as PID 1', { skip }, async () => {
  const r = await d.docker(['run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\0')[0], '/sbin/docker-init');
});

test('docker stop uses --stop-signal; docker kill refuses an unknown signal', { skip }, async () => {
  const script = 'trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done';
  assert.equal((await d.docker(['run', '-d', '--name', 'sig', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', script])).code, 0);
  await until('ready', async () => (await d.docker(['logs', 'sig'])).stdout.includes('ready'));
  const kill = await d.docker(['kill', '-s', 'FOO', 'sig']);
  assert.notEqual(kill.code, 0);
  assert.match(kill.stderr, /Invalid signal: FOO/);
  assert.equal((await d.docker(['stop', 'sig'])).code, 0);
  assert.equal((await d.docker(['inspect', '--format', '{{.State.ExitCode}}', 'sig'])).stdout, '9\n');
});
