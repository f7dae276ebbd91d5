import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';

/** The stock docker CLI against berthd: exec and the other verbs for running containers. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
before(async () => {
  if (!hasDocker) return;
  d = await TestDaemon.start();
  const r = await d.docker(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
});

test('docker exec prints the output and returns the exit code', { skip }, async () => {
  const r = await d.docker(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.code, 4);
});

test('docker exec -i forwards stdin', { skip }, async () => {
  const r = await d.docker(['exec', '-i', 'box', 'cat'], { input: 'hi\n' });
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
});

test('docker exec -u -w -e apply', { skip }, async () => {
  const r = await d.docker(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'X=y', 'box', 'sh', '-c', 'echo $(id -u) $(pwd) $X']);
  assert.equal(r.stdout, '65534 /tmp y\n');
});

test('docker exec of a missing command exits 127', { skip }, async () => {
  const r = await d.docker(['exec', 'box', 'no-such-command']);
  assert.equal(r.code, 127);
});

test('docker exec -d runs in the background', { skip }, async () => {
  const r = await d.docker(['exec', '-d', 'box', 'sh', '-c', 'echo bg > /tmp/bg']);
  assert.equal(r.code, 0, r.stderr);
  let seen = '';
  for (let i = 0; i < 100 && seen === ''; i++) seen = (await d.docker(['exec', 'box', 'cat', '/tmp/bg'])).stdout;
  assert.equal(seen, 'bg\n');
});

test('echo hi | docker run -i --rm busybox cat prints hi', { skip }, async () => {
  const r = await d.docker(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' });
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0, r.stderr);
});

test('docker top lists the processes of a container', { skip }, async () => {
  const r = await d.docker(['top', 'box']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
  assert.match(r.stdout, /sleep 1000\n/);
});

test('docker pause and unpause', { skip }, async () => {
  assert.equal((await d.docker(['pause', 'box'])).stdout, 'box\n');
  const ps = await d.docker(['ps', '--filter', 'name=box', '--format', '{{.Status}}']);
  assert.match(ps.stdout, /\(Paused\)/);
  assert.equal((await d.docker(['unpause', 'box'])).stdout, 'box\n');
  assert.equal((await d.docker(['exec', 'box', 'echo', 'ok'])).stdout, 'ok\n');
});

test('docker stats --no-stream', { skip }, async () => {
  const r = await d.docker(['stats', '--no-stream', 'box']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n[0-9a-f]{12}\s+box\s+[\d.]+%/);
});
