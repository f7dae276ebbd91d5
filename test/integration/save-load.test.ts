import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
let dir: string;

before(async () => {
  d = await TestDaemon.start();
  dir = mkdtempSync('/var/tmp/berth-test-save-');
});
after(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('save writes a docker-archive that skopeo reads and that is also an OCI layout', async () => {
  const file = join(dir, 'bb.tar');
  const r = await d.berth(['save', '-o', file, 'busybox']);
  assert.equal(r.code, 0, r.stderr);
  const names = run('tar', ['-tf', file]).stdout.split('\n');
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories']) assert.ok(names.includes(n), `${n} missing: ${names.join(' ')}`);
  const manifest = JSON.parse(run('tar', ['-xOf', file, 'manifest.json']).stdout);
  assert.deepEqual(manifest[0].RepoTags, ['busybox:latest']);
  const inspect = run('skopeo', ['inspect', `docker-archive:${file}`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(JSON.parse(inspect.stdout).Layers.length, 1);
});

test('load brings a saved image back under its tag, from a plain or gzip archive', async () => {
  const file = join(dir, 'bb.tar');
  assert.equal((await d.berth(['tag', 'busybox', 'saved/bb:2'])).code, 0);
  assert.equal((await d.berth(['save', '-o', file, 'saved/bb:2'])).code, 0);
  assert.equal((await d.berth(['rmi', 'saved/bb:2'])).code, 0);
  const load = await d.berth(['load', '-i', file]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout.trim(), 'Loaded image: saved/bb:2');
  const run1 = await d.berth(['run', '--rm', 'saved/bb:2', 'echo', 'loaded']);
  assert.equal(run1.stdout.trim(), 'loaded');
  assert.equal((await d.berth(['rmi', 'saved/bb:2'])).code, 0);
  const gz = join(dir, 'bb.tar.gz');
  writeFileSync(gz, gzipSync(readFileSync(file)));
  const api = await d.api('POST', '/images/load?quiet=1', readFileSync(gz), { 'Content-Type': 'application/x-tar' });
  assert.equal(api.status, 200, api.body);
  assert.equal(JSON.parse(api.body.trim()).stream, 'Loaded image: saved/bb:2\n');
});

test('load accepts an OCI layout tarball made by skopeo', async () => {
  const file = join(dir, 'bb.tar');
  const oci = join(dir, 'oci.tar');
  assert.equal((await d.berth(['save', '-o', file, 'busybox'])).code, 0);
  const copy = run('skopeo', ['copy', `docker-archive:${file}`, `oci-archive:${oci}:localhost/ocitest:1`]);
  assert.equal(copy.code, 0, copy.stderr);
  const load = await d.berth(['load', '-i', oci]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout.trim(), 'Loaded image: localhost/ocitest:1');
  const run1 = await d.berth(['run', '--rm', 'localhost/ocitest:1', 'echo', 'oci']);
  assert.equal(run1.stdout.trim(), 'oci');
});

test('save of an unknown image fails with No such image and writes no file', async () => {
  const file = join(dir, 'none.tar');
  const r = await d.berth(['save', '-o', file, 'busybox', 'nothere:1']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No such image: nothere:1/);
  assert.equal(run('test', ['-e', file]).code, 1);
});

test('load refuses an archive that is not an image tarball and adds nothing', async () => {
  const before = (await d.api('GET', '/images/json')).json.length;
  const r = await d.berth(['load'], { input: Buffer.from('not a tar at all'.repeat(64)) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /invalid archive/);
  assert.equal((await d.api('GET', '/images/json')).json.length, before);
});
