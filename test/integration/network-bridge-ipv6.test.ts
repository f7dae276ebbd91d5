import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { TestDaemon, testNetwork } from '../helpers/daemon.js';
import { freePort, readFrom, readWhenUp } from '../helpers/net.js';

/** A daemon whose default bridge is dual stack on the test's own /64 (dockerd --ipv6 --fixed-cidr-v6). */
let d: TestDaemon;
let v6 = '';
before(async () => {
  const n = testNetwork();
  v6 = n.subnet6.replace('::/64', '::');
  d = await TestDaemon.start({ args: ['--ipv6', '--fixed-cidr-v6', n.subnet6] });
});
after(async () => {
  await d?.stop();
});

const SERVE = 'while true; do echo hello | nc -l -p 80; done';
const fmt = async (format: string, name: string) => (await d.berth(['inspect', '--format', format, name])).stdout.trim();

describe('IPv6 on the default bridge (berthd --ipv6)', () => {
  test('network inspect bridge shows IPv6 enabled with the --fixed-cidr-v6 subnet', async () => {
    const r = await d.berth(['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}/{{.Gateway}} {{end}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), new RegExp(`^true \\S+/\\S+ ${v6}/64/${v6}1$`));
  });

  test('run on the default bridge gives an IPv6 address, gateway and route; containers reach each other over IPv6', async () => {
    const r = await d.berth(['run', '-d', '--name', 'a6', 'busybox', 'sleep', '100']);
    assert.equal(r.code, 0, r.stderr);
    const addr = await fmt('{{.NetworkSettings.GlobalIPv6Address}}/{{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPv6Gateway}} {{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}', 'a6');
    assert.match(addr, new RegExp(`^${v6}[0-9a-f]+/64 ${v6}1 ${v6}[0-9a-f]+$`));
    const ip6 = addr.split('/')[0];
    assert.equal(addr.split(' ')[2], ip6);
    const inside = await d.berth(['exec', 'a6', 'sh', '-c', 'ip -6 addr show eth0; ip -6 route']);
    assert.match(inside.stdout, new RegExp(`inet6 ${ip6}/64 scope global`));
    assert.match(inside.stdout, new RegExp(`default via ${v6}1 dev eth0`));
    // A container without ports or DNS (the bridge's veth-only case) gets its IPv6 address too.
    const b = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', `ip -6 addr show eth0; ping6 -c1 -W2 ${ip6}`]);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const mine = new RegExp(`inet6 (${v6}[0-9a-f]+)/64 scope global`).exec(b.stdout)?.[1];
    assert.ok(mine && mine !== ip6, b.stdout);
  });

  test('a published port answers on IPv4 and on the host\'s IPv6 addresses; its rules go with the container', async () => {
    const port = await freePort();
    const r = await d.berth(['run', '-d', '--name', 'web', '-p', `${port}:80`, 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    assert.equal((await d.berth(['port', 'web'])).stdout, `80/tcp -> 0.0.0.0:${port}\n80/tcp -> [::]:${port}\n`);
    const ip6 = await fmt('{{.NetworkSettings.GlobalIPv6Address}}', 'web');
    assert.equal(await readFrom(ip6, 80, 'hello'), 'hello\n');
    const hostV6 = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80') && !a.address.startsWith(v6))?.address;
    assert.ok(hostV6, 'the host has a global IPv6 address to publish on');
    assert.equal(await readFrom(hostV6, port, 'hello'), 'hello\n');
    const rules = () => (spawnSync('ip6tables', ['-t', 'nat', '-S'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => l.includes(`--dport ${port} `));
    assert.ok(rules().length > 0, 'ip6tables holds the published port while the container runs');
    assert.equal((await d.berth(['rm', '-f', 'web'])).code, 0);
    let left = rules();
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      left = rules();
    }
    assert.deepEqual(left, []);
  });

  test('--ipv6 alone takes a /64 of the daemon\'s ULA prefix and keeps it across restarts', async () => {
    const plain = await TestDaemon.start({ busybox: false, args: ['--ipv6'] });
    try {
      const show = async () => (await plain.berth(['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}'])).stdout.trim();
      const first = await show();
      assert.match(first, /^true \S+ fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{0,4}:?:\/64$/);
      await plain.crash();
      await plain.launch();
      assert.equal(await show(), first);
    } finally {
      await plain.stop();
    }
  });

  test('a daemon restarted with --ipv6 gives the next containers on the bridge IPv6; running ones keep their address', async () => {
    const n = testNetwork();
    const later = await TestDaemon.start();
    try {
      assert.equal((await later.berth(['run', '-d', '--name', 'old', 'busybox', 'sleep', '100'])).code, 0);
      const before = (await later.berth(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'old'])).stdout.trim();
      await later.crash();
      later.extraArgs.push('--ipv6', '--fixed-cidr-v6', n.subnet6);
      await later.launch();
      const r = await later.berth(['run', '--rm', 'busybox', 'sh', '-c', `ip -6 addr show eth0; ping -c1 -W2 ${before}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`inet6 ${n.subnet6.replace('::/64', '::')}[0-9a-f]+/64 scope global`));
      assert.equal((await later.berth(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'old'])).stdout.trim(), before);
      assert.equal((await later.berth(['rm', '-f', 'old'])).code, 0);
    } finally {
      await later.stop();
    }
  });
});
