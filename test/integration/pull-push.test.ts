import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { TestRegistry, freePort } from '../helpers/registry.js';

let d: TestDaemon; // pushes
let d2: TestDaemon; // pulls, starting empty
let reg: TestRegistry;
let authReg: TestRegistry;
let dockerConfig: string;

before(async () => {
  [d, d2, reg, authReg] = await Promise.all([
    TestDaemon.start(),
    TestDaemon.start({ busybox: false }),
    TestRegistry.start(),
    TestRegistry.start({ user: 'alice', password: 's3cret' }),
  ]);
  dockerConfig = mkdtempSync('/var/tmp/berth-test-dockercfg-');
  const tag = await d.berth(['tag', 'busybox', `${reg.host}/bb:1`]);
  assert.equal(tag.code, 0, tag.stderr);
});
after(async () => {
  await Promise.all([d?.stop(), d2?.stop(), reg?.stop(), authReg?.stop()]);
  rmSync(dockerConfig, { recursive: true, force: true });
});

const env = () => ({ DOCKER_CONFIG: dockerConfig });

function lines(body: string): Array<Record<string, any>> {
  return body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('push sends a local image to a registry with docker progress and a digest line', async () => {
  const r = await d.berth(['push', `${reg.host}/bb:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`The push refers to repository \\[${reg.host}/bb\\]`));
  assert.match(r.stdout, /: Pushed/);
  assert.match(r.stdout, /^1: digest: sha256:[a-f0-9]{64} size: \d+$/m);
  const inspect = skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/bb:1`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(JSON.parse(inspect.stdout).Layers.length, 1);
});

test('a second push skips layers the registry has and gives the same digest', async () => {
  const first = await d.api('POST', `/images/${reg.host}/bb/push?tag=1`, undefined, { 'X-Registry-Auth': 'e30=' });
  const second = await d.api('POST', `/images/${reg.host}/bb/push?tag=1`, undefined, { 'X-Registry-Auth': 'e30=' });
  assert.equal(second.status, 200);
  const msgs = lines(second.body);
  assert.ok(msgs.some((m) => m.status === 'Layer already exists'), second.body);
  assert.ok(!msgs.some((m) => m.status === 'Pushed'), second.body);
  const aux = (b: string) => lines(b).find((m) => m.aux)?.aux;
  assert.equal(aux(second.body).Digest, aux(first.body).Digest);
  assert.equal(aux(second.body).Tag, '1');
});

test('pull through the API streams docker progress and records the repo digest', async () => {
  const r = await d2.api('POST', `/images/create?fromImage=${reg.host}/bb&tag=1`);
  assert.equal(r.status, 200, r.body);
  const msgs = lines(r.body);
  const statuses = msgs.map((m) => m.status);
  for (const s of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) {
    assert.ok(statuses.includes(s), `missing "${s}" in ${r.body}`);
  }
  assert.ok(msgs.find((m) => m.status === "Downloading")?.progressDetail.total > 0);
  const digest = statuses.find((s) => s?.startsWith('Digest: '))?.slice(8);
  assert.match(digest ?? '', /^sha256:[a-f0-9]{64}$/);
  assert.equal(statuses[statuses.length - 1], `Status: Downloaded newer image for ${reg.host}/bb:1`);
  const inspect = await d2.api('GET', `/images/${reg.host}/bb:1/json`);
  assert.deepEqual(inspect.json.RepoDigests, [`${reg.host}/bb@${digest}`]);
  const run = await d2.berth(['run', '--rm', `${reg.host}/bb:1`, 'echo', 'pulled and running']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'pulled and running');
});

test('pulling again says the image is up to date and fetches nothing', async () => {
  const r = await d2.berth(['pull', `${reg.host}/bb:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Status: Image is up to date for ${reg.host}/bb:1`));
  assert.doesNotMatch(r.stdout, /Download complete/);
  assert.equal(r.stdout.trim().split('\n').pop(), `${reg.host}/bb:1`);
});

test('pull by digest, and -q prints only the reference', async () => {
  const inspect = await d2.api('GET', `/images/${reg.host}/bb:1/json`);
  const byDigest = inspect.json.RepoDigests[0] as string;
  const r = await d2.berth(['pull', '-q', byDigest]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), byDigest);
  const again = await d2.api('GET', `/images/${encodeURIComponent(byDigest)}/json`);
  assert.equal(again.json.Id, inspect.json.Id);
});

test('an unknown tag fails with docker\'s manifest unknown message', async () => {
  const r = await d2.berth(['pull', `${reg.host}/bb:nope`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`Error response from daemon: manifest for ${reg.host}/bb:nope not found: manifest unknown`));
  const api = await d2.api('POST', `/images/create?fromImage=${reg.host}/bb&tag=nope`);
  assert.equal(api.status, 404);
});

test('a registry that is down fails with connection refused naming it', async () => {
  const port = await freePort();
  const r = await d2.berth(['pull', `127.0.0.1:${port}/x:1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused`));
});

test('pull picks linux/amd64 from a manifest list, and a docker schema2 copy pulls too', async () => {
  const copy = skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2', `docker://${reg.host}/bb:1`, `docker://${reg.host}/bb:v2s2`]);
  assert.equal(copy.code, 0, copy.stderr);
  const head = await fetch(`${reg.url}/v2/bb/manifests/v2s2`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  const bytes = Buffer.from(await head.arrayBuffer());
  const digest = head.headers.get('docker-content-digest');
  const list = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifests: [
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: bytes.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
    ],
  };
  const put = await fetch(`${reg.url}/v2/bb/manifests/multi`, {
    method: 'PUT',
    headers: { 'Content-Type': list.mediaType },
    body: JSON.stringify(list),
  });
  assert.equal(put.status, 201, await put.text());
  const r = await d2.berth(['pull', `${reg.host}/bb:multi`]);
  assert.equal(r.code, 0, r.stderr);
  const inspect = await d2.api('GET', `/images/${reg.host}/bb:multi/json`);
  assert.equal(inspect.json.Architecture, 'amd64');
  const wrong = await d2.berth(['pull', '--platform', 'linux/s390x', `${reg.host}/bb:multi`]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /no matching manifest for linux\/s390x/);
});

test('run pulls a missing image from the registry', async () => {
  const r = await d2.berth(['run', '--rm', `${reg.host}/bb:v2s2`, 'echo', 'auto-pulled']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Unable to find image/);
  assert.equal(r.stdout.trim(), 'auto-pulled');
});

test('login with wrong credentials fails and stores nothing', async () => {
  const r = await d.berth(['login', '-u', 'alice', '--password-stdin', authReg.host], { input: 'wrong\n', env: env() });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unauthorized/i);
  assert.doesNotMatch(r.stderr, /wrong/);
  assert.equal(existsSync(join(dockerConfig, 'config.json')), false);
});

test('login stores docker credentials, and push and pull use them', async () => {
  const anonymous = await d.berth(['push', `${authReg.host}/bb:1`], { env: env() });
  assert.notEqual(anonymous.code, 0);
  const login = await d.berth(['login', '-u', 'alice', '--password-stdin', authReg.host], { input: 's3cret\n', env: env() });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const cfg = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'));
  assert.equal(cfg.auths[authReg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
  const tag = await d.berth(['tag', 'busybox', `${authReg.host}/bb:1`]);
  assert.equal(tag.code, 0, tag.stderr);
  const push = await d.berth(['push', `${authReg.host}/bb:1`], { env: env() });
  assert.equal(push.code, 0, push.stderr);
  const pull = await d2.berth(['pull', `${authReg.host}/bb:1`], { env: env() });
  assert.equal(pull.code, 0, pull.stderr);
  const logout = await d.berth(['logout', authReg.host], { env: env() });
  assert.equal(logout.code, 0, logout.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')).auths, {});
});

test('a registry behind bearer tokens: login, push and pull get tokens from its token server', async () => {
  const tokenReg = await TestRegistry.start({ user: 'bob', password: 'pa55', token: true });
  try {
    const denied = await d.api('POST', '/auth', { username: 'bob', password: 'nope', serveraddress: tokenReg.host });
    assert.equal(denied.status, 401, denied.body);
    assert.doesNotMatch(denied.body, /nope/);
    const ok = await d.api('POST', '/auth', { username: 'bob', password: 'pa55', serveraddress: tokenReg.host });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json.Status, 'Login Succeeded');
    const auth = Buffer.from(JSON.stringify({ username: 'bob', password: 'pa55', serveraddress: tokenReg.host })).toString('base64url');
    assert.equal((await d.berth(['tag', 'busybox', `${tokenReg.host}/team/bb:t`])).code, 0);
    const before = TestRegistry.tokenRequests;
    const push = await d.api('POST', `/images/${tokenReg.host}/team/bb/push?tag=t`, undefined, { 'X-Registry-Auth': auth });
    assert.equal(push.status, 200);
    assert.ok(lines(push.body).some((m) => m.aux?.Digest), push.body);
    assert.ok(TestRegistry.tokenRequests > before);
    const pull = await d2.api('POST', `/images/create?fromImage=${tokenReg.host}/team/bb&tag=t`, undefined, { 'X-Registry-Auth': auth });
    assert.equal(pull.status, 200, pull.body);
    assert.match(pull.body, /Status: Downloaded newer image/);
    const anonymous = await d2.api('POST', `/images/create?fromImage=${tokenReg.host}/team/bb&tag=t`);
    assert.notEqual(anonymous.status, 200, anonymous.body);
  } finally {
    await tokenReg.stop();
  }
});

test('a layer whose bytes do not match its digest fails the pull and leaves no image and no blob', async () => {
  const scratch = mkdtempSync('/var/tmp/berth-test-damaged-');
  const tar = join(scratch, 'unique.tar');
  spawnSync('sh', ['-c', `mkdir ${scratch}/u && head -c 300000 /dev/urandom > ${scratch}/u/noise && tar -C ${scratch}/u -cf ${tar} .`]);
  assert.equal((await d.berth(['import', tar, `${reg.host}/damaged:1`])).code, 0);
  const push = await d.berth(['push', `${reg.host}/damaged:1`]);
  assert.equal(push.code, 0, push.stderr);
  const raw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/damaged:1`]);
  const layer = JSON.parse(raw.stdout).layers[0].digest as string;
  const file = reg.blobFile(layer);
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(file, bytes);
  const pull = await d2.api('POST', `/images/create?fromImage=${reg.host}/damaged&tag=1`);
  assert.match(pull.body, /digest mismatch/);
  const inspect = await d2.api('GET', `/images/${reg.host}/damaged:1/json`);
  assert.equal(inspect.status, 404);
  assert.equal(existsSync(join(d2.dataRoot, 'blobs', 'sha256', layer.slice(7))), false);
  const leftovers = readdirSync(join(d2.dataRoot, 'blobs')).filter((n) => n.startsWith('.tmp'));
  assert.deepEqual(leftovers, []);
  rmSync(scratch, { recursive: true, force: true });
});

test('pull -a fetches every tag of the repository', async () => {
  const r = await d2.berth(['pull', '-a', `${reg.host}/bb`]);
  assert.equal(r.code, 0, r.stderr);
  for (const tag of ['1', 'multi', 'v2s2']) {
    assert.match(r.stdout, new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reg.host}/bb:${tag}`));
    assert.equal((await d2.api('GET', `/images/${reg.host}/bb:${tag}/json`)).status, 200);
  }
  assert.equal(r.stdout.trim().split('\n').pop(), `${reg.host}/bb`);
  const withTag = await d2.berth(['pull', '-a', `${reg.host}/bb:1`]);
  assert.notEqual(withTag.code, 0);
});
