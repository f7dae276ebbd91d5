import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, readOnce, readWhenUp } from '../helpers/net.js';

let d: TestDaemon;
let subnet = '';
before(async () => {
  d = await TestDaemon.start();
  const bip = d.extraArgs[d.extraArgs.indexOf('--bip') + 1];
  subnet = bip.split('.').slice(0, 3).join('.');
});
after(async () => {
  await d?.stop();
});

const SERVE = 'while true; do echo hello | nc -l -p 80; done';
const fmt = async (format: string, name: string) => (await d.berth(['inspect', '--format', format, name])).stdout.trim();

describe('the default bridge network', () => {
  test('a container gets an address, a default route, /etc/hosts and resolv.conf', async () => {
    const r = await d.berth(['run', '--rm', '--hostname', 'box', 'busybox', 'sh', '-c', 'ip -4 addr show eth0; ip route; cat /etc/hosts; cat /etc/resolv.conf']);
    assert.equal(r.code, 0, r.stderr);
    const ip = new RegExp(`inet (${subnet.replace(/\./g, '\\.')}\\.\\d+)/24`).exec(r.stdout)?.[1];
    assert.ok(ip, r.stdout);
    assert.match(r.stdout, new RegExp(`default via ${subnet}\\.1 dev eth0`));
    assert.match(r.stdout, new RegExp(`${ip}\\tbox\\n`));
    assert.match(r.stdout, /nameserver /);
  });

  test('inspect shows NetworkSettings while running; no address is handed out twice', async () => {
    await d.berth(['run', '-d', '--name', 'n1', 'busybox', 'sleep', '100']);
    await d.berth(['run', '-d', '--name', 'n2', 'busybox', 'sleep', '100']);
    const a = await fmt('{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}}', 'n1');
    const b = await fmt('{{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.MacAddress}}', 'n2');
    assert.match(a, new RegExp(`^${subnet}\\.\\d+ ${subnet}\\.1 24$`));
    assert.match(b, /^\S+ ([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.notEqual(a.split(' ')[0], b.split(' ')[0]);
    const ping = await d.berth(['exec', 'n2', 'ping', '-c', '1', '-W', '2', a.split(' ')[0]]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    await d.berth(['rm', '-f', 'n1', 'n2']);
  });

  test('--ip, --mac-address, --dns, --dns-search, --dns-option and --add-host host-gateway', async () => {
    const r = await d.berth([
      'run', '--rm', '--ip', `${subnet}.200`, '--mac-address', '92:d0:c6:0a:29:33', '--dns', '10.0.0.53', '--dns-search', 'example.test',
      '--dns-option', 'ndots:2', '--add-host', 'gw:host-gateway', '--add-host', 'other:10.1.2.3',
      'busybox', 'sh', '-c', 'ip addr show eth0; cat /etc/resolv.conf /etc/hosts',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`inet ${subnet}\\.200/24`));
    assert.match(r.stdout, /92:d0:c6:0a:29:33/);
    assert.match(r.stdout, /nameserver 10\.0\.0\.53\n/);
    assert.match(r.stdout, /search example\.test\n/);
    assert.match(r.stdout, /options ndots:2\n/);
    assert.match(r.stdout, new RegExp(`${subnet}\\.1\\tgw\\n`));
    assert.match(r.stdout, /10\.1\.2\.3\tother\n/);
  });

  test('an address in use is refused; it is free again once its container is gone', async () => {
    await d.berth(['run', '-d', '--name', 'holder', '--ip', `${subnet}.201`, 'busybox', 'sleep', '100']);
    const clash = await d.berth(['run', '--rm', '--ip', `${subnet}.201`, 'busybox', 'true']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Address already in use/);
    await d.berth(['rm', '-f', 'holder']);
    let again = await d.berth(['run', '--rm', '--ip', `${subnet}.201`, 'busybox', 'true']);
    for (let i = 0; i < 50 && again.code !== 0; i++) {
      // the removed container's teardown runs in the background
      await new Promise((r) => setTimeout(r, 100));
      again = await d.berth(['run', '--rm', '--ip', `${subnet}.201`, 'busybox', 'true']);
    }
    assert.equal(again.code, 0, again.stderr);
  });

  test('addresses survive a daemon crash: a running container keeps its address and no one else gets it', async () => {
    await d.berth(['run', '-d', '--name', 'survivor', 'busybox', 'sleep', '100']);
    const ip = await fmt('{{.NetworkSettings.IPAddress}}', 'survivor');
    await d.crash();
    await d.launch();
    assert.equal(await fmt('{{.NetworkSettings.IPAddress}}', 'survivor'), ip);
    const r = await d.berth(['run', '--rm', 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
    await d.berth(['rm', '-f', 'survivor']);
  });

  test('--network container:NAME shares the namespace; --link adds the target to /etc/hosts', async () => {
    await d.berth(['run', '-d', '--name', 'base', 'busybox', 'sleep', '100']);
    const ip = await fmt('{{.NetworkSettings.IPAddress}}', 'base');
    const shared = await d.berth(['run', '--rm', '--network', 'container:base', 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.equal(shared.code, 0, shared.stderr);
    assert.match(shared.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    const linked = await d.berth(['run', '--rm', '--link', 'base:db', 'busybox', 'sh', '-c', 'cat /etc/hosts; ping -c1 -W2 db']);
    assert.equal(linked.code, 0, linked.stdout + linked.stderr);
    assert.match(linked.stdout, new RegExp(`${ip.replace(/\./g, '\\.')}\\tdb\\n`));
    const none = await d.berth(['run', '--rm', '--network', 'container:nosuch', 'busybox', 'true']);
    assert.notEqual(none.code, 0);
    await d.berth(['rm', '-f', 'base']);
  });

  test('container:NAME is kept as container:ID: the join outlives a rename; a stopped or missing target refuses the join', async () => {
    await d.berth(['run', '-d', '--name', 'target', 'busybox', 'sleep', '100']);
    const id = await fmt('{{.Id}}', 'target');
    const ip = await fmt('{{.NetworkSettings.IPAddress}}', 'target');
    const c = await d.berth(['create', '--name', 'joiner', '--network', 'container:target', 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await fmt('{{.HostConfig.NetworkMode}}', 'joiner'), `container:${id}`);
    assert.equal((await d.berth(['rename', 'target', 'renamed'])).code, 0);
    const started = await d.berth(['start', 'joiner']);
    assert.equal(started.code, 0, started.stderr);
    assert.equal((await d.berth(['wait', 'joiner'])).stdout, '0\n');
    assert.match((await d.berth(['logs', 'joiner'])).stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    // As dockerd: a target that does not exist yet is kept by name and refused at start.
    const missing = await d.berth(['create', '--name', 'early', '--network', 'container:nosuch', 'busybox', 'true']);
    assert.equal(missing.code, 0, missing.stderr);
    assert.equal(await fmt('{{.HostConfig.NetworkMode}}', 'early'), 'container:nosuch');
    assert.match((await d.berth(['start', 'early'])).stderr, /No such container: nosuch/);
    // As with docker: the joined container keeps running when its target stops, with loopback only.
    await d.berth(['run', '-d', '--name', 'rider', '--network', 'container:renamed', 'busybox', 'sleep', '100']);
    await d.berth(['stop', '-t', '0', 'renamed']);
    assert.equal(await fmt('{{.State.Status}}', 'rider'), 'running');
    const links = await d.berth(['exec', 'rider', 'ip', '-o', 'link']);
    assert.doesNotMatch(links.stdout, /eth0/);
    const again = await d.berth(['start', 'joiner']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`cannot join network of a non running container: ${id}`));
    await d.berth(['rm', '-f', 'joiner', 'rider', 'renamed', 'early']);
  });

  test('--network none has loopback only; host networks are untouched', async () => {
    const r = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /eth0/);
  });
});

describe('published ports', () => {
  test('-p 127.0.0.1:HOST:80 reaches the container; unreachable after stop', async () => {
    const port = await freePort();
    const r = await d.berth(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    assert.equal((await d.berth(['port', 'web'])).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
    assert.equal((await d.berth(['port', 'web', '80'])).stdout, `127.0.0.1:${port}\n`);
    assert.equal(await fmt('{{json .NetworkSettings.Ports}}', 'web'), `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"${port}"}]}`);
    const ps = await d.berth(['ps', '--format', '{{.Ports}}', '--filter', 'name=web']);
    assert.equal(ps.stdout, `127.0.0.1:${port}->80/tcp\n`);
    await d.berth(['stop', '-t', '0', 'web']);
    assert.equal(await readOnce(port), '');
    await d.berth(['rm', '-f', 'web']);
  });

  test('a host port already published is refused with docker\'s wording', async () => {
    const port = await freePort();
    await d.berth(['run', '-d', '--name', 'first', '-p', `${port}:80`, 'busybox', 'sleep', '100']);
    const second = await d.berth(['run', '-d', '--name', 'second', '-p', `${port}:80`, 'busybox', 'sleep', '100']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    await d.berth(['rm', '-f', 'first', 'second']);
  });

  test('-p 80 and -P pick random host ports; udp and ranges are published too', async () => {
    const udp = await freePort();
    const r = await d.berth(['run', '-d', '--name', 'rnd', '-p', '80', '-p', `${udp}:53/udp`, '--expose', '7000-7001', '-P', 'busybox', 'sh', '-c', SERVE]);
    assert.equal(r.code, 0, r.stderr);
    const lines = (await d.berth(['port', 'rnd'])).stdout.trim().split('\n').sort();
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines.find((l) => l.startsWith('80/tcp'))!, /^80\/tcp -> 0\.0\.0\.0:\d+$/);
    assert.ok(lines.includes(`53/udp -> 0.0.0.0:${udp}`), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('7000/tcp -> 0.0.0.0:')) && lines.some((l) => l.startsWith('7001/tcp -> 0.0.0.0:')));
    const port = Number((await d.berth(['port', 'rnd', '80/tcp'])).stdout.trim().split(':')[1]);
    assert.equal(await readWhenUp(port, 'hello'), 'hello\n');
    await d.berth(['rm', '-f', 'rnd']);
  });
});
