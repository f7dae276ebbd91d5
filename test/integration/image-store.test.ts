import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { mountOverlay, openImageService, unmountOverlay, type ImageService, type InUse } from '../../src/image/index.js';
import type { ImageId } from '../../src/spec/ids.js';
import { openContentStore, sha256Digest } from '../../src/store/index.js';
import { isEngineError, type ErrorKind } from '../../src/util/errors.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let work: string;
let busyboxTar: string;
const mounts: string[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-image-store-'));
  busyboxTar = join(work, 'busybox.tar');
  execFileSync('sh', [join(repoRoot, 'scripts', 'make-busybox-rootfs.sh'), busyboxTar]);
});

after(async () => {
  for (const target of mounts) await unmountOverlay(target).catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

async function newStore(): Promise<{ root: string; svc: ImageService }> {
  const root = await mkdtemp(join(work, 'root-'));
  return { root, svc: await openImageService({ dataRoot: root }) };
}

const busybox = () => createReadStream(busyboxTar);
const unused = (): InUse | undefined => undefined;
const cid = 'c0ffee' + '0'.repeat(58);
const usedBy = (id: ImageId, running: boolean) => (img: ImageId): InUse | undefined =>
  img === id ? { containerId: cid, running } : undefined;

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    if (!isEngineError(err, kind)) assert.fail(`expected ${kind}, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

type Entry = { header: Partial<Header> & { name: string; pax?: Record<string, string> }; body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) p.entry(e.header as Header, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every path under the data root plus index.json's content: what "nothing left behind" compares. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [await readFile(join(root, 'index.json'), 'utf8')];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      out.push(relative(root, path));
      if ((await lstat(path)).isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return out;
}

describe('image store: import, resolve and list', () => {
  let svc: ImageService;
  let id: ImageId;

  before(async () => {
    ({ svc } = await newStore());
    id = (await svc.importTarball(busybox(), { reference: 'busybox', changes: ['CMD ["sh"]', 'LABEL tier=base'] })).id;
  });

  it('import records a one-layer image for the host with the given changes', async () => {
    const inspect = await svc.inspect('busybox');
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.RepoTags, ['busybox:latest']);
    assert.equal(inspect.Os, 'linux');
    assert.equal(inspect.Architecture, process.arch === 'x64' ? 'amd64' : process.arch);
    assert.deepEqual(inspect.Config.Cmd, ['sh']);
    assert.equal(inspect.Comment, 'Imported from -');
    assert.deepEqual(inspect.RootFS.Layers, [sha256Digest(await readFile(busyboxTar))]);
    assert.ok(inspect.Size > 1_000_000, 'size counts the unpacked files');
  });

  it('resolves by name, full reference, full id, bare hex and unique prefix', async () => {
    const hex = id.slice('sha256:'.length);
    for (const input of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 5)}`]) {
      assert.equal((await svc.resolve(input)).id, id, input);
    }
    const { manifestDigest } = await svc.resolve(id);
    assert.equal((await svc.resolve(`busybox@${manifestDigest}`)).id, id, 'a digest reference within a known repository');
  });

  it('reports unknown images as NotFound and malformed names as InvalidArgument', async () => {
    await rejectsWith(svc.resolve('nope'), 'NotFound', 'No such image: nope');
    await rejectsWith(svc.resolve('busybox:1'), 'NotFound', 'No such image: busybox:1');
    await rejectsWith(svc.resolve(`sha256:${'0'.repeat(64)}`), 'NotFound', /No such image/);
    await rejectsWith(svc.resolve('Busybox'), 'InvalidArgument', 'invalid reference format: repository name (library/Busybox) must be lowercase');
    await rejectsWith(svc.resolve('bad:tag!'), 'InvalidArgument', 'invalid reference format');
  });

  it('lists newest first and filters by dangling, reference, label, before and since', async () => {
    const second = await svc.importTarball(busybox(), { reference: 'localhost:5000/tools/bb:1' });
    const loose = await svc.importTarball(busybox(), {});
    const ids = async (filters: Record<string, string[]>) => (await svc.list({ filters })).map((s) => s.Id);
    assert.deepEqual(await ids({}), [loose.id, second.id, id]);
    assert.deepEqual(await ids({ dangling: ['true'] }), [loose.id]);
    assert.deepEqual(await ids({ dangling: ['false'] }), [second.id, id]);
    assert.deepEqual(await ids({ reference: ['busy*'] }), [id]);
    assert.deepEqual(await ids({ reference: ['localhost:5000/*/bb:1'] }), [second.id]);
    assert.deepEqual(await ids({ label: ['tier=base'] }), [id]);
    assert.deepEqual(await ids({ label: ['tier=other'] }), []);
    assert.deepEqual(await ids({ before: ['localhost:5000/tools/bb:1'] }), [id]);
    assert.deepEqual(await ids({ since: ['busybox'] }), [loose.id, second.id]);
    const summary = (await svc.list({ filters: { dangling: ['true'] } }))[0];
    assert.deepEqual(summary.RepoTags, []);
    assert.equal(summary.SharedSize, -1);
    await rejectsWith(svc.list({ filters: { colour: ['red'] } }), 'InvalidArgument', "invalid filter 'colour'");
  });
});

describe('image store: tag, rmi and prune', () => {
  it('tag moves a reference and leaves the previous image dangling', async () => {
    const { svc } = await newStore();
    const a = await svc.importTarball(busybox(), { reference: 'app:1' });
    const b = await svc.importTarball(busybox(), {});
    await svc.tag(b.id, 'app', '1');
    assert.equal((await svc.resolve('app:1')).id, b.id);
    assert.deepEqual((await svc.resolve(a.id)).repoTags, []);
    await rejectsWith(svc.tag(b.id, `app@sha256:${'a'.repeat(64)}`), 'InvalidArgument', /digest/);
    await rejectsWith(svc.tag('missing', 'x'), 'NotFound', 'No such image: missing');
  });

  it('rmi of one of several tags only untags; the last tag deletes the image and its layer', async () => {
    const { root, svc } = await newStore();
    const img = await svc.importTarball(busybox(), { reference: 'busybox' });
    await svc.tag('busybox', 'localhost:5000/bb', 'v1');
    assert.deepEqual(await svc.remove('busybox', {}, unused), [{ Untagged: 'busybox:latest' }]);
    const records = await svc.remove('localhost:5000/bb:v1', {}, unused);
    assert.deepEqual(records.slice(0, 2), [{ Untagged: 'localhost:5000/bb:v1' }, { Deleted: img.id }]);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
    assert.deepEqual(await readdir(join(root, 'blobs', 'sha256')), []);
    await rejectsWith(svc.resolve(img.id), 'NotFound', /No such image/);
  });

  it('rmi by id with several tags is a conflict unless forced', async () => {
    const { svc } = await newStore();
    const img = await svc.importTarball(busybox(), { reference: 'one' });
    await svc.tag('one', 'two');
    const id12 = img.id.slice(7, 19);
    await rejectsWith(
      svc.remove(img.id, {}, unused),
      'Conflict',
      `conflict: unable to delete ${id12} (must be forced) - image is referenced in multiple repositories`,
    );
    const records = await svc.remove(id12, { force: true }, unused);
    assert.deepEqual(records.slice(0, 3), [{ Untagged: 'one:latest' }, { Untagged: 'two:latest' }, { Deleted: img.id }]);
  });

  it('rmi refuses an image a container uses, and cannot be forced while it runs', async () => {
    const { svc } = await newStore();
    const img = await svc.importTarball(busybox(), { reference: 'busybox' });
    const id12 = img.id.slice(7, 19);
    await rejectsWith(
      svc.remove('busybox', {}, usedBy(img.id, false)),
      'Conflict',
      `conflict: unable to remove repository reference "busybox" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${id12}`,
    );
    await rejectsWith(
      svc.remove(img.id, {}, usedBy(img.id, false)),
      'Conflict',
      `conflict: unable to delete ${id12} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}`,
    );
    await rejectsWith(
      svc.remove(img.id, { force: true }, usedBy(img.id, true)),
      'Conflict',
      `conflict: unable to delete ${id12} (cannot be forced) - image is being used by running container ${cid.slice(0, 12)}`,
    );
    assert.equal((await svc.resolve('busybox')).id, img.id, 'refused removals change nothing');
  });

  it('a forced rmi of an image a stopped container uses removes its tags and keeps it dangling', async () => {
    const { svc } = await newStore();
    const img = await svc.importTarball(busybox(), { reference: 'busybox' });
    assert.deepEqual(await svc.remove('busybox', { force: true }, usedBy(img.id, false)), [{ Untagged: 'busybox:latest' }]);
    assert.deepEqual((await svc.resolve(img.id)).repoTags, []);
    assert.equal((await svc.layerDirs(img.id)).length, 1);
  });

  it('prune removes unused dangling images, and unused tagged ones only with all', async () => {
    const { svc } = await newStore();
    await svc.importTarball(busybox(), { reference: 'keep' });
    const dangling = await svc.importTarball(busybox(), {});
    const busy = await svc.importTarball(busybox(), {});
    const inUse = usedBy(busy.id, false);
    const report = await svc.prune({}, inUse);
    assert.deepEqual(report.ImagesDeleted, [{ Deleted: dangling.id }]);
    assert.equal(report.SpaceReclaimed, 0, 'the shared layer stays');
    assert.deepEqual(await svc.prune({}, inUse), { ImagesDeleted: null, SpaceReclaimed: 0 });
    const all = await svc.prune({ all: true }, unused);
    assert.deepEqual(all.ImagesDeleted?.slice(0, 1), [{ Untagged: 'keep:latest' }]);
    assert.ok(all.SpaceReclaimed > 1_000_000);
    assert.deepEqual(await svc.list({}), []);
  });
});

describe('image store: persistence, layers and overlay', () => {
  it('reopening the store shows the same images and tags, and clears crash leftovers', async () => {
    const { root, svc } = await newStore();
    await svc.importTarball(busybox(), { reference: 'busybox', changes: ['ENV A=1'] });
    await svc.tag('busybox', 'other', '2');
    await svc.importTarball(busybox(), {});
    await mkdir(join(root, 'layers', '.tmp-layer-crashed', 'diff'), { recursive: true });
    await writeFile(join(root, 'blobs', '.tmp-ingest-crashed'), 'partial');
    const reopened = await openImageService({ dataRoot: root });
    assert.deepEqual(await reopened.list({}), await svc.list({}));
    assert.deepEqual(await reopened.inspect('other:2'), await svc.inspect('other:2'));
    assert.ok(!(await readdir(join(root, 'layers'))).some((n) => n.startsWith('.tmp-')));
    assert.ok(!(await readdir(join(root, 'blobs'))).some((n) => n.startsWith('.tmp-')));
    const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8'));
    const names = index.manifests.map((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.deepEqual(names.sort(), ['docker.io/library/busybox:latest', 'docker.io/library/other:2', undefined]);
  });

  it('two imports of the same tar share one layer, unpacked once', async () => {
    const { root, svc } = await newStore();
    const a = await svc.importTarball(busybox(), { reference: 'a' });
    const [dir] = await svc.layerDirs(a.id);
    const inode = (await lstat(join(dir, 'bin', 'busybox'))).ino;
    const b = await svc.importTarball(busybox(), { reference: 'b' });
    assert.notEqual(a.id, b.id);
    assert.deepEqual(await svc.layerDirs(b.id), [dir]);
    assert.equal((await lstat(join(dir, 'bin', 'busybox'))).ino, inode);
    assert.equal((await readdir(join(root, 'layers'))).length, 1);
    await svc.remove('a', {}, unused);
    assert.equal((await readdir(join(root, 'layers'))).length, 1, 'b still uses the layer');
  });

  it('an overlay of the image shows /bin/busybox and keeps writes out of the layer', async () => {
    const { root, svc } = await newStore();
    const img = await svc.importTarball(busybox(), { reference: 'busybox' });
    const lowerDirs = await svc.layerDirs(img.id);
    const c = join(root, 'containers', 'c1');
    const target = join(c, 'merged');
    mounts.push(target);
    await mountOverlay({ lowerDirs, upperDir: join(c, 'upper'), workDir: join(c, 'work'), target });
    try {
      assert.deepEqual(await readFile(join(target, 'bin', 'busybox')), await readFile('/bin/busybox'));
      assert.equal(await readlink(join(target, 'bin', 'sh')), 'busybox');
      await writeFile(join(target, 'etc', 'hostname'), 'c1\n');
      assert.equal(await readFile(join(c, 'upper', 'etc', 'hostname'), 'utf8'), 'c1\n');
      await assert.rejects(lstat(join(lowerDirs[0], 'etc', 'hostname')));
    } finally {
      await unmountOverlay(target);
    }
    await unmountOverlay(target); // a second unmount is a no-op
    assert.deepEqual(await readdir(target), []);
  });

  it('gzip input is accepted and stored as the uncompressed layer tar', async () => {
    const { svc } = await newStore();
    const gz = gzipSync(await readFile(busyboxTar));
    const img = await svc.importTarball(Readable.from([gz]), { reference: 'zipped' });
    const diffId = sha256Digest(await readFile(busyboxTar));
    assert.deepEqual(img.config.rootfs.diff_ids, [diffId]);
    assert.equal((await svc.inspect('zipped')).RootFS.Layers[0], diffId);
  });
});

describe('image store: layer extraction', () => {
  it('restores modes, owners, mtimes, links, devices, fifos, whiteouts and xattrs', async () => {
    const { svc } = await newStore();
    const t = (iso: string) => new Date(iso);
    const tar = await tarOf([
      { header: { name: './', type: 'directory', mode: 0o755 } },
      { header: { name: 'd/', type: 'directory', mode: 0o750, uid: 1000, gid: 1001, mtime: t('2001-02-03T04:05:06Z') } },
      { header: { name: 'd/f', mode: 0o4755, uid: 1000, gid: 1001, mtime: t('2002-01-01T00:00:00Z'), pax: { 'SCHILY.xattr.user.note': 'text' } }, body: 'hello' },
      { header: { name: 'd/s', type: 'symlink', linkname: 'f', uid: 7, gid: 8, mtime: t('2003-01-01T00:00:00Z') } },
      { header: { name: 'd/h', type: 'link', linkname: 'd/f' } },
      { header: { name: '/dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
      { header: { name: './dev/loopx', type: 'block-device', mode: 0o660, gid: 6, devmajor: 7, devminor: 200 } },
      { header: { name: 'p', type: 'fifo', mode: 0o600 } },
      { header: { name: 'd/.wh.gone', mode: 0o600 } },
      { header: { name: 'o/', type: 'directory', mode: 0o755 } },
      { header: { name: 'o/.wh..wh..opq', mode: 0o600 } },
    ]);
    const img = await svc.importTarball(Readable.from([tar]), {});
    const [root] = await svc.layerDirs(img.id);
    const st = (p: string) => lstat(join(root, p));
    assert.equal((await st('')).mode & 0o7777, 0o755, 'the layer root is world-readable whatever the umask');
    const d = await st('d');
    assert.deepEqual([d.mode & 0o7777, d.uid, d.gid, d.mtime.toISOString()], [0o750, 1000, 1001, '2001-02-03T04:05:06.000Z']);
    const f = await st('d/f');
    assert.deepEqual([f.mode & 0o7777, f.uid, f.gid, f.mtime.toISOString(), f.nlink], [0o4755, 1000, 1001, '2002-01-01T00:00:00.000Z', 2]);
    assert.equal(await readFile(join(root, 'd/f'), 'utf8'), 'hello');
    assert.equal((await st('d/h')).ino, f.ino);
    const s = await st('d/s');
    assert.deepEqual([s.isSymbolicLink(), s.uid, s.gid, s.mtime.getUTCFullYear()], [true, 7, 8, 2003]);
    const nul = await st('dev/null');
    assert.deepEqual([nul.isCharacterDevice(), nul.rdev >> 8, nul.rdev & 0xff, nul.mode & 0o7777], [true, 1, 3, 0o666]);
    const loop = await st('dev/loopx');
    assert.deepEqual([loop.isBlockDevice(), loop.rdev >> 8, loop.rdev & 0xff, loop.gid], [true, 7, 200, 6]);
    assert.ok((await st('p')).isFIFO());
    const gone = await st('d/gone');
    assert.deepEqual([gone.isCharacterDevice(), gone.rdev], [true, 0]);
    await assert.rejects(st('d/.wh.gone'));
    const getfattr = (name: string, p: string) =>
      execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', name, join(root, p)]).toString();
    assert.equal(getfattr('trusted.overlay.opaque', 'o'), 'y');
    assert.equal(getfattr('user.note', 'd/f'), 'text');
  });

  it('keeps binary security.capability values written by GNU tar byte for byte', async () => {
    const { svc } = await newStore();
    const src = await mkdtemp(join(work, 'caps-'));
    await writeFile(join(src, 'ping'), 'binary');
    const cap = '0100000280200000000000000000000000000000'; // bytes 0x80 and 0x20: not valid UTF-8
    execFileSync('setfattr', ['-n', 'security.capability', '-v', `0x${cap}`, join(src, 'ping')]);
    const tarPath = join(work, 'caps.tar');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', tarPath, 'ping']);
    const img = await svc.importTarball(createReadStream(tarPath), {});
    const [root] = await svc.layerDirs(img.id);
    const dump = execFileSync('getfattr', ['--absolute-names', '-e', 'hex', '-n', 'security.capability', join(root, 'ping')]).toString();
    assert.match(dump, new RegExp(`security.capability=0x${cap}`));
  });

  const outside = () => join(work, 'outside');
  const hostile: Array<{ title: string; input: () => Promise<Buffer>; error: RegExp }> = [
    { title: 'a ../ escape', input: () => tarOf([{ header: { name: '../evil' }, body: 'x' }]), error: /^invalid tar entry "\.\.\/evil": path escapes the root$/ },
    { title: 'an escape hidden in the middle of a path', input: () => tarOf([{ header: { name: 'a/../../evil' }, body: 'x' }]), error: /"a\/\.\.\/\.\.\/evil": path escapes the root/ },
    { title: 'an absolute path climbing out', input: () => tarOf([{ header: { name: '/../../etc/passwd' }, body: 'x' }]), error: /"\/\.\.\/\.\.\/etc\/passwd": path escapes the root/ },
    {
      title: 'a write through a symlink planted earlier',
      input: () => tarOf([{ header: { name: 'lnk', type: 'symlink', linkname: outside() } }, { header: { name: 'lnk/pwned' }, body: 'x' }]),
      error: /"lnk\/pwned": path goes through symlink "lnk"/,
    },
    { title: 'a hardlink to a file outside', input: () => tarOf([{ header: { name: 'hl', type: 'link', linkname: '../../etc/passwd' } }]), error: /"hl": hardlink target "\.\.\/\.\.\/etc\/passwd" escapes the root/ },
    {
      title: 'a hardlink through a symlink',
      input: () => tarOf([{ header: { name: 's', type: 'symlink', linkname: '/etc' } }, { header: { name: 'h', type: 'link', linkname: 's/passwd' } }]),
      error: /"h": hardlink target "s\/passwd": path goes through symlink "s"/,
    },
    { title: 'garbage that is not a tar', input: async () => Buffer.from('this is not a tar archive\n'.repeat(100)), error: /^invalid tar archive: / },
    { title: 'a truncated tar', input: async () => (await readFile(busyboxTar)).subarray(0, 3000), error: /^invalid tar archive: / },
    { title: 'empty input', input: async () => Buffer.alloc(0), error: /^invalid tar archive: empty input$/ },
  ];

  for (const h of hostile) {
    it(`refuses ${h.title} and leaves nothing behind`, async () => {
      const { root, svc } = await newStore();
      await svc.importTarball(busybox(), { reference: 'existing' });
      await mkdir(outside(), { recursive: true });
      const before = await snapshot(root);
      await rejectsWith(svc.importTarball(Readable.from([await h.input()]), { reference: 'hostile' }), 'InvalidArgument', h.error);
      assert.deepEqual(await snapshot(root), before);
      await rejectsWith(svc.resolve('hostile'), 'NotFound', 'No such image: hostile');
      assert.deepEqual(await readdir(outside()), []);
    });
  }

  it('refuses bad changes and references before reading the archive', async () => {
    const { root, svc } = await newStore();
    const before = await snapshot(root);
    await rejectsWith(svc.importTarball(busybox(), { changes: ['RUN rm -rf /'] }), 'InvalidArgument', 'dockerfile parse error: unknown instruction: RUN');
    await rejectsWith(svc.importTarball(busybox(), { reference: 'Bad' }), 'InvalidArgument', /must be lowercase/);
    assert.deepEqual(await snapshot(root), before);
  });
});

describe('content store', () => {
  it('commits verified blobs and refuses a digest mismatch without leaving a file', async () => {
    const root = await mkdtemp(join(work, 'content-'));
    const store = await openContentStore(root);
    const digest = await store.writeBlob('hello');
    assert.equal(digest, sha256Digest('hello'));
    assert.equal((await store.readBlob(digest)).toString(), 'hello');
    assert.equal(await store.blobSize(digest), 5);
    assert.equal(await store.writeBlob('hello', { expected: digest, size: 5 }), digest, 'an existing identical blob is fine');
    await rejectsWith(store.writeBlob('other', { expected: digest }), 'InvalidArgument', /digest mismatch/);
    await rejectsWith(store.writeBlob('too long', { size: 3 }), 'InvalidArgument', /larger than the expected 3 bytes/);
    assert.deepEqual((await readdir(join(root, 'blobs'))).sort(), ['sha256']);
    assert.deepEqual(await readdir(join(root, 'blobs', 'sha256')), [digest.slice(7)]);
    assert.equal(await store.deleteBlob(digest), true);
    assert.equal(await store.hasBlob(digest), false);
    await rejectsWith(store.openBlob(digest), 'NotFound', /not found/);
    await rejectsWith(store.readBlob('sha256:../../etc/passwd' as never), 'InvalidArgument', /invalid digest/);
  });
});
