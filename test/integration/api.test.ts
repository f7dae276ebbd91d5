import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

test('HEAD and GET /_ping answer with the negotiation headers', async () => {
  const head = await d.api('HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.headers['api-version'], '1.45');
  assert.equal(head.headers['ostype'], 'linux');
  assert.match(String(head.headers['server']), /^Docker\/.+ \(linux\)$/);
  const get = await d.api('GET', '/_ping');
  assert.equal(get.body, 'OK');
  assert.equal(get.headers['cache-control'], 'no-cache, no-store, must-revalidate');
});

test('versioned paths from 1.24 to 1.45 and unversioned paths all answer', async () => {
  for (const prefix of ['', '/v1.24', '/v1.41', '/v1.45']) {
    const r = await d.api('GET', `${prefix}/version`);
    assert.equal(r.status, 200, prefix);
    assert.equal(r.json.ApiVersion, '1.45');
    assert.equal(r.json.MinAPIVersion, '1.24');
  }
  const tooNew = await d.api('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(tooNew.json.message, /client version 1.99 is too new/);
  const tooOld = await d.api('GET', '/v1.12/version');
  assert.equal(tooOld.status, 400);
  assert.match(tooOld.json.message, /client version 1.12 is too old/);
});

test('/info reports what clients read', async () => {
  const r = await d.api('GET', '/info');
  assert.equal(r.status, 200);
  for (const key of ['ServerVersion', 'OSType', 'Architecture', 'NCPU', 'MemTotal', 'Runtimes', 'DefaultRuntime', 'Images', 'Containers']) {
    assert.ok(key in r.json, key);
  }
  assert.equal(r.json.DefaultRuntime, 'crun');
  assert.ok('runc' in r.json.Runtimes);
});

test('errors carry docker status codes and wording', async () => {
  const missing = await d.api('GET', '/containers/nope/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { message: 'No such container: nope' });
  const image = await d.api('GET', '/images/nope/json');
  assert.equal(image.status, 404);
  assert.match(image.json.message, /No such image: nope/);
  const route = await d.api('GET', '/no/such/route');
  assert.equal(route.status, 404);
});

test('malformed JSON in a create body is a 400 and creates nothing', async () => {
  const before = await d.api('GET', '/containers/json?all=1');
  const r = await d.api('POST', '/containers/create', '{"Image": "busybox",', { 'Content-Type': 'application/json' });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /invalid JSON/);
  const empty = await d.api('POST', '/containers/create', undefined);
  assert.equal(empty.status, 400);
  const after = await d.api('GET', '/containers/json?all=1');
  assert.equal(after.json.length, before.json.length);
});

test('start of a running container answers 304 and stop of a stopped one 304', async () => {
  const created = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '100'] });
  assert.equal(created.status, 201);
  const id = created.json.Id;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 304);
  assert.equal((await d.api('POST', `/containers/${id}/stop?t=0`)).status, 204);
  assert.equal((await d.api('POST', `/containers/${id}/stop`)).status, 304);
  assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 204);
});

test('an unknown runtime is refused at create', async () => {
  const r = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Runtime: 'nosuch' } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /unknown or invalid runtime name: nosuch/);
});

test('runc runs a container when chosen per container', async () => {
  const r = await d.berth(['run', '--rm', '--runtime', 'runc', 'busybox', 'echo', 'from runc']);
  assert.equal(r.stdout, 'from runc\n');
  assert.equal(r.code, 0);
});

test('logs come as multiplexed frames for API 1.42+', async () => {
  const created = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2'] });
  const id = created.json.Id;
  const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  await new Promise((r) => setTimeout(r, 50));
  await d.api('POST', `/containers/${id}/start`);
  assert.deepEqual((await wait).json, { StatusCode: 0, Error: null });
  const logs = await d.api('GET', `/v1.45/containers/${id}/logs?stdout=1&stderr=1`);
  assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  const raw = Buffer.from(logs.body, 'latin1');
  assert.equal(raw[0], 1);
  assert.equal(raw.readUInt32BE(4), 4);
  await d.api('DELETE', `/containers/${id}`);
});

test('/events streams container events with the legacy status fields', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const run = await d.berth(['run', '--rm', '--name', 'evented', 'busybox', 'true']);
  assert.equal(run.code, 0);
  const until = Math.floor(Date.now() / 1000) + 1;
  const r = await d.api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: ['evented'] }))}`);
  const events = r.body.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
  assert.equal(events[0].status, 'create');
  assert.equal(events[0].Type, 'container');
  assert.equal(events[0].Actor.Attributes.name, 'evented');
});

test('a command that is not executable exits 126', async () => {
  const r = await d.berth(['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(r.code, 126, r.stderr);
  assert.match(r.stderr, /permission denied/i);
});

test('--default-runtime runc makes runc the daemon default', async () => {
  const { TestDaemon: Daemon } = await import('../helpers/daemon.js');
  const other = await Daemon.start({ args: ['--default-runtime', 'runc'] });
  try {
    const info = await other.api('GET', '/info');
    assert.equal(info.json.DefaultRuntime, 'runc');
    const r = await other.berth(['run', '--name', 'viarunc', 'busybox', 'echo', 'ok']);
    assert.equal(r.stdout, 'ok\n');
    assert.equal((await other.berth(['inspect', '-f', '{{.HostConfig.Runtime}}', 'viarunc'])).stdout, 'runc\n');
  } finally {
    await other.stop();
  }
});
