// Bad input and bad registries: a malformed reference, a registry that answers
// garbage, one whose manifest does not match the digest it names, one that
// never answers, and one that goes silent in the middle of a layer. Each fails
// with an error naming the registry and the reference, stores nothing, and a
// later pull that can succeed does. The misbehaving peers are small servers in
// this process; the images come from a real docker-registry behind them.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

let d: TestDaemon; // pushes the source image
let d2: TestDaemon; // pulls, with a short registry timeout
let reg: TestRegistry;
const servers: Array<Server | TcpServer> = [];
const sockets = new Set<Socket>();

before(async () => {
  [d, d2, reg] = await Promise.all([TestDaemon.start(), TestDaemon.start({ busybox: false, args: ['--registry-timeout', '2'] }), TestRegistry.start()]);
  assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/src/bb:1`])).code, 0);
  const push = await d.berth(['push', `${reg.host}/src/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
});
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all([d?.stop(), d2?.stop(), reg?.stop()]);
});

async function listen(server: Server | TcpServer): Promise<string> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

/** Nothing of a failed pull may be left: no image, no temp files, no staged layers, on a daemon that started empty. */
function assertNothingStored(daemon = d2): void {
  const tmp = (dir: string) => readdirSync(join(daemon.dataRoot, dir)).filter((n) => n.startsWith('.tmp'));
  assert.deepEqual(tmp('blobs'), []);
  assert.deepEqual(tmp('layers'), []);
  assert.deepEqual(readdirSync(join(daemon.dataRoot, 'layers')).filter((n) => !n.startsWith('.')), []);
}

test('a malformed reference is refused before any registry is asked', async () => {
  const r = await d2.berth(['pull', `${reg.host}/Bad_Name:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid reference format/);
  const api = await d2.api('POST', `/images/create?fromImage=${encodeURIComponent('bad name!')}&tag=1`);
  assert.equal(api.status, 400, api.body);
  assert.match(api.json.message, /invalid reference format/);
});

test('a registry that answers garbage fails the pull naming it and the reference', async () => {
  const host = await listen(
    createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('<html>this is not a registry</html>');
    }),
  );
  const r = await d2.berth(['pull', `${host}/x/y:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${host}/x/y:1: the registry sent a manifest that is not JSON`));
  assert.equal((await d2.api('GET', `/images/${host}/x/y:1/json`)).status, 404);
  assertNothingStored();
});

test('a manifest whose bytes do not match the digest the registry names is refused', async () => {
  const real = await fetch(`${reg.url}/v2/src/bb/manifests/1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
  const body = Buffer.from(await real.arrayBuffer());
  const type = real.headers.get('content-type') ?? '';
  const host = await listen(
    createHttpServer((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'Content-Type': type, 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` });
      res.end(body);
    }),
  );
  const r = await d2.berth(['pull', `${host}/src/bb:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`manifest verification failed for ${host}/src/bb:1`));
  assertNothingStored();
});

test('a registry that never answers fails after the timeout, naming it', async () => {
  const host = await listen(createTcpServer(() => undefined));
  const r = await d2.berth(['pull', `${host}/silent:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${host}.*i/o timeout`));
  assertNothingStored();
});

/** A proxy to the real registry that, while `stall` is set, sends half of each big blob and then nothing. */
async function stallingProxy(): Promise<{ host: string; stall: (on: boolean) => void }> {
  let stall = true;
  const upstream = new URL(reg.url);
  const host = await listen(
    createHttpServer((req, res) => {
      const fwd = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        const blob = /\/blobs\/sha256:/.test(req.url ?? '') && (up.headers['content-type'] ?? '').includes('octet-stream');
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (stall && blob && Number(up.headers['content-length']) > 100_000) {
          // Half the layer, then silence: the connection stays open.
          let sent = 0;
          up.on('data', (c: Buffer) => {
            if (sent < 65536) res.write(c.subarray(0, 65536 - sent));
            sent += c.length;
          });
          return;
        }
        up.pipe(res);
      });
      req.pipe(fwd);
    }),
  );
  return { host, stall: (on) => (stall = on) };
}

test('a registry that goes silent inside a layer leaves nothing behind, and the next pull works', async () => {
  const proxy = await stallingProxy();
  const r = await d2.berth(['pull', `${proxy.host}/src/bb:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${proxy.host}/src/bb: reading blob sha256:[a-f0-9]{64}: i/o timeout`));
  assert.equal((await d2.api('GET', `/images/${proxy.host}/src/bb:1/json`)).status, 404);
  assertNothingStored();
  proxy.stall(false);
  const again = await d2.berth(['pull', `${proxy.host}/src/bb:1`]);
  assert.equal(again.code, 0, again.stderr);
  const run = await d2.berth(['run', '--rm', `${proxy.host}/src/bb:1`, 'echo', 'whole']);
  assert.equal(run.stdout.trim(), 'whole');
  assert.equal((await d2.berth(['rmi', `${proxy.host}/src/bb:1`])).code, 0);
});

test('a client that goes away mid-pull cancels it: nothing is left, and the next pull works', async () => {
  // A daemon with the default 30 s registry timeout: only the cancellation can clean up in time.
  const d3 = await TestDaemon.start({ busybox: false });
  try {
    const proxy = await stallingProxy();
    // Pull through the API and hang up once the layer is downloading.
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: d3.socket, method: 'POST', path: `/images/create?fromImage=${proxy.host}/src/bb&tag=1` }, (res) => {
        let seen = '';
        res.on('data', (c: Buffer) => {
          seen += c.toString();
          if (seen.includes('"Downloading"')) {
            req.destroy();
            resolve();
          }
        });
        res.on('end', () => reject(new Error(`the pull ended before downloading: ${seen}`)));
      });
      req.on('error', () => undefined);
      req.end();
    });
    // The daemon drops the half layer on its own; wait until it has (never, if it does not cancel).
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        assertNothingStored(d3);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal((await d3.api('GET', `/images/${proxy.host}/src/bb:1/json`)).status, 404);
    proxy.stall(false);
    const again = await d3.berth(['pull', `${proxy.host}/src/bb:1`]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    await d3.stop();
  }
});
