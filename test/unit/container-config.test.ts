import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeCreateConfig, mergeEnv } from '../../src/container/config.js';
import { resolveUser } from '../../src/container/user.js';
import { parseSignal } from '../../src/container/signals.js';
import { validateName } from '../../src/container/names.js';
import type { ImageDefaults } from '../../src/container/config.js';

const ctx = (image: ImageDefaults) => ({ id: 'a'.repeat(64), image, runtimes: ['crun', 'runc'], defaultRuntime: 'crun' });
const argv = (r: { path: string; args: string[] }) => [r.path, ...r.args];

describe('ENTRYPOINT and CMD combine as docker combines them', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'] };

  test('the image entrypoint runs with the image cmd', () => {
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x' }, ctx(image))), ['/entry.sh', 'serve', '--port', '80']);
  });

  test('a cmd given at run time replaces only the image cmd', () => {
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x', Cmd: ['debug'] }, ctx(image))), ['/entry.sh', 'debug']);
  });

  test('an entrypoint given at run time also drops the image cmd', () => {
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x', Entrypoint: ['sh'] }, ctx(image))), ['sh']);
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x', Entrypoint: ['sh'], Cmd: ['-c', 'id'] }, ctx(image))), ['sh', '-c', 'id']);
  });

  test('an empty entrypoint clears it, leaving the cmd', () => {
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x', Entrypoint: [''], Cmd: ['ls'] }, ctx(image))), ['ls']);
  });

  test('a string entrypoint or cmd counts as one word', () => {
    assert.deepEqual(argv(mergeCreateConfig({ Image: 'x', Cmd: 'true' }, ctx({}))), ['true']);
  });

  test('nothing to run is refused', () => {
    assert.throws(() => mergeCreateConfig({ Image: 'x' }, ctx({})), /no command specified/);
  });
});

describe('the rest of the effective config', () => {
  test('env merges by key, later values winning, order kept', () => {
    assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3']), ['PATH=/bin', 'A=2', 'B=3']);
  });

  test('labels merge, the workdir must be absolute, the hostname defaults to the short id', () => {
    const r = mergeCreateConfig({ Image: 'x', Cmd: ['true'], Labels: { b: '2' } }, ctx({ Labels: { a: '1' }, WorkingDir: '/srv' }));
    assert.deepEqual(r.config.Labels, { a: '1', b: '2' });
    assert.equal(r.config.WorkingDir, '/srv');
    assert.equal(r.config.Hostname, 'a'.repeat(12));
    assert.throws(() => mergeCreateConfig({ Image: 'x', Cmd: ['true'], WorkingDir: 'rel' }, ctx({})), /needs to be an absolute path/);
  });

  test('network modes: default means bridge; unknown networks and runtimes are refused', () => {
    assert.equal(mergeCreateConfig({ Image: 'x', Cmd: ['true'], HostConfig: { NetworkMode: 'default' } }, ctx({})).hostConfig.NetworkMode, 'bridge');
    assert.throws(() => mergeCreateConfig({ Image: 'x', Cmd: ['true'], HostConfig: { NetworkMode: 'nope' } }, ctx({})), /network nope not found/);
    assert.throws(() => mergeCreateConfig({ Image: 'x', Cmd: ['true'], HostConfig: { Runtime: 'kata' } }, ctx({})), /unknown or invalid runtime name: kata/);
  });

  test('port bindings are kept on a bridge and dropped with the host network, as docker does', () => {
    const bindings = { '80/tcp': [{ HostPort: '8080' }] };
    assert.deepEqual(mergeCreateConfig({ Image: 'x', Cmd: ['true'], HostConfig: { PortBindings: bindings } }, ctx({})).hostConfig.PortBindings, bindings);
    assert.deepEqual(mergeCreateConfig({ Image: 'x', Cmd: ['true'], HostConfig: { NetworkMode: 'host', PortBindings: bindings } }, ctx({})).hostConfig.PortBindings, {});
  });

  test('container names follow docker\'s pattern', () => {
    assert.equal(validateName('/web-1'), 'web-1');
    assert.throws(() => validateName('a'), /Invalid container name/);
    assert.throws(() => validateName('bad name'), /Invalid container name/);
  });

  test('signals are accepted by name, short name or number', () => {
    assert.equal(parseSignal('TERM'), 'SIGTERM');
    assert.equal(parseSignal('sigkill'), 'SIGKILL');
    assert.equal(parseSignal('10'), 'SIGUSR1');
    assert.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/);
  });
});

describe('user resolution inside the container root', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-user-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n');
  test.after(() => rmSync(root, { recursive: true, force: true }));

  test('names, numbers, groups and supplementary groups resolve as docker resolves them', async () => {
    assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(await resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [2000], home: '/home/app' });
    assert.deepEqual(await resolveUser(root, '4242:extra'), { uid: 4242, gid: 2000, additionalGids: [], home: '/' });
    await assert.rejects(resolveUser(root, 'ghost'), /unable to find user ghost: no matching entries in passwd file/);
    await assert.rejects(resolveUser(root, 'app:ghosts'), /unable to find group ghosts/);
  });

  test('an absolute symlink in the image resolves inside the root, never on the host', async () => {
    const evil = mkdtempSync(join(tmpdir(), 'berth-user-evil-'));
    mkdirSync(join(evil, 'etc'));
    mkdirSync(join(evil, 'real'));
    writeFileSync(join(evil, 'real/passwd'), 'inside:x:7:7::/in:/bin/sh\n');
    symlinkSync('/real/passwd', join(evil, 'etc/passwd'));
    try {
      assert.equal((await resolveUser(evil, 'inside')).uid, 7);
    } finally {
      rmSync(evil, { recursive: true, force: true });
    }
  });
});
