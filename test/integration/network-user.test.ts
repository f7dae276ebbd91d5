import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon, testNetwork } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

/** A /24 no other test daemon on this host uses. */
const uniqueSubnet = () => `${testNetwork().subnetPrefix}.0/24`;

describe('user-defined networks', () => {
  test('network ls shows the predefined bridge, host and none networks', async () => {
    const r = await d.berth(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    assert.equal(r.stdout, 'bridge bridge local\nhost host local\nnone null local\n');
  });

  test('create, inspect, ls -q/--filter and rm', async () => {
    const subnet = uniqueSubnet();
    const base = subnet.split('.').slice(0, 3).join('.');
    const c = await d.berth(['network', 'create', '--subnet', subnet, '--gateway', `${base}.254`, '--ip-range', `${base}.128/25`, '--label', 'team=a', '-o', 'com.docker.network.driver.mtu=1500', 'front']);
    assert.equal(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ins = await d.berth(['network', 'inspect', 'front', '--format', '{{.Name}} {{.Driver}} {{json .IPAM.Config}} {{.Labels.team}}']);
    assert.equal(ins.stdout, `front bridge [{"Subnet":"${subnet}","Gateway":"${base}.254","IPRange":"${base}.128/25"}] a\n`);
    // The generic inspect finds networks too, as docker inspect does.
    assert.equal((await d.berth(['inspect', '-f', '{{.Name}} {{.Driver}}', 'front'])).stdout, 'front bridge\n');
    assert.equal((await d.berth(['inspect', '--type', 'network', '-f', '{{.Name}}', 'front'])).stdout, 'front\n');
    assert.equal((await d.berth(['network', 'ls', '-q', '--filter', 'label=team=a'])).stdout, `${id.slice(0, 12)}\n`);
    assert.equal((await d.berth(['network', 'ls', '--filter', 'name=fro', '--format', '{{.Name}}'])).stdout, 'front\n');
    const r = await d.berth(['run', '--rm', '--network', 'front', 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`inet ${base.replace(/\./g, '\\.')}\\.128/24`));
    const dup = await d.berth(['network', 'create', 'front']);
    assert.match(dup.stderr, /network with name front already exists/);
    const overlap = await d.berth(['network', 'create', '--subnet', subnet, 'other']);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    assert.equal((await d.berth(['network', 'rm', 'front'])).code, 0);
    const gone = await d.berth(['network', 'inspect', 'front']);
    assert.match(gone.stderr, /network front not found/);
  });

  test('containers resolve each other by name and alias; rm refuses a network in use', async () => {
    const subnet = uniqueSubnet();
    assert.equal((await d.berth(['network', 'create', '--subnet', subnet, 'app'])).code, 0);
    await d.berth(['run', '-d', '--name', 'db', '--network', 'app', '--network-alias', 'database', 'busybox', 'sleep', '100']);
    const r = await d.berth(['run', '--rm', '--network', 'app', 'busybox', 'sh', '-c', 'ping -c1 -W2 db && ping -c1 -W2 database']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const dbIp = (await d.berth(['inspect', '--format', '{{.NetworkSettings.Networks.app.IPAddress}}', 'db'])).stdout.trim();
    assert.match(r.stdout, new RegExp(`PING db \\(${dbIp.replace(/\./g, '\\.')}\\)`));
    const rm = await d.berth(['network', 'rm', 'app']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /error while removing network: network app id [0-9a-f]{64} has active endpoints/);
    const ins = await d.berth(['network', 'inspect', 'app', '--format', '{{range .Containers}}{{.Name}}{{end}}']);
    assert.equal(ins.stdout, 'db\n');
    await d.berth(['rm', '-f', 'db']);
  });

  test('connect and disconnect a running container', async () => {
    const subnet = uniqueSubnet();
    await d.berth(['network', 'create', '--subnet', subnet, 'side']);
    await d.berth(['run', '-d', '--name', 'walker', 'busybox', 'sleep', '100']);
    const base = subnet.split('.').slice(0, 3).join('.');
    const c = await d.berth(['network', 'connect', '--ip', `${base}.77`, '--alias', 'w', 'side', 'walker']);
    assert.equal(c.code, 0, c.stderr);
    let addrs = await d.berth(['exec', 'walker', 'ip', '-4', '-o', 'addr']);
    assert.match(addrs.stdout, new RegExp(`eth1\\s+inet ${base.replace(/\./g, '\\.')}\\.77/24`));
    assert.equal((await d.berth(['inspect', '--format', '{{.NetworkSettings.Networks.side.IPAddress}}', 'walker'])).stdout, `${base}.77\n`);
    const resolv = await d.berth(['exec', 'walker', 'cat', '/etc/resolv.conf']);
    assert.match(resolv.stdout, new RegExp(`^nameserver ${base.replace(/\./g, '\\.')}\\.1$`, 'm'));
    const self = await d.berth(['exec', 'walker', 'nslookup', 'w']);
    assert.match(self.stdout, new RegExp(`${base.replace(/\./g, '\\.')}\\.77`), self.stdout + self.stderr);
    const again = await d.berth(['network', 'connect', 'side', 'walker']);
    assert.match(again.stderr, /already exists in network side/);
    assert.equal((await d.berth(['network', 'disconnect', 'side', 'walker'])).code, 0);
    addrs = await d.berth(['exec', 'walker', 'ip', '-4', '-o', 'addr']);
    assert.doesNotMatch(addrs.stdout, /eth1/);
    await d.berth(['rm', '-f', 'walker']);
  });

  test('prune removes unused networks; predefined networks cannot be removed', async () => {
    await d.berth(['network', 'create', '--subnet', uniqueSubnet(), 'spare']);
    const p = await d.berth(['network', 'prune', '-f']);
    assert.match(p.stdout, /Deleted Networks:\n(.*\n)*spare\n/);
    const rm = await d.berth(['network', 'rm', 'bridge']);
    assert.match(rm.stderr, /bridge is a pre-defined network and cannot be removed/);
  });

  test('the networks API answers in docker\'s shapes', async () => {
    const created = await d.api('POST', '/networks/create', { Name: 'api-net', IPAM: { Config: [{ Subnet: uniqueSubnet() }] }, Labels: { k: 'v' } });
    assert.equal(created.status, 201, created.body);
    const list = await d.api('GET', '/networks');
    assert.ok(list.json.some((n: { Name: string }) => n.Name === 'api-net'));
    const one = await d.api('GET', `/networks/${created.json.Id}`);
    assert.equal(one.json.Name, 'api-net');
    assert.equal(one.json.Scope, 'local');
    assert.deepEqual(one.json.Labels, { k: 'v' });
    const bridge = await d.api('GET', '/networks/bridge');
    assert.match(bridge.json.IPAM.Config[0].Gateway, /^172\.31\.\d+\.1$/);
    assert.equal((await d.api('GET', '/networks/nope')).status, 404);
    assert.equal((await d.api('DELETE', '/networks/api-net')).status, 204);
  });

  test('an --ip address is free for the next container as soon as the last one that held it is removed', async () => {
    const base = uniqueSubnet().split('.').slice(0, 3).join('.');
    assert.equal((await d.berth(['network', 'create', '--subnet', `${base}.0/24`, 'fixed-ip'])).code, 0);
    for (let i = 0; i < 4; i++) {
      const r = await d.berth(['run', '--rm', '--network', 'fixed-ip', '--ip', `${base}.50`, 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`inet ${base.replace(/\./g, '\\.')}\\.50/24`));
    }
    assert.equal((await d.berth(['network', 'rm', 'fixed-ip'])).code, 0);
  });
});
