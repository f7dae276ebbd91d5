import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

let d: TestDaemon;
let reg: TestRegistry;

before(async () => {
  [d, reg] = await Promise.all([TestDaemon.start(), TestRegistry.start()]);
});
after(async () => {
  await Promise.all([d?.stop(), reg?.stop()]);
});

function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('an image berth pushes is read by skopeo inspect, config and layers intact', async () => {
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/interop/bb:1`])).code, 0);
  const push = await d.berth(['push', `${reg.host}/interop/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
  const r = skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/interop/bb:1`]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Os, 'linux');
  assert.deepEqual(info.Layers.length, 1);
  const raw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/interop/bb:1`]);
  assert.match(JSON.parse(raw.stdout).layers[0].mediaType, /gzip/);
  const config = skopeo(['inspect', '--config', '--tls-verify=false', `docker://${reg.host}/interop/bb:1`]);
  assert.deepEqual(JSON.parse(config.stdout).config.Cmd, ['sh']);
});

test('an image skopeo copies into the registry pulls into berth and runs', async () => {
  const copy = skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/interop/bb:1`, `docker://${reg.host}/copied/bb:2`]);
  assert.equal(copy.code, 0, copy.stderr);
  const pull = await d.berth(['pull', `${reg.host}/copied/bb:2`]);
  assert.equal(pull.code, 0, pull.stderr);
  const run = await d.berth(['run', '--rm', `${reg.host}/copied/bb:2`, 'echo', 'copied by skopeo']);
  assert.equal(run.stdout.trim(), 'copied by skopeo');
});

test('the stock docker CLI pulls and pushes through berthd', async () => {
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/docker-cli/bb:1`])).code, 0);
  const push = await d.docker(['push', `${reg.host}/docker-cli/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
  assert.equal((await d.berth(['rmi', `${reg.host}/docker-cli/bb:1`])).code, 0);
  const pull = await d.docker(['pull', `${reg.host}/docker-cli/bb:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for/);
  assert.match(pull.stdout, new RegExp(`${reg.host}/docker-cli/bb:1\\s*$`));
  const missing = await d.docker(['pull', `${reg.host}/docker-cli/bb:nope`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, new RegExp(`manifest for ${reg.host}/docker-cli/bb:nope not found: manifest unknown`));
});
