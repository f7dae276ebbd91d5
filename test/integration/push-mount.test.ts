// Push beyond the basics: cross-repository mounts, RepoDigests after a push,
// push --all-tags; and pulling zstd layers. Real docker-registry on loopback.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

let d: TestDaemon;
let d2: TestDaemon;
let reg: TestRegistry;
let scratch: string;

before(async () => {
  [d, d2, reg] = await Promise.all([TestDaemon.start(), TestDaemon.start({ busybox: false }), TestRegistry.start()]);
  scratch = mkdtempSync('/var/tmp/berth-test-push-');
});
after(async () => {
  await Promise.all([d?.stop(), d2?.stop(), reg?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

function lines(body: string): Array<Record<string, any>> {
  return body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('push records the pushed manifest digest in RepoDigests', async () => {
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/base:1`])).code, 0);
  const push = await d.api('POST', `/images/${reg.host}/base/push?tag=1`, undefined, { 'X-Registry-Auth': 'e30=' });
  assert.equal(push.status, 200, push.body);
  const digest = lines(push.body).find((m) => m.aux)?.aux.Digest as string;
  assert.match(digest, /^sha256:[a-f0-9]{64}$/);
  const inspect = await d.api('GET', `/images/${reg.host}/base:1/json`);
  assert.ok(inspect.json.RepoDigests.includes(`${reg.host}/base@${digest}`), JSON.stringify(inspect.json.RepoDigests));
  const digests = await d.berth(['images', '--digests', '--format', '{{.Repository}} {{.Digest}}', `${reg.host}/base`]);
  assert.equal(digests.code, 0, digests.stderr);
  assert.equal(digests.stdout.trim(), `${reg.host}/base ${digest}`);
});

test('a layer pushed to one repository is mounted, not uploaded, into another on the same registry', async () => {
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/team/copy:1`])).code, 0);
  const push = await d.berth(['push', `${reg.host}/team/copy:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /: Mounted from base$/m);
  assert.doesNotMatch(push.stdout, /: Pushed$/m);
  const inspect = skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/team/copy:1`]);
  assert.equal(inspect.code, 0, inspect.stderr);
});

test('a layer pulled from one repository is mounted from there when pushed to another', async () => {
  const pull = await d2.berth(['pull', `${reg.host}/base:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await d2.berth(['tag', `${reg.host}/base:1`, `${reg.host}/mirror/bb:2`])).code, 0);
  const push = await d2.berth(['push', `${reg.host}/mirror/bb:2`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /: Mounted from base$/m);
  const copy = skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/mirror/bb:2`, `dir:${join(scratch, 'mirror')}`]);
  assert.equal(copy.code, 0, copy.stderr);
});

test('push -a sends every local tag of the repository, and refuses a tag', async () => {
  for (const tag of ['a', 'b']) assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/multi:${tag}`])).code, 0);
  const push = await d.berth(['push', '-a', `${reg.host}/multi`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /^a: digest: sha256:/m);
  assert.match(push.stdout, /^b: digest: sha256:/m);
  const tags = skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/multi`]);
  assert.equal(tags.code, 0, tags.stderr);
  assert.deepEqual(JSON.parse(tags.stdout).Tags.sort(), ['a', 'b']);
  const withTag = await d.berth(['push', '-a', `${reg.host}/multi:a`]);
  assert.notEqual(withTag.code, 0);
  assert.match(withTag.stderr, /tag can't be used with --all-tags/);
  const none = await d.berth(['push', '-a', `${reg.host}/nothing-here`]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /An image does not exist locally with the tag: .*nothing-here/);
});

test('an image with a zstd layer pulls, runs, and pushes back with its zstd layer', async () => {
  const layout = join(scratch, 'zstd-layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (buf: Buffer) => {
    const hex = createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(layout, 'blobs', 'sha256', hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const tar = readFileSync(busyboxTar());
  const zst = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 28 });
  assert.equal(zst.status, 0, String(zst.stderr));
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...put(zst.stdout) };
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } })));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [layer] })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'z' } }] }));
  const copy = skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:z`, `docker://${reg.host}/zstd:1`]);
  assert.equal(copy.code, 0, copy.stderr);

  const pull = await d2.berth(['pull', `${reg.host}/zstd:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  const run = await d2.berth(['run', '--rm', `${reg.host}/zstd:1`, 'echo', 'from zstd']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'from zstd');

  assert.equal((await d2.berth(['tag', `${reg.host}/zstd:1`, `${reg.host}/zstd-again:1`])).code, 0);
  const push = await d2.berth(['push', `${reg.host}/zstd-again:1`]);
  assert.equal(push.code, 0, push.stderr);
  const raw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/zstd-again:1`]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.deepEqual(JSON.parse(raw.stdout).layers.map((l: { mediaType: string; digest: string }) => [l.mediaType, l.digest]), [[layer.mediaType, layer.digest]]);
});

test('a zstd layer whose tar does not match the config diffID fails the pull and leaves no layer', async () => {
  const layout = join(scratch, 'zstd-bad');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (buf: Buffer) => {
    const hex = createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(layout, 'blobs', 'sha256', hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const src = join(scratch, 'zsrc');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), 'hello');
  const tar = spawnSync('tar', ['-C', src, '-cf', '-', '.']).stdout;
  const zst = spawnSync('zstd', ['-q', '-c'], { input: tar }).stdout;
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...put(zst) };
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } })));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [layer] })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'z' } }] }));
  const copy = skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:z`, `docker://${reg.host}/zstd-bad:1`]);
  assert.equal(copy.code, 0, copy.stderr);
  const pull = await d2.berth(['pull', `${reg.host}/zstd-bad:1`]);
  assert.notEqual(pull.code, 0);
  assert.match(pull.stderr, new RegExp(`${reg.host}/zstd-bad: layer ${layer.digest}: .*but the image config expects sha256:0{64}`));
  assert.equal((await d2.api('GET', `/images/${reg.host}/zstd-bad:1/json`)).status, 404);
  const layers = spawnSync('ls', ['-A', join(d2.dataRoot, 'layers')], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  assert.deepEqual(layers.filter((n) => n.startsWith('.tmp')), []);
});

test('GET /distribution/{name}/json describes a remote image without pulling it', async () => {
  const push = await d.api('POST', `/images/${reg.host}/base/push?tag=1`, undefined, { 'X-Registry-Auth': 'e30=' });
  const digest = lines(push.body).find((m) => m.aux)?.aux.Digest as string;
  const r = await d2.api('GET', `/distribution/${reg.host}/base:1/json`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.Descriptor.digest, digest);
  assert.match(r.json.Descriptor.mediaType, /manifest/);
  assert.ok(r.json.Descriptor.size > 0);
  assert.deepEqual(r.json.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
  const byDigest = await d2.api('GET', `/distribution/${reg.host}/base@${digest}/json`);
  assert.equal(byDigest.status, 200, byDigest.body);
  assert.equal(byDigest.json.Descriptor.digest, digest);
  const unknown = await d2.api('GET', `/distribution/${reg.host}/base:nope/json`);
  assert.equal(unknown.status, 404, unknown.body);
  assert.match(unknown.json.message, /manifest unknown/);
});

test('push skips foreign (non-distributable) layers and keeps them in the manifest, as docker does', async () => {
  const layout = join(scratch, 'foreign-layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (buf: Buffer) => {
    const hex = createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(layout, 'blobs', 'sha256', hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const base = readFileSync(busyboxTar());
  const src = join(scratch, 'foreign-src');
  mkdirSync(src);
  writeFileSync(join(src, 'licensed'), 'not for redistribution');
  const tar = spawnSync('tar', ['-C', src, '-cf', '-', '.']).stdout;
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const foreign = { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', ...put(tar), urls: ['https://downloads.example/licensed.tar'] };
  const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...put(base) }, foreign];
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(base), sha(tar)] } })));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': `${reg.host}/foreign:1` } }] }));
  const archive = join(scratch, 'foreign.tar');
  spawnSync('tar', ['-C', layout, '-cf', archive, '.']);
  const load = await d.berth(['load', '-i', archive]);
  assert.equal(load.code, 0, load.stderr);
  const tag = await d.berth(['tag', load.stdout.trim().split(' ').pop() ?? '', `${reg.host}/foreign:1`]);
  assert.equal(tag.code, 0, tag.stderr);

  const push = await d.berth(['push', `${reg.host}/foreign:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, new RegExp(`${foreign.digest.slice(7, 19)}: Skipped foreign layer`));
  const raw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/foreign:1`]);
  assert.equal(raw.code, 0, raw.stderr);
  const pushed = JSON.parse(raw.stdout).layers[1];
  assert.deepEqual([pushed.mediaType, pushed.digest, pushed.urls], [foreign.mediaType, foreign.digest, foreign.urls]);
  const head = await fetch(`${reg.url}/v2/foreign/blobs/${foreign.digest}`, { method: 'HEAD' });
  assert.equal(head.status, 404, 'the foreign layer was not uploaded');
});
