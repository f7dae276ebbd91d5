#!/usr/bin/env node
// Build speed: a Dockerfile `FROM busybox` with 5 RUN steps and a COPY of 1000
// small files, built with no cache, then rebuilt fully cached, through
// `berth build` and through the stock docker CLI's legacy builder
// (DOCKER_BUILDKIT=0 docker build) against the same berthd, plus a real
// dockerd / podman when one is running here. Prints medians and the ratios
// to the targets: no cache <= BuildKit's 2.1 s, cached <= half of BuildKit's
// 0.36 s (figures measured on this machine class, see the builder issue).
// Usage: npm run build && node bench/build.mjs [--runs N]. Needs root.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, TestDaemon } from '../build/test/helpers/daemon.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const TARGET_NOCACHE = 2.1;
const TARGET_CACHED = 0.18;

function makeContext(dir) {
  mkdirSync(join(dir, 'files'), { recursive: true });
  for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'files', `f${String(i).padStart(4, '0')}.txt`), `file ${i}\n`);
  writeFileSync(
    join(dir, 'Dockerfile'),
    ['FROM busybox', 'RUN echo one > /one', 'RUN echo two > /two', 'COPY files /files', 'RUN ls /files | wc -l > /count', 'RUN echo four > /four', 'RUN echo five > /five', 'CMD ["cat", "/count"]', ''].join('\n'),
  );
}

/** CPU seconds (user + system) of a process and its reaped children, from /proc (100 Hz ticks). */
function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}
let daemonPid = 0;
const cpuNow = () => cpu(process.pid) + (daemonPid ? cpu(daemonPid) : 0);

function time(cmd, args, env) {
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  lastCpu = cpuNow() - c0;
  return s;
}
let lastCpu = 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${s.toFixed(3)} s`;

/** no-cache and cached medians for one client command line. */
function measure(label, cmd, baseArgs, dir, env = {}) {
  const nocache = [];
  const cached = [];
  const cpuNc = [];
  const cpuC = [];
  for (let i = 0; i < RUNS; i++) {
    nocache.push(time(cmd, [...baseArgs, '--no-cache', '-q', '-t', 'bench:nc', dir], env));
    cpuNc.push(lastCpu);
    cached.push(time(cmd, [...baseArgs, '-q', '-t', 'bench:c', dir], env));
    cpuC.push(lastCpu);
  }
  return { label, nocache: median(nocache), cached: median(cached), bestNocache: Math.min(...nocache), bestCached: Math.min(...cached), cpuNocache: median(cpuNc), cpuCached: median(cpuC) };
}

const work = mkdtempSync('/var/tmp/berth-bench-build-');
let daemon;
try {
  makeContext(work);
  daemon = await TestDaemon.start({ busybox: true });
  daemonPid = daemon.pid;
  const results = [];
  // The floor: a trivial command through the same CLI and daemon (node start-up, one request).
  const floor = [];
  for (let i = 0; i < RUNS; i++) floor.push(time(process.execPath, [BERTH, '-H', daemon.host, 'images', '-q']));
  results.push(measure('berth build', process.execPath, [BERTH, '-H', daemon.host, 'build'], work));
  if (spawnSync('docker', ['--version']).status === 0) {
    results.push(measure('DOCKER_BUILDKIT=0 docker build -> berthd', 'docker', ['build'], work, { DOCKER_HOST: daemon.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(work, 'docker-config') }));
  }
  const realDocker = spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'info'], { encoding: 'utf8' }).status === 0;
  if (realDocker) results.push(measure('docker legacy -> dockerd', 'docker', ['-H', 'unix:///var/run/docker.sock', 'build'], work, { DOCKER_BUILDKIT: '0' }));
  const podman = spawnSync('podman', ['info'], { encoding: 'utf8' }).status === 0;
  if (podman) results.push(measure('podman build', 'podman', ['build'], work));
  console.log(`build bench: FROM busybox, 5 RUN, COPY of 1000 files; median of ${RUNS} runs`);
  console.log(`${'client'.padEnd(44)}${'no cache'.padStart(10)}${'cached'.padStart(10)}${'best nc'.padStart(10)}${'best c'.padStart(10)}${'cpu nc'.padStart(10)}${'cpu c'.padStart(10)}`);
  for (const r of results) console.log(`${r.label.padEnd(44)}${fmt(r.nocache).padStart(10)}${fmt(r.cached).padStart(10)}${fmt(r.bestNocache).padStart(10)}${fmt(r.bestCached).padStart(10)}${fmt(r.cpuNocache).padStart(10)}${fmt(r.cpuCached).padStart(10)}`);
  console.log(`floor (berth images -q, same daemon): median ${fmt(median(floor))}, best ${fmt(Math.min(...floor))}`);
  console.log('cpu = CPU time of client, daemon and runtime processes together (user + system), a figure the machine load does not inflate');
  console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
  const b = results[0];
  console.log(`targets: no cache <= ${TARGET_NOCACHE} s (BuildKit), cached <= ${TARGET_CACHED} s (half of BuildKit's 0.36 s)`);
  console.log(`berth / target: no cache ${(b.nocache / TARGET_NOCACHE).toFixed(2)}x, cached ${(b.cached / TARGET_CACHED).toFixed(2)}x`);
  console.log(`berth vs the issue's figures: no cache ${(b.nocache / 3.4).toFixed(2)}x docker legacy, ${(b.nocache / 2.1).toFixed(2)}x BuildKit, ${(b.nocache / 3.3).toFixed(2)}x podman;` +
    ` cached ${(b.cached / 0.94).toFixed(2)}x docker legacy, ${(b.cached / 0.36).toFixed(2)}x BuildKit, ${(b.cached / 1.24).toFixed(2)}x podman`);
  if (!realDocker && !podman) console.log('(no dockerd or podman runs here: compared with the figures in the issue)');
} finally {
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
}
