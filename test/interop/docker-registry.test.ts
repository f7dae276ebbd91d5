// The stock docker CLI against berthd's registry side: login to a bearer
// registry (docker keeps the identity token berthd returns), push and pull
// with it, and push --all-tags. Real docker-registry with a token server.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

let d: TestDaemon;
let tokenReg: TestRegistry;
let reg: TestRegistry;

before(async () => {
  [d, tokenReg, reg] = await Promise.all([TestDaemon.start(), TestRegistry.start({ user: 'carol', password: 'c4rol', token: true }), TestRegistry.start()]);
});
after(async () => {
  await Promise.all([d?.stop(), tokenReg?.stop(), reg?.stop()]);
});

test('docker login keeps the identity token, and docker push and pull use it', async () => {
  const login = await d.docker(['login', '-u', 'carol', '--password-stdin', tokenReg.host], { input: 'c4rol\n' });
  assert.equal(login.code, 0, login.stderr);
  const cfg = JSON.parse(readFileSync(join(d.execRoot, 'docker-config', 'config.json'), 'utf8'));
  assert.match(cfg.auths[tokenReg.host].identitytoken, /^[a-f0-9]{32}$/);
  assert.equal((await d.berth(['tag', 'busybox', `${tokenReg.host}/team/bb:1`])).code, 0);
  const grants = TestRegistry.refreshGrants;
  const push = await d.docker(['push', `${tokenReg.host}/team/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.ok(TestRegistry.refreshGrants > grants);
  assert.equal((await d.berth(['rmi', `${tokenReg.host}/team/bb:1`])).code, 0);
  const pull = await d.docker(['pull', `${tokenReg.host}/team/bb:1`]);
  assert.equal(pull.code, 0, pull.stderr);
});

test('docker push --all-tags pushes every local tag through berthd', async () => {
  for (const tag of ['x', 'y']) assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/all/bb:${tag}`])).code, 0);
  const push = await d.docker(['push', '--all-tags', `${reg.host}/all/bb`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /^x: digest: sha256:/m);
  assert.match(push.stdout, /^y: digest: sha256:/m);
  const tags = await fetch(`${reg.url}/v2/all/bb/tags/list`);
  assert.deepEqual(((await tags.json()) as { tags: string[] }).tags.sort(), ['x', 'y']);
});
