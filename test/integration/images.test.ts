import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { TestDaemon, busyboxTar } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

/** A minimal ustar archive with the given entries (name, type, content, linkname). */
function tarOf(entries: Array<{ name: string; type?: '0' | '1' | '2' | '5'; body?: string; link?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

test('import from a file and from stdin with --change, then run the image', async () => {
  const r = await d.berth(['import', '--change', 'ENV GREETING=hi', '--change', 'CMD ["sh", "-c", "echo $GREETING"]', busyboxTar(), 'greeter:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal((await d.berth(['run', '--rm', 'greeter:1'])).stdout, 'hi\n');
  const stdin = await d.berth(['import', '-', 'fromstdin'], { input: readFileSync(busyboxTar()) });
  assert.equal(stdin.code, 0, stdin.stderr);
  const gz = await d.berth(['import', '-', 'gzipped'], { input: gzipSync(readFileSync(busyboxTar())) });
  assert.equal(gz.code, 0, gz.stderr);
  assert.equal((await d.berth(['run', '--rm', 'gzipped', 'echo', 'ok'])).stdout, 'ok\n');
});

test('images lists tags, filters by reference and dangling, prints -q and --digests', async () => {
  await d.berth(['tag', 'busybox', 'mirror/busybox:v1']);
  const table = await d.berth(['images']);
  assert.match(table.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(table.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+/);
  assert.match(table.stdout, /\nmirror\/busybox\s+v1\s+/);
  const filtered = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}', 'mirror/*']);
  assert.equal(filtered.stdout, 'mirror/busybox:v1\n');
  const ids = (await d.berth(['images', '-q'])).stdout.split('\n').filter(Boolean);
  assert.equal(new Set(ids).size, ids.length);
  const digests = await d.berth(['images', '--digests']);
  assert.match(digests.stdout, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
  const inspect = await d.berth(['image', 'inspect', '-f', '{{.Os}} {{.Architecture}} {{json .Config.Cmd}}', 'busybox']);
  assert.match(inspect.stdout, /^linux \w+ \["sh"\]\n$/);
});

test('rmi untags, refuses an image in use, and deletes with -f only the tag', async () => {
  await d.berth(['tag', 'busybox', 'extra:tag']);
  const untag = await d.berth(['rmi', 'extra:tag']);
  assert.equal(untag.stdout, 'Untagged: extra:tag\n');
  await d.berth(['import', busyboxTar(), 'inuse:1']);
  await d.berth(['create', '--name', 'user', 'inuse:1', 'true']);
  const refused = await d.berth(['rmi', 'inuse:1']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /conflict: unable to remove repository reference "inuse:1" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
  await d.berth(['rm', 'user']);
  const removed = await d.berth(['rmi', 'inuse:1']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /Untagged: inuse:1\n/);
  const missing = await d.berth(['rmi', 'no-such-image']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image: no-such-image/);
});

test('image prune removes dangling images only', async () => {
  const rootfs = tarOf([{ name: 'hello.txt', body: 'hello' }]);
  const first = await d.berth(['import', '-', 'dangle:1'], { input: rootfs });
  assert.equal(first.code, 0, first.stderr);
  await d.berth(['import', '-', 'dangle:1'], { input: tarOf([{ name: 'other.txt', body: 'x' }]) });
  const dangling = await d.berth(['images', '-q', '--filter', 'dangling=true']);
  assert.equal(dangling.stdout.trim().length, 12);
  const pruned = await d.berth(['image', 'prune', '-f']);
  assert.match(pruned.stdout, /deleted: sha256:/);
  assert.equal((await d.berth(['images', '-q', '--filter', 'dangling=true'])).stdout, '');
  assert.equal((await d.berth(['image', 'inspect', 'dangle:1'])).code, 0);
});

test('hostile tarballs are refused and leave nothing behind', async () => {
  const snapshot = () => ({
    images: readFileSync(`${d.dataRoot}/index.json`, 'utf8'),
    blobs: readdirSync(`${d.dataRoot}/blobs/sha256`).sort().join(','),
  });
  const before = snapshot();
  const cases = [
    tarOf([{ name: '../escape.txt', body: 'x' }]),
    tarOf([{ name: 'a/../../escape.txt', body: 'x' }]),
    tarOf([{ name: 'link', type: '2', link: '/etc' }, { name: 'link/passwd', body: 'owned' }]),
    tarOf([{ name: 'hard', type: '1', link: '../../etc/passwd' }]),
    Buffer.from('this is not a tar archive at all, not even close.'.repeat(20)),
  ];
  for (const input of cases) {
    const r = await d.berth(['import', '-', 'hostile:1'], { input });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: .+/);
  }
  assert.deepEqual(snapshot(), before);
  assert.equal((await d.berth(['image', 'inspect', 'hostile:1'])).code, 1);
});

test('a malformed reference is refused with docker\'s wording', async () => {
  const r = await d.berth(['tag', 'busybox', 'Busybox']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid reference format/);
});
