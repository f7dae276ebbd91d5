#!/usr/bin/env node
// Network cost benchmark: create + start + wait-removed of `true` with AutoRemove,
// through the API, on --network none against the default bridge (netavark setup and
// teardown) and the bridge with one published port. Reports medians and the ratio
// to none. Usage: node bench/network.mjs [RUNS]   (after npm run build; needs root)
// Uses the test daemon helper: its own roots, bridge and subnet, all removed at the end.
import { TestDaemon } from '../build/test/helpers/daemon.js';
import { freePort } from '../build/test/helpers/net.js';

const runs = Number(process.argv[2] ?? 20);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const d = await TestDaemon.start();
try {
  const one = async (hostConfig) => {
    const t = performance.now();
    const r = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], ExposedPorts: { '80/tcp': {} }, HostConfig: { AutoRemove: true, ...hostConfig } });
    if (r.status !== 201) throw new Error(`create failed: ${r.body}`);
    const removed = d.api('POST', `/containers/${r.json.Id}/wait?condition=removed`);
    const s = await d.api('POST', `/containers/${r.json.Id}/start`);
    if (s.status !== 204) throw new Error(`start failed: ${s.body}`);
    await removed;
    return performance.now() - t;
  };
  const cases = {
    none: () => ({ NetworkMode: 'none' }),
    bridge: () => ({ NetworkMode: 'bridge' }),
    'bridge -p': async () => ({ NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(await freePort()) }] } }),
  };
  const results = {};
  for (const [name, make] of Object.entries(cases)) {
    await one(await make()); // warm-up
    const times = [];
    for (let i = 0; i < runs; i++) times.push(await one(await make()));
    results[name] = median(times);
  }
  for (const [name, ms] of Object.entries(results)) {
    console.log(`${name.padEnd(10)} median ${ms.toFixed(1)} ms   ratio to none ${(ms / results.none).toFixed(2)}`);
  }
} finally {
  await d.stop();
}
