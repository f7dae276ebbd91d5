import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { TestDaemon, testNetwork } from '../helpers/daemon.js';
import { freePort, readFrom, readWhenUp } from '../helpers/net.js';

let d: TestDaemon;
/** The test's own /24 and /64 (no other test daemon uses them) and the network made on them. */
let v4 = '';
let v6 = '';
before(async () => {
  d = await TestDaemon.start();
  const n = testNetwork();
  v4 = n.subnetPrefix;
  v6 = n.subnet6.replace('::/64', '::');
  const r = await d.berth(['network', 'create', '--ipv6', '--subnet', `${v4}.0/24`, '--subnet', `${v6}/64`, '--gateway', `${v6}fe`, 'dual']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
});

const SERVE = 'while true; do echo hello | nc -l -p 80; done';
const fmt = async (format: string, name: string) => (await d.berth(['inspect', '--format', format, name])).stdout.trim();
const esc = (s: string) => s.replace(/[.]/g, '\\.');

describe('IPv6 networks', () => {
  test('network create --ipv6 shows both subnets; containers get an IPv6 address and route', async () => {
    assert.equal(await fmt('{{.EnableIPv6}} {{json .IPAM.Config}}', 'dual'),
      `true [{"Subnet":"${v4}.0/24","Gateway":"${v4}.1"},{"Subnet":"${v6}/64","Gateway":"${v6}fe"}]`);
    await d.berth(['run', '-d', '--name', 'six', '--network', 'dual', 'busybox', 'sleep', '100']);
    const addr = await fmt('{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}/{{.NetworkSettings.Networks.dual.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.dual.IPv6Gateway}}', 'six');
    assert.match(addr, new RegExp(`^${v6}[0-9a-f]+/64 ${v6}fe$`));
    const ip6 = addr.split('/')[0];
    const inside = await d.berth(['exec', 'six', 'sh', '-c', 'ip -6 addr show eth0; ip -6 route; cat /etc/hosts']);
    assert.match(inside.stdout, new RegExp(`inet6 ${ip6}/64 scope global`));
    assert.match(inside.stdout, new RegExp(`\n${ip6}\t${(await fmt('{{.Config.Hostname}}', 'six'))}\n`));
    assert.match(inside.stdout, new RegExp(`default via ${v6}fe dev eth0`));
    const listed = await d.berth(['network', 'inspect', 'dual', '--format', '{{range .Containers}}{{.IPv6Address}}{{end}}']);
    assert.equal(listed.stdout.trim(), `${ip6}/64`);
  });

  test('containers reach each other by name over IPv6; no IPv6 address is handed out twice', async () => {
    const ip6 = await fmt('{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}', 'six');
    const r = await d.berth(['run', '--rm', '--network', 'dual', 'busybox', 'sh', '-c', 'ip -6 addr show eth0; nslookup -type=aaaa six; ping6 -c1 -W2 six']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Address: ${ip6}\\n`));
    assert.match(r.stdout, new RegExp(`PING six \\(${ip6}\\)`));
    const mine = /inet6 (\S+)\/64 scope global/.exec(r.stdout)?.[1];
    assert.ok(mine && mine !== ip6, r.stdout);
  });

  test('--ip6 takes an address; one in use is refused; addresses survive a daemon crash', async () => {
    const r = await d.berth(['run', '-d', '--name', 'fixed', '--network', 'dual', '--ip6', `${v6}abc`, 'busybox', 'sleep', '100']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await fmt('{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}', 'fixed'), `${v6}abc`);
    const clash = await d.berth(['run', '--rm', '--network', 'dual', '--ip6', `${v6}abc`, 'busybox', 'true']);
    assert.match(clash.stderr, /Address already in use/);
    const held = await fmt('{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}', 'six');
    await d.crash();
    await d.launch();
    assert.equal(await fmt('{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}', 'six'), held);
    const fresh = await d.berth(['run', '--rm', '--network', 'dual', 'busybox', 'ip', '-6', 'addr', 'show', 'eth0']);
    assert.equal(fresh.code, 0, fresh.stderr);
    for (const taken of [held, `${v6}abc`]) assert.doesNotMatch(fresh.stdout, new RegExp(`inet6 ${taken}/`));
    await d.berth(['rm', '-f', 'fixed']);
  });

  test('--ipv6 without a subnet takes a /64 of the daemon\'s own ULA prefix, a new one per network', async () => {
    assert.equal((await d.berth(['network', 'create', '--ipv6', 'auto1'])).code, 0);
    assert.equal((await d.berth(['network', 'create', '--ipv6', 'auto2'])).code, 0);
    const a = await d.berth(['network', 'inspect', 'auto1', 'auto2', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']);
    const subnets = a.stdout.trim().split('\n').map((l) => l.trim().split(' ')[1]);
    for (const s of subnets) assert.match(s, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{0,4}:?:\/64$/);
    assert.notEqual(subnets[0], subnets[1]);
    const r = await d.berth(['run', '--rm', '--network', 'auto1', 'busybox', 'ip', '-6', 'addr', 'show', 'eth0']);
    assert.match(r.stdout, new RegExp(`inet6 ${subnets[0].replace('::/64', '::')}2/64`));
    await d.berth(['network', 'rm', 'auto1', 'auto2']);
  });

  test('published ports reach an IPv6 container over IPv4 and the host\'s IPv6 addresses; ::1 is refused', async () => {
    const port = await freePort();
    const r = await d.berth(['run', '-d', '--name', 'web6', '--network', 'dual', '-p', `${port}:80`, 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    assert.equal((await d.berth(['port', 'web6'])).stdout, `80/tcp -> 0.0.0.0:${port}\n80/tcp -> [::]:${port}\n`);
    // The host's own global IPv6 address, where it has one (the traffic stays on the host).
    const hostV6 = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80'))?.address;
    if (hostV6) {
      assert.equal(await readFrom(hostV6, port, 'hello'), 'hello\n');
      const only = await freePort();
      const r6 = await d.berth(['run', '-d', '--name', 'web6only', '--network', 'dual', '-p', `[${hostV6}]:${only}:80`, 'busybox', 'sh', '-c', SERVE]);
      assert.equal(r6.code, 0, r6.stderr);
      assert.equal(await readFrom(hostV6, only, 'hello'), 'hello\n');
      assert.equal((await d.berth(['port', 'web6only'])).stdout, `80/tcp -> [${hostV6}]:${only}\n`);
    }
    const loop = await d.berth(['run', '--rm', '--network', 'dual', '-p', `[::1]:${port + 1}:80`, 'busybox', 'true']);
    assert.equal(loop.code, 125);
    assert.match(loop.stderr, /publishing on ::1 is not supported/);
    const v4only = await d.berth(['run', '--rm', '-p', `[${v6}1]:${port + 1}:80`, 'busybox', 'true']);
    assert.match(v4only.stderr, new RegExp(`publishing on IPv6 address ${esc(v6)}1 needs a network with IPv6 enabled`));
    await d.berth(['rm', '-f', 'web6', 'web6only']);
  });
});
