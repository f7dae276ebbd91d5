import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

test('stats reports the network I/O of the container\'s interfaces, without loopback', async () => {
  await d.berth(['run', '-d', '--name', 'talker', 'busybox', 'sleep', '1000']);
  const gateway = (await d.api('GET', '/containers/talker/json')).json.NetworkSettings.Gateway as string;
  const ping = await d.berth(['exec', 'talker', 'ping', '-c', '3', '-s', '1000', gateway]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  await d.berth(['exec', 'talker', 'ping', '-c', '2', '127.0.0.1']);
  const s = (await d.api('GET', '/containers/talker/stats?stream=0&one-shot=1')).json;
  assert.deepEqual(Object.keys(s.networks), ['eth0']);
  const eth0 = s.networks.eth0;
  assert.ok(eth0.tx_packets >= 3 && eth0.rx_packets >= 3, JSON.stringify(eth0));
  assert.ok(eth0.tx_bytes >= 3000 && eth0.rx_bytes >= 3000, JSON.stringify(eth0));
  for (const k of ['rx_errors', 'rx_dropped', 'tx_errors', 'tx_dropped']) assert.equal(typeof eth0[k], 'number');
  const cli = await d.berth(['stats', '--no-stream', '--format', '{{.NetIO}}', 'talker']);
  assert.match(cli.stdout, /^\d+(\.\d+)?kB \/ \d+(\.\d+)?kB\n$/);
});

test('a container without a network reports no interfaces', async () => {
  await d.berth(['run', '-d', '--name', 'alone', '--network', 'none', 'busybox', 'sleep', '1000']);
  const s = (await d.api('GET', '/containers/alone/stats?stream=0&one-shot=1')).json;
  assert.equal(s.networks, undefined);
});
