// Logging in: the identity-token grant of bearer registries (the refresh token
// replaces the password), the interactive prompt on a terminal, and the
// refusals without one. Real docker-registry with htpasswd or a token server.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

let d: TestDaemon;
let tokenReg: TestRegistry;
let basicReg: TestRegistry;
let config: string;

before(async () => {
  [d, tokenReg, basicReg] = await Promise.all([
    TestDaemon.start(),
    TestRegistry.start({ user: 'bob', password: 'pa55', token: true }),
    TestRegistry.start({ user: 'alice', password: 's3cret' }),
  ]);
  config = mkdtempSync('/var/tmp/berth-test-login-');
});
after(async () => {
  await Promise.all([d?.stop(), tokenReg?.stop(), basicReg?.stop()]);
  rmSync(config, { recursive: true, force: true });
});

const env = () => ({ DOCKER_CONFIG: config });
const stored = () => JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths as Record<string, { auth?: string; identitytoken?: string }>;

test('POST /auth returns the token server\'s refresh token as IdentityToken', async () => {
  const r = await d.api('POST', '/auth', { username: 'bob', password: 'pa55', serveraddress: tokenReg.host });
  assert.equal(r.status, 200, r.body);
  assert.match(r.json.IdentityToken, /^[a-f0-9]{32}$/);
  const basic = await d.api('POST', '/auth', { username: 'alice', password: 's3cret', serveraddress: basicReg.host });
  assert.equal(basic.status, 200, basic.body);
  assert.equal(basic.json.IdentityToken, '');
});

test('login keeps the identity token instead of the password, and push and pull use it', async () => {
  const login = await d.berth(['login', '-u', 'bob', '--password-stdin', tokenReg.host], { input: 'pa55\n', env: env() });
  assert.equal(login.code, 0, login.stderr);
  const entry = stored()[tokenReg.host];
  assert.equal(entry.auth, Buffer.from('bob:').toString('base64'));
  assert.match(entry.identitytoken ?? '', /^[a-f0-9]{32}$/);
  assert.doesNotMatch(readFileSync(join(config, 'config.json'), 'utf8'), /pa55/);
  assert.equal((await d.berth(['tag', 'busybox', `${tokenReg.host}/team/bb:1`])).code, 0);
  const grants = TestRegistry.refreshGrants;
  const push = await d.berth(['push', `${tokenReg.host}/team/bb:1`], { env: env() });
  assert.equal(push.code, 0, push.stderr);
  assert.ok(TestRegistry.refreshGrants > grants, 'the push got its token through the refresh-token grant');
  assert.equal((await d.berth(['rmi', `${tokenReg.host}/team/bb:1`])).code, 0);
  const pull = await d.berth(['pull', `${tokenReg.host}/team/bb:1`], { env: env() });
  assert.equal(pull.code, 0, pull.stderr);
});

test('an identity token the token server does not know is refused as unauthorized', async () => {
  const auth = Buffer.from(JSON.stringify({ identitytoken: 'f'.repeat(32), serveraddress: tokenReg.host })).toString('base64url');
  const r = await d.api('POST', `/images/create?fromImage=${tokenReg.host}/team/bb&tag=1`, undefined, { 'X-Registry-Auth': auth });
  assert.equal(r.status, 401, r.body);
  assert.doesNotMatch(r.body, /f{32}/);
});

test('login without a terminal and without credentials says it cannot prompt', async () => {
  const r = await d.berth(['login', basicReg.host], { env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot perform an interactive login from a non TTY device/);
  const noUser = await d.berth(['login', '--password-stdin', basicReg.host], { input: 'x\n', env: env() });
  assert.equal(noUser.code, 1);
  assert.match(noUser.stderr, /Must provide --username with --password-stdin/);
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

test('login on a terminal asks for the username and, without echo, the password', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  const sock = join(d.execRoot, 'tmux-login.sock');
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p').stdout;
  const waitFor = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const text = screen();
      if (re.test(text)) return text;
      if (Date.now() > deadline) assert.fail(`screen never matched ${re}:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const cmd = ['env', `DOCKER_CONFIG=${config}`, process.execPath, BERTH, '-H', d.host, 'login', basicReg.host].map((a) => `'${a}'`).join(' ');
  assert.equal(tmux('new-session', '-d', '-x', '100', '-y', '20', `${cmd}; echo EXIT=$?; sleep 600`).status, 0);
  try {
    await waitFor(/^Username:/m);
    tmux('send-keys', 'alice', 'Enter');
    await waitFor(/^Password:/m);
    tmux('send-keys', 's3cret', 'Enter');
    const text = await waitFor(/EXIT=\d+/);
    assert.match(text, /Login Succeeded/);
    assert.match(text, /EXIT=0/);
    assert.doesNotMatch(text, /s3cret/);
    assert.equal(stored()[basicReg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
  } finally {
    tmux('kill-server');
  }
});
