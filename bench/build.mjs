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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

function time(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return s;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${s.toFixed(3)} s`;

/** no-cache and cached medians for one client command line. */
function measure(label, cmd, baseArgs, dir, env = {}) {
  const nocache = [];
  const cached = [];
  for (let i = 0; i < RUNS; i++) {
    nocache.push(time(cmd, [...baseArgs, '--no-cache', '-q', '-t', 'bench:nc', dir], env));
    cached.push(time(cmd, [...baseArgs, '-q', '-t', 'bench:c', dir], env));
  }
  return { label, nocache: median(nocache), cached: median(cached), bestNocache: Math.min(...nocache), bestCached: Math.min(...cached) };
}

const work = mkdtempSync('/var/tmp/berth-bench-build-');
let daemon;
try {
  makeContext(work);
  daemon = await TestDaemon.start({ busybox: true });
  const results = [];
  results.push(measure('berth build', process.execPath, [BERTH, '-H', daemon.host, 'build'], work));
  if (spawnSync('docker', ['--version']).status === 0) {
    results.push(measure('DOCKER_BUILDKIT=0 docker build -> berthd', 'docker', ['build'], work, { DOCKER_HOST: daemon.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(work, 'docker-config') }));
  }
  const realDocker = spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'info'], { encoding: 'utf8' }).status === 0;
  if (realDocker) results.push(measure('docker legacy -> dockerd', 'docker', ['-H', 'unix:///var/run/docker.sock', 'build'], work, { DOCKER_BUILDKIT: '0' }));
  const podman = spawnSync('podman', ['info'], { encoding: 'utf8' }).status === 0;
  if (podman) results.push(measure('podman build', 'podman', ['build'], work));
  console.log(`build bench: FROM busybox, 5 RUN, COPY of 1000 files; median of ${RUNS} runs`);
  console.log(`${'client'.padEnd(44)}${'no cache'.padStart(12)}${'cached'.padStart(12)}${'best no cache'.padStart(15)}${'best cached'.padStart(13)}`);
  for (const r of results) console.log(`${r.label.padEnd(44)}${fmt(r.nocache).padStart(12)}${fmt(r.cached).padStart(12)}${fmt(r.bestNocache).padStart(15)}${fmt(r.bestCached).padStart(13)}`);
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
