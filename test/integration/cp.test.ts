import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
let work: string;
before(async () => {
  d = await TestDaemon.start();
  work = mkdtempSync('/var/tmp/berth-test-cp-');
  const r = await d.berth(['run', '--name', 'box', '-v', 'cpvol:/vol', 'busybox', 'sh', '-c', [
    'mkdir -p /srv/tree/sub', 'echo one > /srv/tree/one', 'echo two > /srv/tree/sub/two', 'chown -R 123:456 /srv/tree',
    'ln -s /srv/tree/one /srv/link', 'ln -s / /escape', 'echo v > /vol/in-volume', 'rm /bin/cat', 'echo new > /added',
  ].join(' && ')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const ok = async (args: string[], input?: string | Buffer) => {
  const r = await d.berth(args, { input });
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r;
};

describe('cp out of a container', () => {
  test('copies a file, a directory, and a directory\'s content with /.', async () => {
    await ok(['cp', 'box:/srv/tree/one', join(work, 'one.txt')]);
    assert.equal(readFileSync(join(work, 'one.txt'), 'utf8'), 'one\n');
    await ok(['cp', 'box:/srv/tree', join(work, 'tree-copy')]);
    assert.equal(readFileSync(join(work, 'tree-copy', 'sub', 'two'), 'utf8'), 'two\n');
    mkdirSync(join(work, 'into'));
    await ok(['cp', 'box:/srv/tree', join(work, 'into')]);
    assert.equal(readFileSync(join(work, 'into', 'tree', 'one'), 'utf8'), 'one\n');
    mkdirSync(join(work, 'content'));
    await ok(['cp', 'box:/srv/tree/.', join(work, 'content')]);
    assert.equal(readFileSync(join(work, 'content', 'sub', 'two'), 'utf8'), 'two\n');
    assert.equal(existsSync(join(work, 'content', 'tree')), false);
  });

  test('keeps a symlink as a link, and -L follows it', async () => {
    await ok(['cp', 'box:/srv/link', join(work, 'link')]);
    assert.equal(readlinkSync(join(work, 'link')), '/srv/tree/one');
    await ok(['cp', '-L', 'box:/srv/link', join(work, 'followed')]);
    assert.equal(lstatSync(join(work, 'followed')).isFile(), true);
    assert.equal(readFileSync(join(work, 'followed'), 'utf8'), 'one\n');
  });

  test('reads volume content and writes a tar to stdout with -', async () => {
    const r = await d.berth(['cp', 'box:/vol/in-volume', '-']);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(work, 'out.tar'), r.stdout, 'latin1');
    const list = spawnSync('tar', ['-tvf', join(work, 'out.tar')], { encoding: 'utf8' });
    assert.match(list.stdout, /in-volume/);
  });

  test('reports a missing path as docker does', async () => {
    const r = await d.berth(['cp', 'box:/no/such', join(work, 'x')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: Could not find the file /no/such in container box\n');
    const head = await d.api('HEAD', '/containers/box/archive?path=/no/such');
    assert.equal(head.status, 404);
  });

  test('HEAD answers the stat header', async () => {
    const head = await d.api('HEAD', '/containers/box/archive?path=/srv/link');
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
    assert.equal(stat.name, 'link');
    assert.equal(stat.linkTarget, '/srv/tree/one');
    assert.notEqual(stat.mode & 2 ** 27, 0);
  });
});

describe('cp into a container', () => {
  test('copies a file and a directory in, on a stopped container, into volumes too', async () => {
    writeFileSync(join(work, 'up.txt'), 'up\n');
    mkdirSync(join(work, 'updir', 'deeper'), { recursive: true });
    writeFileSync(join(work, 'updir', 'deeper', 'f'), 'f\n');
    await ok(['cp', join(work, 'up.txt'), 'box:/tmp/']);
    await ok(['cp', join(work, 'up.txt'), 'box:/tmp/renamed.txt']);
    await ok(['cp', join(work, 'updir'), 'box:/opt-new']);
    await ok(['cp', join(work, 'up.txt'), 'box:/vol/']);
    const r = await ok(['run', '--rm', '--volumes-from', 'box', 'busybox', 'ls', '/vol']);
    assert.match(r.stdout, /up\.txt/);
    await ok(['cp', 'box:/opt-new/deeper/f', join(work, 'back')]);
    assert.equal(readFileSync(join(work, 'back'), 'utf8'), 'f\n');
    await ok(['cp', 'box:/tmp/renamed.txt', join(work, 'renamed-back')]);
    assert.equal(readFileSync(join(work, 'renamed-back'), 'utf8'), 'up\n');
  });

  test('-a keeps owners, and without it files belong to root', async () => {
    writeFileSync(join(work, 'owned'), 'o\n');
    chownSync(join(work, 'owned'), 4321, 8765);
    await ok(['cp', '-a', join(work, 'owned'), 'box:/tmp/owned-a']);
    await ok(['cp', join(work, 'owned'), 'box:/tmp/owned-root']);
    const head = (p: string) => d.api('HEAD', `/containers/box/archive?path=${p}`);
    assert.equal((await head('/tmp/owned-a')).status, 200);
    rmSync(join(work, 'check'), { recursive: true, force: true });
    mkdirSync(join(work, 'check'));
    const tar = await d.berth(['cp', 'box:/tmp', '-']);
    writeFileSync(join(work, 'check.tar'), tar.stdout, 'latin1');
    const list = spawnSync('tar', ['--numeric-owner', '-tvf', join(work, 'check.tar')], { encoding: 'utf8' }).stdout;
    assert.match(list, /4321\/8765 .* tmp\/owned-a\n/);
    assert.match(list, /0\/0 .* tmp\/owned-root\n/);
  });

  test('a tar from stdin is extracted into a directory', async () => {
    mkdirSync(join(work, 'stdin-src'), { recursive: true });
    writeFileSync(join(work, 'stdin-src', 'piped'), 'piped\n');
    spawnSync('tar', ['-cf', join(work, 'in.tar'), '-C', join(work, 'stdin-src'), 'piped']);
    await ok(['cp', '-', 'box:/tmp'], readFileSync(join(work, 'in.tar')));
    await ok(['cp', 'box:/tmp/piped', join(work, 'piped-back')]);
    assert.equal(readFileSync(join(work, 'piped-back'), 'utf8'), 'piped\n');
  });

  test('a symlink inside the container cannot carry a write outside its root', async () => {
    const marker = `berth-escape-${process.pid}-${Date.now()}`;
    writeFileSync(join(work, marker), 'x\n');
    // /escape -> / in the container: /escape/tmp is the container's /tmp, never the host's.
    await ok(['cp', join(work, marker), 'box:/escape/tmp/']);
    assert.equal(existsSync(join('/tmp', marker)), false);
    await ok(['cp', `box:/tmp/${marker}`, join(work, 'escaped-back')]);
    assert.equal(readFileSync(join(work, 'escaped-back'), 'utf8'), 'x\n');
  });

  test('tar entries with .. are refused and nothing is written', async () => {
    const src = join(work, 'evil');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'first'), 'first\n');
    writeFileSync(join(src, 'a', 'x'), 'x\n');
    // GNU tar strips ".." itself: build the hostile name by patching the header of a same-length name.
    writeFileSync(join(src, 'zz-evil-out'), 'evil\n');
    const raw = spawnSync('tar', ['-cf', '-', '-C', src, 'first', 'zz-evil-out'], { encoding: 'buffer' }).stdout;
    const patched = Buffer.from(raw);
    const at = patched.indexOf('zz-evil-out');
    patched.write('../evil-out', at, 'latin1');
    // Fix the header checksum (bytes 148..155) of the patched entry.
    const start = at - (at % 512);
    patched.fill(' ', start + 148, start + 156);
    let sum = 0;
    for (let i = start; i < start + 512; i++) sum += patched[i];
    patched.write(sum.toString(8).padStart(6, '0') + '\0 ', start + 148, 'latin1');
    const r = await d.api('PUT', '/containers/box/archive?path=/tmp', patched, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /invalid tar entry "\.\.\/evil-out"/);
    assert.equal((await d.api('HEAD', '/containers/box/archive?path=/tmp/first')).status, 404);
    assert.equal((await d.api('HEAD', '/containers/box/archive?path=/evil-out')).status, 404);
    // A file standing for the extraction point itself would replace the directory: refused.
    const { pack } = await import('tar-stream');
    const p = pack();
    p.entry({ name: './', type: 'file', size: 1 }, 'x');
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
    const dot = await d.api('PUT', '/containers/box/archive?path=/srv/tree', Buffer.concat(chunks), { 'Content-Type': 'application/x-tar' });
    assert.equal(dot.status, 400);
    assert.equal((await d.api('HEAD', '/containers/box/archive?path=/srv/tree/sub/two')).status, 200);
  });

  test('errors: missing destination directory, read-only rootfs, non-directory extraction point', async () => {
    writeFileSync(join(work, 'small'), 's\n');
    const r = await d.berth(['cp', join(work, 'small'), 'box:/no/such/dir/']);
    assert.equal(r.code, 1);
    const put = await d.api('PUT', '/containers/box/archive?path=/srv/tree/one', Buffer.alloc(1024));
    assert.equal(put.status, 400);
    assert.equal(put.json.message, 'extraction point is not a directory');
    await ok(['create', '--name', 'ro', '--read-only', '-v', 'ro-vol:/data', 'busybox']);
    const ro = await d.berth(['cp', join(work, 'small'), 'ro:/tmp/']);
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /container rootfs is marked read-only/);
    await ok(['cp', join(work, 'small'), 'ro:/data/']);
    await ok(['rm', 'ro']);
  });
});

describe('diff and system df', () => {
  test('diff lists changed, added and deleted paths', async () => {
    const r = await ok(['diff', 'box']);
    const lines = r.stdout.trim().split('\n');
    for (const want of ['C /bin', 'D /bin/cat', 'A /added', 'A /srv/tree/one', 'A /escape']) assert.ok(lines.includes(want), `${want} in\n${r.stdout}`);
    assert.ok(!lines.some((l) => l.startsWith('A /vol')), r.stdout);
    const api = await d.api('GET', '/containers/box/changes');
    assert.deepEqual(api.json.find((c: { Path: string }) => c.Path === '/bin/cat'), { Path: '/bin/cat', Kind: 2 });
    await ok(['create', '--name', 'fresh', 'busybox']);
    assert.equal((await ok(['diff', 'fresh'])).stdout, '');
    await ok(['rm', 'fresh']);
  });

  test('system df counts images, containers and volumes', async () => {
    const api = await d.api('GET', '/system/df');
    assert.equal(api.status, 200);
    assert.ok(api.json.Images.length >= 1);
    assert.ok(api.json.Containers.some((c: { Names: string[]; SizeRw: number }) => c.Names[0] === '/box' && c.SizeRw > 0));
    const vol = api.json.Volumes.find((v: { Name: string }) => v.Name === 'cpvol');
    assert.equal(vol.UsageData.RefCount, 1);
    assert.ok(vol.UsageData.Size > 0);
    assert.deepEqual(api.json.BuildCache, []);
    const cli = await ok(['system', 'df']);
    assert.match(cli.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
    assert.match(cli.stdout, /Local Volumes\s+\d+\s+1\s/);
    assert.match((await ok(['system', 'df', '-v'])).stdout, /cpvol/);
  });
});
