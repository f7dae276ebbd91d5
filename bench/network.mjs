#!/usr/bin/env node
// Network cost benchmark: create + start + wait-removed of `true` with AutoRemove,
// through the API, on --network none, the default bridge (netavark setup and
// teardown) and the bridge with one published port, interleaved round by round
// with the floor (`crun run` of the same busybox rootfs running `true`). Reports
// medians, the ratio to the floor and to none. `-p (after -p)` starts right after
// another published-port container went, while that one's teardown runs. Also times the berth CLI's
// `run --rm busybox true` on the default bridge, the issue's own case.
// Usage: node bench/network.mjs [RUNS]   (after npm run build; needs root)
// Uses the test daemon helper: its own roots, bridge and subnet, all removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, TestDaemon, busyboxTar } from '../build/test/helpers/daemon.js';
import { freePort } from '../build/test/helpers/net.js';

const runs = Number(process.argv[2] ?? 20);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A `crun spec` bundle over the busybox rootfs running `true`, rlimits dropped (the host's hard limits are low). */
function floorBundle(tmp) {
  const bundle = join(tmp, 'floor');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  spawnSync('tar', ['-xf', busyboxTar(), '-C', join(bundle, 'rootfs')]);
  spawnSync('crun', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  Object.assign(spec.process, { terminal: false, args: ['true'], rlimits: [] });
  spec.root.path = join(bundle, 'rootfs');
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

function timeProcess(cmd, args) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${cmd} ${args.join(' ')}: ${err}`))));
  });
}

const tmp = mkdtempSync('/var/tmp/berth-bench-net-');
const d = await TestDaemon.start();
try {
  const bundle = floorBundle(tmp);
  let seq = 0;
  const floor = () => timeProcess('crun', ['--root', join(tmp, 'crun'), 'run', '--bundle', bundle, `bench-${process.pid}-${seq++}`]);
  const api = async (hostConfig) => {
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
    'crun run (floor)': floor,
    'api none': () => api({ NetworkMode: 'none' }),
    'api bridge': () => api({ NetworkMode: 'bridge' }),
    'api bridge -p': async () => api({ NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(await freePort()) }] } }),
    'api bridge -p (after -p)': async () => api({ NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(await freePort()) }] } }),
    'berth run --rm (none)': () => timeProcess(process.execPath, [BERTH, '-H', d.host, 'run', '--rm', '--network', 'none', 'busybox', 'true']),
    'berth run --rm (bridge)': () => timeProcess(process.execPath, [BERTH, '-H', d.host, 'run', '--rm', 'busybox', 'true']),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const run of Object.values(cases)) await run(); // warm-up
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(cases)) times[name].push(await run());
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const base = m['crun run (floor)'];
  console.log(`${runs} interleaved rounds, medians`);
  for (const [name, ms] of Object.entries(m)) {
    const none = name.startsWith('api ') ? `   x api none ${(ms / m['api none']).toFixed(2)}` : '';
    console.log(`${name.padEnd(26)} ${ms.toFixed(1).padStart(7)} ms   x floor ${(ms / base).toFixed(1).padStart(5)}${none}`);
  }
} finally {
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
}
