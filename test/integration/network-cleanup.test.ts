import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, testNetwork } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';

/**
 * The promise of issue 4: once every container and user network is gone, no
 * veth, namespace, firewall rule (IPv4 or IPv6), bridge or aardvark-dns of
 * berth's is left; only the default bridge stays up, as docker0 does, with
 * the one endpoint berth keeps it up with. Also after a crash in between.
 */
let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

const bridgeOf = () => d.extraArgs[d.extraArgs.indexOf('-b') + 1];

/** Everything of this daemon's the host still holds, as lines to compare. */
function leftovers(o: { bridges: string[]; subnets: string[]; ports: number[] }): string[] {
  const out: string[] = [];
  for (const b of o.bridges) if (existsSync(`/sys/class/net/${b}`)) out.push(`bridge ${b}`);
  const def = `/sys/class/net/${bridgeOf()}/brif`;
  const ports = existsSync(def) ? readdirSync(def) : [];
  if (ports.length !== 1) out.push(`default bridge has ${ports.length} ports: ${ports.join(' ')}`);
  const netns = join(d.execRoot, 'netns');
  for (const f of existsSync(netns) ? readdirSync(netns) : []) if (f !== 'berth-bridge-keeper') out.push(`netns ${f}`);
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['nat', 'filter']) {
      const rules = spawnSync(tool, ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
      for (const rule of rules.split('\n')) {
        const named = [...o.subnets, ...o.bridges].some((m) => rule.includes(` ${m} `) || rule.includes(`${m} `) || rule.endsWith(m));
        const port = o.ports.some((p) => rule.includes(`--dport ${p} `));
        if (named || port) out.push(`${tool} ${table}: ${rule}`);
      }
    }
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('aardvark') && cmd.includes(d.execRoot)) out.push(`aardvark-dns pid ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('after every container and user network is gone, no veth, netns, rule, bridge or aardvark of berth\'s is left', async () => {
  const n = testNetwork();
  const ok = async (args: string[]) => {
    const r = await d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await ok(['network', 'create', '--ipv6', '--subnet', `${n.subnetPrefix}.0/24`, '--subnet', n.subnet6, 'dual']);
  await ok(['network', 'create', '--internal', 'inner']);
  const [p1, p2, p3, p4] = [await freePort(), await freePort(), await freePort(), await freePort()];
  await ok(['run', '-d', '--name', 'ca', '--network', 'dual', '--network-alias', 'aa', '-p', `${p1}:80`, '-p', `${p2}:53/udp`, 'busybox', 'sleep', '100']);
  await ok(['run', '-d', '--name', 'cb', '-p', `127.0.0.1:${p3}:80`, 'busybox', 'sleep', '100']);
  await ok(['run', '-d', '--name', 'cc', '--network', 'container:cb', 'busybox', 'sleep', '100']);
  await ok(['network', 'connect', 'inner', 'cb']);
  await ok(['network', 'connect', 'dual', 'cb']);
  await ok(['network', 'disconnect', 'inner', 'cb']);
  await ok(['run', '--rm', '--network', 'dual', 'busybox', 'ping', '-c1', '-W2', 'aa']);
  await ok(['run', '-d', '--name', 'cf', 'busybox', 'sleep', '100']);
  await ok(['network', 'connect', 'inner', 'cf']);
  await ok(['run', '--rm', 'busybox', 'true']);
  // A container that exits while berthd is down: the next start repairs its endpoint.
  await ok(['run', '-d', '--name', 'ce', '--network', 'dual', '-p', `${p4}:80`, 'busybox', 'sleep', '1']);
  const nets = JSON.parse(readFileSync(join(d.dataRoot, 'network', 'networks.json'), 'utf8')) as Array<{ name: string; iface?: string; subnet?: string; subnet6?: string }>;
  const users = nets.filter((x) => ['dual', 'inner'].includes(x.name));
  const watch = {
    bridges: users.map((x) => x.iface!),
    subnets: users.flatMap((x) => [x.subnet!, ...(x.subnet6 ? [x.subnet6] : [])]),
    ports: [p1, p2, p3, p4],
  };
  assert.ok(leftovers(watch).length > 0, 'the check sees what the containers hold');
  await d.crash();
  await new Promise((r) => setTimeout(r, 2000));
  await d.launch();
  await ok(['rm', '-f', 'ca', 'cb', 'cc', 'ce', 'cf']);
  await ok(['network', 'rm', 'dual', 'inner']);
  let left = leftovers(watch);
  // Teardowns of removed containers finish in the background.
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = leftovers(watch);
  }
  assert.deepEqual(left, []);
});

test('after a reboot (exec root emptied, bridge gone) the default bridge comes back for the next container', async () => {
  const first = await d.berth(['run', '--rm', 'busybox', 'true']);
  assert.equal(first.code, 0, first.stderr);
  await d.crash();
  const netns = join(d.execRoot, 'netns');
  for (const f of readdirSync(netns)) {
    spawnSync('umount', ['-l', join(netns, f)]);
    rmSync(join(netns, f), { force: true });
  }
  spawnSync('ip', ['link', 'del', bridgeOf()]);
  await d.launch();
  const r = await d.berth(['run', '--rm', 'busybox', 'ping', '-c1', '-W2', d.extraArgs[d.extraArgs.indexOf('--bip') + 1].split('/')[0]]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Once the --rm container's teardown (in the background) is over, the bridge is still up with berth's one endpoint.
  const gone = (await d.api('GET', '/containers/json?all=1')).json.length === 0;
  for (let i = 0; i < 100 && readdirSync(netns).some((f) => f !== 'berth-bridge-keeper'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(gone);
  assert.deepEqual(readdirSync(netns), ['berth-bridge-keeper']);
  assert.equal(readdirSync(`/sys/class/net/${bridgeOf()}/brif`).length, 1);
});
