import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, readOnce, readWhenUp } from '../helpers/net.js';

let d: TestDaemon;
const servers: Server[] = [];
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  for (const s of servers) s.close();
  await d?.stop();
});

const SERVE = 'while true; do echo hello | nc -l -p 80; done';

/** A host process of the test's own holding 127.0.0.1:port and greeting with `text`. */
function holdPort(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => s.end(text));
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
    servers.push(srv);
  });
}

/** Three consecutive ports on 127.0.0.1 that nothing listens on. */
async function freeRange(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p > 65000) continue;
    const probes = await Promise.all([p + 1, p + 2].map((q) => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(q, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (probes.every(Boolean)) return p;
  }
}

describe('published port ranges', () => {
  test('a host range against one port takes a free port of the range, not only its first', async () => {
    const first = await freeRange();
    await holdPort(first, 'host\n');
    const r = await d.berth(['run', '-d', '--name', 'ranged', '-p', `127.0.0.1:${first}-${first + 2}:80`, 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await d.berth(['port', 'ranged', '80'])).stdout.trim().split(':')[1]);
    assert.ok(port > first && port <= first + 2, `port ${port} is not in ${first + 1}-${first + 2}`);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    assert.equal(await readOnce(first), 'host\n');
    await d.berth(['rm', '-f', 'ranged']);
  });

  test('equal host and container ranges map port by port', async () => {
    const first = await freeRange();
    const r = await d.berth(['run', '-d', '--name', 'pairs', '-p', `127.0.0.1:${first}-${first + 1}:80-81`, 'busybox', 'sleep', '100']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await d.berth(['port', 'pairs'])).stdout, `80/tcp -> 127.0.0.1:${first}\n81/tcp -> 127.0.0.1:${first + 1}\n`);
    await d.berth(['rm', '-f', 'pairs']);
  });

  test('ranges of different lengths are refused with docker\'s words', async () => {
    const r = await d.berth(['run', '--rm', '-p', '8000-8002:80-81', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /invalid ranges specified for container and host Ports: 80-81 and 8000-8002/);
  });

  test('a port a host process holds is refused; the process keeps its traffic and no binding is left', async () => {
    const port = await freePort();
    await holdPort(port, 'mine\n');
    const r = await d.berth(['run', '-d', '--name', 'taker', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`listen tcp4 127\\.0\\.0\\.1:${port}: bind: address already in use`));
    assert.equal(await readOnce(port), 'mine\n');
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}} {{json .NetworkSettings.Ports}}', 'taker'])).stdout, 'created {"80/tcp":null}\n');
    const net = await d.api('GET', '/networks/bridge');
    assert.deepEqual(net.json.Containers, {});
    await d.berth(['rm', '-f', 'taker']);
  });
});

describe('a published port after its container goes', () => {
  test('run --rm -p P, again and again, and rm -f then run -p P: each next container gets the port', async () => {
    const port = await freePort();
    for (let i = 0; i < 4; i++) {
      const r = await d.berth(['run', '--rm', '-p', `${port}:80`, 'busybox', 'true']);
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
    }
    assert.equal((await d.berth(['run', '-d', '--name', 'first', '-p', `${port}:80`, 'busybox', 'sh', '-c', SERVE])).code, 0);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    assert.equal((await d.berth(['rm', '-f', 'first'])).code, 0);
    const next = await d.berth(['run', '-d', '--name', 'next', '-p', `${port}:80`, 'busybox', 'sh', '-c', 'while true; do echo again | nc -l -p 80; done']);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(await readWhenUp(port, 'again'), 'again\n');
    await d.berth(['rm', '-f', 'next']);
  });
});
