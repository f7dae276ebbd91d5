import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon, busyboxTar } from '../helpers/daemon.js';

/** The stock docker CLI (a client we did not write) against berthd. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;

let d: TestDaemon;
before(async () => {
  if (hasDocker) d = await TestDaemon.start({ busybox: false });
});
after(async () => {
  await d?.stop();
});

test('docker version and info talk to berthd', { skip: !hasDocker && 'docker CLI not installed' }, async () => {
  const v = await d.docker(['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '1.45');
  const i = await d.docker(['info', '--format', '{{.DefaultRuntime}} {{.OSType}}']);
  assert.equal(i.code, 0, i.stderr);
  assert.equal(i.stdout.trim(), 'crun linux');
});

test('docker import, images, tag, inspect and rmi', { skip: !hasDocker && 'docker CLI not installed' }, async () => {
  const imp = await d.docker(['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest']);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /^sha256:[0-9a-f]{64}/);
  assert.equal((await d.docker(['tag', 'busybox', 'copy:1'])).code, 0);
  const images = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.deepEqual(images.stdout.trim().split('\n').sort(), ['busybox:latest', 'copy:1']);
  const inspect = await d.docker(['image', 'inspect', '--format', '{{json .Config.Cmd}}', 'copy:1']);
  assert.equal(inspect.stdout.trim(), '["sh"]');
  const rmi = await d.docker(['rmi', 'copy:1']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: copy:1/);
});

test('docker run streams output and propagates the exit code', { skip: !hasDocker && 'docker CLI not installed' }, async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exit 4']);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'oops\n');
  assert.equal(r.code, 4);
  const ok = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'true']);
  assert.equal(ok.code, 0, ok.stderr);
  const missing = await d.docker(['run', '--rm', 'busybox', 'no-such-binary']);
  assert.equal(missing.code, 127);
});

test('docker run -d, ps, logs, inspect, stop and rm', { skip: !hasDocker && 'docker CLI not installed' }, async () => {
  const run = await d.docker(['run', '-d', '--name', 'bg', 'busybox', 'sh', '-c', 'echo ready; sleep 1000']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const ps = await d.docker(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
  assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} bg Up `));
  let logs = '';
  for (let i = 0; i < 50 && logs !== 'ready\n'; i++) {
    logs = (await d.docker(['logs', 'bg'])).stdout;
    if (logs !== 'ready\n') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(logs, 'ready\n');
  const inspect = await d.docker(['inspect', '--format', '{{.State.Running}} {{.Name}} {{.HostConfig.NetworkMode}}', 'bg']);
  assert.equal(inspect.stdout.trim(), 'true /bg bridge');
  const stop = await d.docker(['stop', '-t', '1', 'bg']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Status}}', 'bg'])).stdout.trim(), 'exited');
  assert.equal((await d.docker(['rm', 'bg'])).code, 0);
  const gone = await d.docker(['rm', 'bg']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such container: bg/);
});
