import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
let dir: string;

before(async () => {
  d = await TestDaemon.start();
  dir = mkdtempSync('/var/tmp/berth-test-commit-');
  const r = await d.berth([
    'run', '--name', 'changed', '-e', 'KEPT=yes', 'busybox', 'sh', '-c',
    'echo hi > /new.txt && rm /bin/vi && rm -rf /var/spool && mkdir -p /var/spool && echo s > /var/spool/fresh',
  ]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('commit makes a layer of the container changes, deletions and opaque directories included', async () => {
  const r = await d.berth(['commit', '-m', 'my change', '-a', 'Tester <t@example.com>', '-c', 'CMD ["cat", "/new.txt"]', 'changed', 'committed:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
  const run = await d.berth(['run', '--rm', 'committed:1']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'hi');
  const gone = await d.berth(['run', '--rm', 'committed:1', 'sh', '-c', 'test -e /bin/vi && echo present || echo gone; ls /var/spool; echo $KEPT']);
  assert.equal(gone.stdout.trim().split('\n').join(' '), 'gone fresh yes');
  const inspect = await d.api('GET', '/images/committed:1/json');
  assert.equal(inspect.json.Comment, 'my change');
  assert.equal(inspect.json.Author, 'Tester <t@example.com>');
  assert.equal(inspect.json.RootFS.Layers.length, 2);
  const history = await d.api('GET', '/images/committed:1/history');
  assert.equal(history.json[0].Comment, 'my change');
});

test('commit through the API answers the new image ID, and an unknown container is a 404', async () => {
  const ok = await d.api('POST', '/commit?container=changed&repo=apicommit&tag=2&changes=ENV%20X%3D1');
  assert.equal(ok.status, 201, ok.body);
  const inspect = await d.api('GET', '/images/apicommit:2/json');
  assert.equal(inspect.json.Id, ok.json.Id);
  assert.ok(inspect.json.Config.Env.includes('X=1'));
  const missing = await d.api('POST', '/commit?container=nothere&repo=x');
  assert.equal(missing.status, 404);
});

test('export writes the container filesystem as a tar without whiteouts', async () => {
  const file = join(dir, 'export.tar');
  const r = await d.berth(['export', '-o', file, 'changed']);
  assert.equal(r.code, 0, r.stderr);
  const names = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(names.includes('new.txt'), 'new.txt missing');
  assert.ok(names.includes('bin/busybox'));
  assert.ok(!names.includes('bin/vi'));
  assert.ok(!names.some((n) => n.includes('.wh.')));
  const content = spawnSync('tar', ['-xOf', file, 'new.txt'], { encoding: 'utf8' }).stdout;
  assert.equal(content, 'hi\n');
});

test('commit pauses a running container for the copy, and --pause=false does not', async () => {
  const run = await d.berth(['run', '-d', '--name', 'live', 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  try {
    const since = Math.floor(Date.now() / 1000) - 1;
    const paused = await d.berth(['commit', 'live', 'live:1']);
    assert.equal(paused.code, 0, paused.stderr);
    const unpaused = await d.berth(['commit', '--pause=false', 'live', 'live:2']);
    assert.equal(unpaused.code, 0, unpaused.stderr);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await d.api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: ['live'] }))}`);
    const actions = r.body.trim().split('\n').map((l) => JSON.parse(l).Action).filter((a) => a !== 'create' && a !== 'start');
    assert.deepEqual(actions, ['pause', 'unpause', 'commit', 'commit']);
    const inspect = await d.api('GET', '/containers/live/json');
    assert.equal(inspect.json.State.Status, 'running');
  } finally {
    await d.berth(['rm', '-f', 'live']);
  }
});

test('history prints full IDs with --no-trunc, only IDs with -q, and Go templates with --format', async () => {
  const id = (await d.api('GET', '/images/committed:1/json')).json.Id as string;
  const quiet = await d.berth(['history', '-q', '--no-trunc', 'committed:1']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.deepEqual(quiet.stdout.trim().split('\n'), [id, '<missing>']);
  const short = await d.berth(['history', '-q', 'committed:1']);
  assert.equal(short.stdout.trim().split('\n')[0], id.slice(7, 19));
  const fmt = await d.berth(['history', '--format', '{{.ID}}|{{.Comment}}', '--no-trunc', 'committed:1']);
  assert.equal(fmt.code, 0, fmt.stderr);
  assert.equal(fmt.stdout.trim().split('\n')[0], `${id}|my change`);
});
