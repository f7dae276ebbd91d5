#!/usr/bin/env node
// Start-latency benchmark: `run --rm IMG true` through berth, measured side by side
// with its floor (`crun run` of the same busybox bundle), Node's own start-up, the
// stock docker CLI against berthd, and real dockerd/podman where they are usable.
// Also reports berthd's idle RSS. Usage: npm run bench [-- --runs N]
// Needs root, crun and busybox-static. Everything it creates lives under one temp
// dir that is removed at the end, even on error; a berthd of its own serves there.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = { dockerCli: 5, berthRun: 8, rssMb: 60 };
const WARMUP = 2;
const RUN_TIMEOUT_MS = 60_000;

function parseArgs(argv) {
  const opts = { runs: 20 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a.startsWith('--runs=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      opts.runs = Number(v);
      if (!Number.isInteger(opts.runs) || opts.runs < 1) fail(`--runs needs a positive integer, got '${v}'`);
    } else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/run.mjs [--runs N]   (N iterations per case, default 20)');
      process.exit(0);
    } else fail(`unknown argument '${a}' (try --help)`);
  }
  return opts;
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

const say = (msg) => console.log(`bench: ${msg}`);

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

/** Runs a short setup command; returns its result, never throws. */
function runSync(cmd, args, env = process.env, timeout = 120_000) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

/** Times one command from spawn to exit (all stdio closed). */
function timeOnce({ cmd, args, env }) {
  return new Promise((done) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 4096) stderr += d; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, RUN_TIMEOUT_MS);
    child.on('error', (e) => { stderr += e.message; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const why = timedOut ? `no exit after ${RUN_TIMEOUT_MS / 1000} s, killed` : stderr.trim() || `exit ${code ?? signal}`;
      done({ ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: code === 0, why });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function p90(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)];
}

function pingUnix(socketPath, timeoutMs = 1000) {
  return new Promise((done) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mountsUnder(root) {
  const points = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const mp = field.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (mp === root || mp.startsWith(`${root}/`)) points.push(mp);
  }
  return points;
}

function isMountPoint(path) {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
}

/**
 * crun 1.8 refuses every container on a hybrid cgroup host while cgroup2 lists a
 * controller that no v1 hierarchy mounts (hugetlb, at boot here). berthd repairs
 * that when it starts; the bench repeats the same repair when berthd did not run.
 */
function repairHybridCgroups() {
  const listed = '/sys/fs/cgroup/unified/cgroup.controllers';
  if (!existsSync(listed)) return;
  for (const ctrl of readFileSync(listed, 'utf8').trim().split(/\s+/).filter(Boolean)) {
    const dir = `/sys/fs/cgroup/${ctrl}`;
    if (isMountPoint(dir)) continue;
    mkdirSync(dir, { recursive: true });
    const r = runSync('mount', ['-t', 'cgroup', '-o', ctrl, 'cgroup', dir]);
    say(r.ok ? `note: mounted the v1 ${ctrl} cgroup at ${dir} (the crun hybrid-cgroup trap; berthd had not)`
      : `warning: could not mount the v1 ${ctrl} cgroup: ${r.err}`);
  }
}

const LIMIT_NAMES = {
  RLIMIT_CPU: 'Max cpu time', RLIMIT_FSIZE: 'Max file size', RLIMIT_DATA: 'Max data size',
  RLIMIT_STACK: 'Max stack size', RLIMIT_CORE: 'Max core file size', RLIMIT_RSS: 'Max resident set',
  RLIMIT_NPROC: 'Max processes', RLIMIT_NOFILE: 'Max open files', RLIMIT_MEMLOCK: 'Max locked memory',
  RLIMIT_AS: 'Max address space', RLIMIT_LOCKS: 'Max file locks', RLIMIT_SIGPENDING: 'Max pending signals',
  RLIMIT_MSGQUEUE: 'Max msgqueue size', RLIMIT_NICE: 'Max nice priority', RLIMIT_RTPRIO: 'Max realtime priority',
  RLIMIT_RTTIME: 'Max realtime timeout',
};

function hostHardLimits() {
  const hard = {};
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) hard[m[1]] = m[3] === 'unlimited' ? Infinity : Number(m[3]);
  }
  return hard;
}

/** The floor: a `crun spec` bundle over the busybox rootfs, running `true`. */
function makeFloorBundle(tmp, tarball) {
  const bundle = join(tmp, 'floor');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  let r = runSync('tar', ['-xf', tarball, '-C', join(bundle, 'rootfs')]);
  if (!r.ok) throw new Error(`extracting the rootfs failed: ${r.err}`);
  r = spawnSync('crun', ['spec'], { cwd: bundle, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`crun spec failed: ${r.stderr}`);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root.path = join(bundle, 'rootfs');
  const hard = hostHardLimits();
  spec.process.rlimits = (spec.process.rlimits ?? []).map((l) => {
    const cap = hard[LIMIT_NAMES[l.type]] ?? Infinity;
    const h = Math.min(l.hard, cap);
    return { ...l, hard: h, soft: Math.min(l.soft, h) };
  });
  // The network namespace `crun spec` asks for stays: the same as --network none.
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return bundle;
}

const state = { tmp: null, berthd: null, dockerImage: null, podmanArgs: null, cleaned: false };

async function startBerthd(tmp) {
  const berthd = join(repo, 'dist', 'berthd.js');
  const berth = join(repo, 'dist', 'berth.cjs');
  if (!existsSync(berthd) || !existsSync(berth)) {
    say('note: dist/berthd.js or dist/berth.cjs missing (run npm run build): berth cases skipped');
    return null;
  }
  const run = join(tmp, 'run');
  mkdirSync(run, { recursive: true });
  const sock = join(run, 'berth.sock');
  const pidfile = join(run, 'berthd.pid');
  const logPath = join(tmp, 'berthd.log');
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, ['--lite-mode', berthd, '-H', `unix://${sock}`, '--data-root', join(tmp, 'data'),
    '--exec-root', run, '--pidfile', pidfile, '--log-level', 'warn'], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const d = { child, sock, pidfile, logPath, berth, exited: false };
  child.on('exit', () => { d.exited = true; });
  state.berthd = d;
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000 && !d.exited) {
    if (await pingUnix(sock)) {
      say(`berthd up in ${Date.now() - t0} ms on ${sock}`);
      return d;
    }
    await sleep(50);
  }
  const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n') : '';
  say(`note: berthd did not answer /_ping (${d.exited ? 'it exited' : 'timed out'}): berth cases skipped\n${tail}`);
  return null;
}

function berthdPid(d) {
  try {
    const pid = Number(readFileSync(d.pidfile, 'utf8').trim());
    if (pid > 0 && existsSync(`/proc/${pid}`)) return pid;
  } catch { /* no pidfile: use the child */ }
  return d.child.pid;
}

function rssMb(pid, field = 'VmRSS') {
  const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function stopBerthd(d) {
  if (!d || d.exited) return;
  try { process.kill(d.child.pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 100 && !d.exited; i++) await sleep(100);
  if (!d.exited) {
    say('warning: berthd ignored SIGTERM for 10 s; killing it');
    try { process.kill(d.child.pid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 50 && !d.exited; i++) await sleep(100);
  }
}

/** Every process whose command line names the temp dir (conmon, containers, crun). */
function killLeftovers(tmp) {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(tmp)) process.kill(Number(name), 'SIGKILL');
    } catch { /* exited meanwhile */ }
  }
}

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  const { tmp } = state;
  if (state.dockerImage) runSync('docker', ['rmi', '-f', state.dockerImage], { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' });
  if (state.podmanArgs) runSync('podman', [...state.podmanArgs, 'system', 'reset', '--force']);
  await stopBerthd(state.berthd);
  if (!tmp) return;
  const crunRoot = join(tmp, 'crun');
  if (existsSync(crunRoot)) {
    for (const id of runSync('crun', ['--root', crunRoot, 'list', '-q']).out.split('\n').filter(Boolean)) {
      runSync('crun', ['--root', crunRoot, 'delete', '-f', id]);
    }
  }
  killLeftovers(tmp);
  for (let pass = 0; pass < 3; pass++) {
    const points = mountsUnder(tmp).sort((a, b) => b.length - a.length);
    if (points.length === 0) break;
    for (const mp of points) {
      if (!runSync('umount', [mp]).ok) runSync('umount', ['-l', mp]);
    }
  }
  const left = mountsUnder(tmp);
  if (left.length) {
    say(`warning: mounts remain, ${tmp} kept: ${left.join(' ')}`);
    return;
  }
  rmSync(tmp, { recursive: true, force: true });
}

function onSignal(sig) {
  say(`${sig}: cleaning up`);
  cleanup().finally(() => process.exit(130));
}

/** Peer engines, only when already usable: the bench never installs or starts one. */
async function peerCases(tmp, tarball) {
  const cases = [];
  const docker = which('docker');
  if (!which('dockerd')) say('note: no dockerd installed: docker → dockerd skipped');
  else if (!docker) say('note: dockerd installed but no docker CLI: skipped');
  else if (!(await pingUnix('/var/run/docker.sock'))) say('note: dockerd installed but not running: skipped (the bench does not start it)');
  else {
    const env = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONFIG: join(tmp, 'docker-config') };
    delete env.DOCKER_CONTEXT;
    const image = 'berth-bench-busybox:latest';
    const r = runSync(docker, ['import', '--change', 'CMD ["sh"]', tarball, image], env);
    if (!r.ok) say(`note: docker import into dockerd failed: ${r.err}: skipped`);
    else {
      state.dockerImage = image;
      cases.push({ name: 'docker run → dockerd (peer)', cmd: docker, args: ['run', '--rm', '--network', 'none', image, 'true'], env });
    }
  }
  const podman = which('podman');
  if (!podman) say('note: no podman installed: skipped');
  else {
    const p = join(tmp, 'podman');
    const base = ['--root', join(p, 'root'), '--runroot', join(p, 'run'), '--tmpdir', join(p, 'tmp'),
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    state.podmanArgs = base;
    const r = runSync(podman, [...base, 'import', '--change', 'CMD ["sh"]', tarball, 'localhost/busybox:latest']);
    if (!r.ok) say(`note: podman is not usable here (${r.err.split('\n').pop()}): skipped`);
    else cases.push({ name: 'podman run (peer)', cmd: podman, args: [...base, 'run', '--rm', '--network', 'none', 'localhost/busybox', 'true'], env: process.env });
  }
  return cases;
}

function berthCases(d, tmp, tarball) {
  const env = { ...process.env, BERTH_HOST: `unix://${d.sock}` };
  const host = ['-H', `unix://${d.sock}`];
  const r = runSync(process.execPath, [d.berth, ...host, 'import', '--change', 'CMD ["sh"]', tarball, 'busybox:latest'], env);
  if (!r.ok) {
    say(`note: berth import failed: ${r.err || r.out}: berth cases skipped`);
    return [];
  }
  // Run the script itself, as a user's `berth` does: its shebang is part of its start-up.
  const cases = [{ name: 'berth run --rm', cmd: d.berth, args: [...host, 'run', '--rm', '--network', 'none', 'busybox', 'true'], env, target: TARGETS.berthRun }];
  const docker = which('docker');
  if (!docker) say('note: no docker CLI on PATH: docker → berthd skipped');
  else {
    const denv = { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: join(tmp, 'docker-config') };
    delete denv.DOCKER_CONTEXT;
    cases.push({ name: 'docker run → berthd', cmd: docker, args: ['run', '--rm', '--network', 'none', 'busybox', 'true'], env: denv, target: TARGETS.dockerCli });
  }
  return cases;
}

function firstLine(cmd, args) {
  const r = runSync(cmd, args);
  return (r.out || r.err).split('\n')[0];
}

function report(cases, runs, rss) {
  const floor = cases[0].ms.length ? median(cases[0].ms) : NaN;
  const rows = [['case', 'median ms', 'p90 ms', 'x floor', 'target']];
  for (const c of cases) {
    if (!c.ms.length) {
      rows.push([c.name, 'failed', '', '', c.why.split('\n').pop().slice(0, 60)]);
      continue;
    }
    const med = median(c.ms);
    const ratio = med / floor;
    const target = c.target ? `≤ ${c.target}x ${ratio <= c.target ? 'met' : 'MISSED'}` : '';
    rows.push([c.name, med.toFixed(1), p90(c.ms).toFixed(1), `${ratio.toFixed(2)}x`, target]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`\nstart latency of 'run --rm --network none busybox true': ${runs} runs each, interleaved, after ${WARMUP} warm-up runs`);
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, j) => (j === 0 || j === 4 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (rss) {
    const worst = Math.max(rss.idle, rss.after);
    console.log(`\nberthd RSS: ${rss.idle.toFixed(1)} MB idle after warm-up, ${rss.after.toFixed(1)} MB idle after the runs` +
      ` (target < ${TARGETS.rssMb} MB: ${worst < TARGETS.rssMb ? 'met' : 'MISSED'});` +
      ` of that, ${rss.anonAfter.toFixed(1)} MB is private (RssAnon), the rest the node binary's shared pages`);
  }
}

async function main() {
  const { runs } = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('run as root (crun needs it)');
  if (!which('crun')) fail('crun not found (./install.sh installs it)');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tmp = mkdtempSync('/tmp/berth-bench-');
  state.tmp = tmp;
  say(`node ${process.version}, ${firstLine('crun', ['--version'])}, kernel ${firstLine('uname', ['-r'])}, temp dir ${tmp}`);
  const tarball = join(tmp, 'busybox.tar');
  const mk = runSync('sh', [join(repo, 'scripts', 'make-busybox-rootfs.sh'), tarball]);
  if (!mk.ok) throw new Error(`make-busybox-rootfs.sh failed: ${mk.err}`);

  const d = await startBerthd(tmp); // first: berthd repairs the cgroup trap at start
  repairHybridCgroups();
  const bundle = makeFloorBundle(tmp, tarball);
  let floorSeq = 0;
  const floor = { name: 'crun run (floor)', cmd: 'crun', env: process.env };
  Object.defineProperty(floor, 'args', { get: () => ['--root', join(tmp, 'crun'), 'run', '--bundle', bundle, `bench-${process.pid}-${floorSeq++}`] });
  const node0 = { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env: process.env };

  const extraCa = { ...process.env };
  delete extraCa.NODE_EXTRA_CA_CERTS;
  const node0bare = { name: 'node -e 0, no CA file', cmd: process.execPath, args: ['-e', '0'], env: extraCa };
  const refs = process.env.NODE_EXTRA_CA_CERTS ? [node0, node0bare] : [node0];
  const candidates = [floor, ...refs, ...(d ? berthCases(d, tmp, tarball) : []), ...(await peerCases(tmp, tarball))];
  const cases = [];
  for (const c of candidates) {
    const probe = await timeOnce(c);
    c.ms = [];
    c.why = probe.why;
    if (!probe.ok) say(`warning: ${c.name} failed its first run: ${probe.why}`);
    else cases.push(c);
    if (c === floor && !probe.ok) throw new Error('the floor does not run, so no ratio means anything');
  }
  for (let i = 0; i < WARMUP; i++) for (const c of cases) await timeOnce(c);

  const pid = d && !d.exited ? berthdPid(d) : null;
  const rss = pid ? { idle: rssMb(pid), after: NaN, anonAfter: NaN } : null;
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const r = await timeOnce(c);
      if (r.ok) c.ms.push(r.ms);
      else { c.failures = (c.failures ?? 0) + 1; c.why = r.why; }
    }
  }
  if (rss) {
    await sleep(1000);
    rss.after = rssMb(pid);
    rss.anonAfter = rssMb(pid, 'RssAnon');
  }
  for (const c of cases) {
    if (c.failures) say(`warning: ${c.name} failed ${c.failures} of ${runs} runs: ${c.why}`);
  }
  report([...cases, ...candidates.filter((c) => !cases.includes(c))], runs, rss);
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : e}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
