import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon, testNetwork } from '../helpers/daemon.js';
import { freePort, readWhenUp } from '../helpers/net.js';

/** The stock docker CLI's network commands, run -p and port against berthd. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
before(async () => {
  if (hasDocker) d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

const ok = async (args: string[]) => {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('docker network create, ls, inspect, connect, rm', { skip }, async () => {
  const subnet = `${testNetwork().subnetPrefix}.0/24`;
  const id = (await ok(['network', 'create', '--subnet', subnet, '--label', 'x=y', 'dnet'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ls = await ok(['network', 'ls', '--format', '{{.Name}}']);
  assert.deepEqual(ls.trim().split('\n').sort(), ['bridge', 'dnet', 'host', 'none']);
  assert.equal(await ok(['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Subnet}} {{.Labels.x}}', 'dnet']), `${subnet} y\n`);
  await ok(['run', '-d', '--name', 'peer', '--network', 'dnet', '--network-alias', 'pal', 'busybox', 'sleep', '100']);
  const ping = await d.docker(['run', '--rm', '--network', 'dnet', 'busybox', 'ping', '-c1', '-W2', 'pal']);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  const busy = await d.docker(['network', 'rm', 'dnet']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /has active endpoints/);
  await ok(['rm', '-f', 'peer']);
  await ok(['network', 'rm', 'dnet']);
});

test('docker run -p publishes a port that docker port reports and the host reaches', { skip }, async () => {
  const port = await freePort();
  await ok(['run', '-d', '--name', 'pweb', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'while true; do echo hi | nc -l -p 80; done']);
  assert.equal(await ok(['port', 'pweb']), `80/tcp -> 127.0.0.1:${port}\n`);
  assert.equal(await readWhenUp(port, 'hi'), 'hi\n');
  const ps = await ok(['ps', '--format', '{{.Ports}}', '--filter', 'name=pweb']);
  assert.equal(ps, `127.0.0.1:${port}->80/tcp\n`);
  const clash = await d.docker(['run', '-d', '--name', 'pweb2', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '100']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
  await ok(['rm', '-f', 'pweb', 'pweb2']);
});

test('docker network create --ipv6 and run: a dual-stack network, an IPv6 address inside', { skip }, async () => {
  const n = testNetwork();
  await ok(['network', 'create', '--ipv6', '--subnet', `${n.subnetPrefix}.0/24`, '--subnet', n.subnet6, 'dnet6']);
  assert.equal(await ok(['network', 'inspect', '--format', '{{.EnableIPv6}} {{len .IPAM.Config}}', 'dnet6']), 'true 2\n');
  const r = await ok(['run', '--rm', '--network', 'dnet6', 'busybox', 'ip', '-6', 'addr', 'show', 'eth0']);
  assert.match(r, new RegExp(`inet6 ${n.subnet6.replace('::/64', '::')}2/64 scope global`));
  await ok(['network', 'rm', 'dnet6']);
});

test('docker run -p with a host range publishes on a port of the range', { skip }, async () => {
  const first = await freePort();
  await ok(['run', '-d', '--name', 'prange', '-p', `127.0.0.1:${first}-${first + 5}:80`, 'busybox', 'sleep', '100']);
  const port = Number((await ok(['port', 'prange', '80'])).trim().split(':')[1]);
  assert.ok(port >= first && port <= first + 5, String(port));
  await ok(['rm', '-f', 'prange']);
});
