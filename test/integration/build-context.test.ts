// What `berth build` sends: .dockerignore is applied while the context is packed,
// so ignored files never reach the daemon. A counting proxy between the CLI and
// the daemon's socket measures the bytes that went over.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { BERTH, runProcess, TestDaemon, type RunResult } from '../helpers/daemon.js';
import { ContextDirs } from '../helpers/build.js';

let d: TestDaemon;
const ctx = new ContextDirs();
let proxy: Server;
let proxyDir: string;
let sent = 0;

before(async () => {
  d = await TestDaemon.start({ busybox: true });
  proxyDir = mkdtempSync('/run/berth-test-proxy-');
  proxy = createServer((client) => {
    const daemon = connect(d.socket);
    client.on('data', (b: Buffer) => {
      sent += b.length;
    });
    client.pipe(daemon).pipe(client);
    client.on('error', () => daemon.destroy());
    daemon.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(join(proxyDir, 'proxy.sock'), resolve));
});
after(async () => {
  proxy?.close();
  if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  await d?.stop();
  ctx.cleanup();
});

/** berth build through the proxy; returns the result and the bytes the CLI sent. */
async function buildThroughProxy(args: string[]): Promise<{ r: RunResult; bytes: number }> {
  sent = 0;
  const r = await runProcess(process.execPath, [BERTH, '-H', `unix://${join(proxyDir, 'proxy.sock')}`, 'build', ...args]);
  return { r, bytes: sent };
}

test('berth build never sends what .dockerignore leaves out, and ! exceptions come back', async () => {
  const dir = ctx.make({
    Dockerfile: 'FROM busybox\nCOPY . /src/\nCMD ["sh", "-c", "cd /src && find . -type f | sort"]\n',
    '.dockerignore': 'Dockerfile\n.dockerignore\nnode_modules\n*.log\n!keep.log\nvendor\n!vendor/keep.txt\n',
    'app.js': 'app',
    'x.log': 'x',
    'keep.log': 'k',
    'node_modules/big.bin': 'z'.repeat(8 << 20),
    'vendor/keep.txt': 'v',
    'vendor/other.bin': 'o'.repeat(1 << 20),
  });
  assert.equal(spawnSync('mkfifo', [join(dir, 'node_modules', 'pipe')]).status, 0);
  const { r, bytes } = await buildThroughProxy(['-t', 'ign:ctx', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(bytes < 512 * 1024, `the CLI sent ${bytes} bytes`);
  const out = await d.berth(['run', '--rm', 'ign:ctx']);
  assert.deepEqual(out.stdout.split('\n').filter(Boolean), ['./app.js', './keep.log', './vendor/keep.txt']);
});

test('a Dockerfile\'s own ignore file wins over .dockerignore on the client too', async () => {
  const dir = ctx.make({
    'docker/app.Dockerfile': 'FROM busybox\nCOPY . /src/\nCMD ["sh", "-c", "cd /src && find . -type f | sort"]\n',
    'docker/app.Dockerfile.dockerignore': 'docker\nassets\n',
    '.dockerignore': 'src\n',
    'src/main.c': 'int main;',
    'assets/big.bin': 'a'.repeat(4 << 20),
  });
  const { r, bytes } = await buildThroughProxy(['-f', join(dir, 'docker/app.Dockerfile'), '-t', 'ign:own', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(bytes < 512 * 1024, `the CLI sent ${bytes} bytes`);
  const out = await d.berth(['run', '--rm', 'ign:own']);
  assert.deepEqual(out.stdout.split('\n').filter(Boolean), ['./.dockerignore', './src/main.c']);
});
