import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';
import { ContextDirs } from '../helpers/build.js';

/** Base images pulled during a build, with the client's registry credentials (X-Registry-Config). */
let d: TestDaemon;
let reg: TestRegistry;
let dockerConfig: string;
let emptyConfig: string;
const ctx = new ContextDirs();

before(async () => {
  [d, reg] = await Promise.all([TestDaemon.start({ busybox: true }), TestRegistry.start({ user: 'alice', password: 's3cret' })]);
  dockerConfig = mkdtempSync('/var/tmp/berth-test-dockercfg-');
  emptyConfig = mkdtempSync('/var/tmp/berth-test-nocfg-');
  const env = { DOCKER_CONFIG: dockerConfig };
  const login = await d.berth(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret\n', env });
  assert.equal(login.code, 0, login.stderr);
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/base:1`])).code, 0);
  const push = await d.berth(['push', `${reg.host}/base:1`], { env });
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await d.berth(['rmi', `${reg.host}/base:1`])).code, 0);
});
after(async () => {
  await Promise.all([d?.stop(), reg?.stop()]);
  rmSync(dockerConfig, { recursive: true, force: true });
  rmSync(emptyConfig, { recursive: true, force: true });
  ctx.cleanup();
});

test('a missing base image is pulled with the stored credentials; without them the build fails', async () => {
  const dir = ctx.make({ Dockerfile: `FROM ${reg.host}/base:1\nRUN echo pulled-base > /p\nCMD ["cat", "/p"]\n` });
  const anonymous = await d.berth(['build', '-t', 'frompriv:0', dir], { env: { DOCKER_CONFIG: emptyConfig } });
  assert.equal(anonymous.code, 1);
  assert.match(anonymous.stderr, /unauthorized|authentication required/i);
  const r = await d.berth(['build', '-t', 'frompriv:1', dir], { env: { DOCKER_CONFIG: dockerConfig } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await d.berth(['run', '--rm', 'frompriv:1'])).stdout, 'pulled-base\n');
});
