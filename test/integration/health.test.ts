import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { request } from 'node:http';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

interface Health {
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

async function health(name: string): Promise<Health | null> {
  const r = await d.berth(['inspect', '--format', '{{json .State.Health}}', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Health | null;
}

/** Polls the container's State.Health until `ok` holds; fails with the last one after a generous deadline. */
async function untilHealth(name: string, ok: (h: Health) => boolean): Promise<Health> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const h = await health(name);
    if (h && ok(h)) return h;
    if (Date.now() > deadline) assert.fail(`${name}: health never matched; last: ${JSON.stringify(h)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function psStatus(name: string): Promise<string> {
  return (await d.berth(['ps', '--filter', `name=^${name}$`, '--format', '{{.Status}}'])).stdout.trim();
}

async function actions(name: string): Promise<string[]> {
  const r = await d.berth(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}}']);
  return r.stdout.split('\n').filter(Boolean);
}

test('a probe that fails inside the start period leaves the container starting, then success makes it healthy', async () => {
  const run = await d.berth(['run', '-d', '--name', 'web', '--health-cmd', 'cat /tmp/ready', '--health-interval', '1h',
    '--health-start-period', '1h', '--health-start-interval', '100ms', 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const starting = await untilHealth('web', (h) => h.Log.length >= 2);
  assert.equal(starting.Status, 'starting');
  assert.equal(starting.FailingStreak, 0);
  assert.equal(starting.Log[0].ExitCode, 1);
  assert.match(starting.Log[0].Output, /No such file or directory/);
  assert.match(await psStatus('web'), /^Up .* \(health: starting\)$/);
  assert.equal((await d.berth(['ps', '--filter', 'health=starting', '--format', '{{.Names}}'])).stdout, 'web\n');

  const waited = d.berth(['wait', '--condition', 'healthy', 'web']);
  assert.equal((await d.berth(['exec', 'web', 'sh', '-c', 'echo ok > /tmp/ready'])).code, 0);
  const w = await waited;
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout, '0\n');
  const healthy = await health('web');
  assert.equal(healthy?.Status, 'healthy');
  assert.equal(healthy?.Log.at(-1)?.Output, 'ok\n');
  assert.match(await psStatus('web'), /^Up .* \(healthy\)$/);
  assert.equal((await d.berth(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}'])).stdout, 'web\n');
  assert.equal((await d.berth(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).stdout, '');
  assert.ok((await actions('web')).includes('health_status: healthy'));
  // Already healthy: the wait answers at once.
  assert.equal((await d.berth(['wait', '--condition', 'healthy', 'web'])).stdout, '0\n');
});

test('retries failures in a row make a container unhealthy; the log keeps the last five results', async () => {
  await d.berth(['run', '-d', '--name', 'sick', '--health-cmd', 'echo failing; exit 1', '--health-interval', '100ms', '--health-retries', '2', 'busybox', 'sleep', '1000']);
  const h = await untilHealth('sick', (x) => x.Log.length === 5 && x.FailingStreak >= 6);
  assert.equal(h.Status, 'unhealthy');
  assert.deepEqual(h.Log.map((e) => [e.ExitCode, e.Output]), Array(5).fill([1, 'failing\n']));
  assert.match(await psStatus('sick'), /^Up .* \(unhealthy\)$/);
  assert.equal((await d.berth(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).stdout, 'sick\n');
  const seen = await actions('sick');
  assert.ok(seen.includes('health_status: unhealthy'), seen.join(','));
  assert.ok(!seen.includes('health_status: healthy'));
  const w = await d.berth(['wait', '--condition', 'healthy', 'sick']);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /is unhealthy/);
});

test('a probe past its timeout is killed and recorded as docker words it', async () => {
  await d.berth(['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 77; echo never', '--health-timeout', '200ms', '--health-interval', '100ms',
    '--health-retries', '1', 'busybox', 'sleep', '1000']);
  const h = await untilHealth('slow', (x) => x.Log.length === 5);
  assert.equal(h.Status, 'unhealthy');
  assert.deepEqual(h.Log[0], { ...h.Log[0], ExitCode: -1, Output: 'Health check exceeded timeout (200ms)' });
  // Five probes ran; killed ones are gone with the children of their shells, so at most the one in flight remains.
  const top = await d.berth(['top', 'slow']);
  assert.ok(top.stdout.split('\n').filter((l) => /\ssleep 77$/.test(l)).length <= 1, top.stdout);
});

test('probe output is capped at 4096 bytes as docker does', async () => {
  await d.berth(['run', '-d', '--name', 'chatty', '--health-cmd', 'head -c 5000 /dev/zero | tr "\\0" a', '--health-interval', '100ms', 'busybox', 'sleep', '1000']);
  const h = await untilHealth('chatty', (x) => x.Status === 'healthy');
  assert.equal(h.Log[0].Output, 'a'.repeat(4096) + '...');
});

test("the image's healthcheck applies; --no-healthcheck turns it off", async () => {
  const created = await d.api('POST', '/containers/create?name=base', {
    Image: 'busybox', Cmd: ['sleep', '1000'], Healthcheck: { Test: ['CMD', 'true'], Interval: 100_000_000 },
  });
  assert.equal(created.status, 201, created.body);
  assert.equal((await d.berth(['commit', 'base', 'checked:1'])).code, 0);
  assert.equal((await d.berth(['run', '-d', '--name', 'inherits', 'checked:1'])).code, 0);
  await untilHealth('inherits', (x) => x.Status === 'healthy');
  assert.equal((await d.berth(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'inherits'])).stdout, '["CMD","true"]\n');

  assert.equal((await d.berth(['run', '-d', '--name', 'opted-out', '--no-healthcheck', 'checked:1'])).code, 0);
  assert.equal(await health('opted-out'), null);
  assert.match(await psStatus('opted-out'), /^Up [^(]*$/);
  assert.equal((await d.berth(['ps', '--filter', 'health=none', '--filter', 'name=opted-out', '--format', '{{.Names}}'])).stdout, 'opted-out\n');
  const w = await d.berth(['wait', '--condition', 'healthy', 'opted-out']);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /has no healthcheck/);
});

test('wait --condition healthy fails when the container exits first; the status becomes unhealthy', async () => {
  await d.berth(['create', '--name', 'quitter', '--health-cmd', 'false', '--health-interval', '1h', 'busybox', 'sleep', '1000']);
  const waited = await waitRequest('quitter', 'healthy'); // registered once the headers are in
  assert.equal((await d.berth(['start', 'quitter'])).code, 0);
  assert.equal((await health('quitter'))?.Status, 'starting');
  assert.equal((await d.berth(['kill', 'quitter'])).code, 0);
  const answer = JSON.parse(await waited.body) as { StatusCode: number; Error: { Message: string } | null };
  assert.equal(answer.StatusCode, 137);
  assert.match(answer.Error?.Message ?? '', /exited before it became healthy/);
  assert.equal((await health('quitter'))?.Status, 'unhealthy');
  const late = await d.berth(['wait', '--condition', 'healthy', 'quitter']);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /is not running/);
});

/** POST /containers/{name}/wait: resolves when the daemon has answered the headers (the wait is registered then). */
function waitRequest(name: string, condition: string): Promise<{ body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/v1.45/containers/${name}/wait?condition=${condition}` }, (res) => {
      const chunks: Buffer[] = [];
      const body = new Promise<string>((done) => {
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => done(Buffer.concat(chunks).toString()));
      });
      resolve({ body });
    });
    req.on('error', reject);
    req.end();
  });
}

test('probes stop while paused and go on after unpause', async () => {
  await d.berth(['run', '-d', '--name', 'napper', '--health-cmd', 'true', '--health-interval', '100ms', 'busybox', 'sleep', '1000']);
  await untilHealth('napper', (x) => x.Status === 'healthy');
  assert.equal((await d.berth(['pause', 'napper'])).code, 0);
  const before = await health('napper');
  await new Promise((res) => setTimeout(res, 1000)); // ten intervals
  const paused = await health('napper');
  assert.deepEqual(paused?.Log.at(-1), before?.Log.at(-1));
  assert.equal((await d.berth(['unpause', 'napper'])).code, 0);
  await untilHealth('napper', (x) => x.Log.at(-1)?.Start !== before?.Log.at(-1)?.Start);
});

test('after a berthd restart, probes of a running container go on from its recorded status', async () => {
  await d.berth(['run', '-d', '--name', 'survivor', '--health-cmd', 'true', '--health-interval', '100ms', 'busybox', 'sleep', '1000']);
  await untilHealth('survivor', (x) => x.Status === 'healthy');
  await d.crash();
  await d.launch();
  const adopted = await health('survivor');
  assert.equal(adopted?.Status, 'healthy');
  await untilHealth('survivor', (x) => x.Log.at(-1)?.Start !== adopted?.Log.at(-1)?.Start);
});

test('bad healthcheck settings are refused with docker wording', async () => {
  const neg = await d.berth(['run', '--health-interval', '-1s', 'busybox', 'true']);
  assert.equal(neg.code, 125);
  assert.match(neg.stderr, /--health-interval cannot be negative/);
  const conflict = await d.berth(['run', '--no-healthcheck', '--health-cmd', 'true', 'busybox', 'true']);
  assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
  const tiny = await d.api('POST', '/containers/create', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Interval: 1000 } });
  assert.equal(tiny.status, 400);
  assert.equal(tiny.json.message, 'Interval in Healthcheck cannot be less than 1ms');
  const retries = await d.api('POST', '/containers/create', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Retries: -1 } });
  assert.equal(retries.status, 400);
  assert.equal(retries.json.message, 'Retries in Healthcheck cannot be negative');
  const filter = await d.berth(['ps', '--filter', 'health=bogus']);
  assert.match(filter.stderr, /Unrecognised filter value for health: bogus/);
  const cond = await d.api('POST', '/containers/web/wait?condition=bogus');
  assert.equal(cond.status, 400);
});
