import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { ContextDirs } from '../helpers/build.js';

/**
 * The stock docker CLI's legacy builder (DOCKER_BUILDKIT=0, or no buildx
 * installed: berthd's /_ping says Builder-Version 1) against berthd.
 */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
const ctx = new ContextDirs();
before(async () => {
  if (!hasDocker) return;
  process.env.DOCKER_BUILDKIT = '0';
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
  ctx.cleanup();
});

test('docker build builds, tags and caches; docker run runs the result', { skip }, async () => {
  const dir = ctx.make({
    Dockerfile: 'FROM busybox\nARG WHO=world\nCOPY greeting.txt /g\nRUN echo "hello $WHO" >> /g\nCMD ["cat", "/g"]\n',
    'greeting.txt': 'greeting\n',
    '.dockerignore': 'ignored.txt\n',
    'ignored.txt': 'no',
  });
  const r = await d.docker(['build', '--build-arg', 'WHO=docker', '-t', 'dk/app:1', '-t', 'dk/app:2', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Step 4\/5 : RUN echo "hello \$WHO" >> \/g$/m);
  assert.match(r.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully tagged dk\/app:2$/m);
  const run = await d.docker(['run', '--rm', 'dk/app:1']);
  assert.equal(run.stdout, 'greeting\nhello docker\n');

  const again = await d.docker(['build', '-q', '--build-arg', 'WHO=docker', '-t', 'dk/app:3', dir]);
  assert.equal(again.code, 0, again.stderr);
  const inspect = await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'dk/app:1']);
  assert.equal(again.stdout.trim(), inspect.stdout.trim());
  const history = await d.docker(['history', '--format', '{{.CreatedBy}}', 'dk/app:1']);
  assert.match(history.stdout, /hello \$WHO/);
});

test('docker build -f - and a failing step: the error and exit code reach the user', { skip }, async () => {
  const dir = ctx.make({ 'x.txt': 'x' });
  const ok = await d.docker(['build', '-f', '-', '-t', 'dk/stdin', dir], { input: 'FROM busybox\nCOPY x.txt /x\n' });
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await d.docker(['build', '-t', 'dk/bad', '-'], { input: 'FROM busybox\nRUN echo failing; exit 2\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /failing/);
  assert.match(bad.stderr, /The command '\/bin\/sh -c echo failing; exit 2' returned a non-zero code: 2/);
  const none = await d.docker(['image', 'inspect', 'dk/bad']);
  assert.notEqual(none.code, 0);
});

test('docker build --target and docker builder prune', { skip }, async () => {
  const dir = ctx.make({ Dockerfile: 'FROM busybox AS one\nRUN echo 1 > /one\nFROM one AS two\nRUN echo 2 > /two\n' });
  const r = await d.docker(['build', '--target', 'one', '-t', 'dk/one', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('/two'));
  const p = await d.docker(['builder', 'prune', '-f']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Total reclaimed space/);
});
