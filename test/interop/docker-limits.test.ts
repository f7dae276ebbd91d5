import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

/** The stock docker CLI's limit flags, update and OOM report against berthd. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
before(async () => {
  if (hasDocker) d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

test('docker run -m, --cpus, --pids-limit and --ulimit reach the container', { skip }, async () => {
  const r = await d.docker(['run', '--rm', '--network', 'none', '-m', '32m', '--cpus', '0.5', '--pids-limit', '40', '--ulimit', 'nofile=512:1024',
    'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; ulimit -n; ulimit -Hn']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${32 << 20}\n50000\n40\n512\n1024\n`);
});

test('docker run refuses invalid limits with the daemon\'s words', { skip }, async () => {
  const r = await d.docker(['run', '--rm', '-m', '1k', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Minimum memory limit allowed is 6MB/);
  const c = await d.docker(['run', '--rm', '--cpus', '64', 'busybox', 'true']);
  assert.equal(c.code, 125);
  assert.match(c.stderr, /range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/);
});

test('docker update changes a running container and docker inspect shows it', { skip }, async () => {
  const id = (await d.docker(['run', '-d', '--network', 'none', '-m', '32m', 'busybox', 'sleep', '1000'])).stdout.trim();
  const u = await d.docker(['update', '-m', '48m', '--memory-swap', '96m', '--cpu-shares', '300', '--pids-limit', '25', '--restart', 'always', id]);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(u.stdout.trim(), id);
  const e = await d.docker(['exec', id, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/pids/pids.max']);
  assert.equal(e.stdout, `${48 << 20}\n300\n25\n`);
  const i = await d.docker(['inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}', id]);
  assert.equal(i.stdout.trim(), `${48 << 20} ${96 << 20} 300 25 always`);
  const bad = await d.docker(['update', '-m', '200m', id]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  await d.docker(['rm', '-f', id]);
});

test('docker inspect reports an OOM kill', { skip }, async () => {
  const r = await d.docker(['run', '--name', 'dhog', '--network', 'none', '-m', '16m', '--memory-swap', '16m', 'busybox', 'tail', '/dev/zero']);
  assert.equal(r.code, 137);
  const i = await d.docker(['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'dhog']);
  assert.equal(i.stdout.trim(), 'true 137');
});

test('docker info names json-file; docker logs reads a log across its rotations', { skip }, async () => {
  assert.equal((await d.docker(['info', '--format', '{{.LoggingDriver}}'])).stdout.trim(), 'json-file');
  // Two batches of about 20 kB, past max-size: the second starts after the first was rotated.
  const id = (await d.docker(['run', '-d', '--network', 'none', '--log-opt', 'max-size=8k', '--log-opt', 'max-file=5', 'busybox', 'sh', '-c',
    "i=0; for k in 1 2; do j=0; while [ $j -lt 150 ]; do j=$((j+1)); i=$((i+1)); printf 'line %-94s\\n' $i; done; while [ ! -e /tmp/go$k ]; do sleep 0.05; done; done"])).stdout.trim();
  const dir = join(d.dataRoot, 'containers', id);
  for (const k of [1, 2]) {
    for (let i = 0; i < 400 && !readdirSync(dir).includes('ctr.log.1'); i++) await new Promise((r) => setTimeout(r, 25));
    await d.docker(['exec', id, 'touch', `/tmp/go${k}`]);
  }
  assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
  assert.ok(readdirSync(dir).some((n) => /^ctr\.log\.\d+$/.test(n)), 'the log was rotated');
  const logs = await d.docker(['logs', id]);
  assert.equal(logs.code, 0, logs.stderr);
  const ns = logs.stdout.trim().split('\n').map((l) => Number(/^line (\d+)/.exec(l)?.[1]));
  assert.equal(ns.at(-1), 300);
  for (let i = 1; i < ns.length; i++) assert.equal(ns[i], ns[i - 1] + 1);
  const tail = await d.docker(['logs', '--tail', '2', id]);
  assert.match(tail.stdout, /^line 299 +\nline 300 +\n$/);
  const lc = await d.docker(['inspect', '--format', '{{json .HostConfig.LogConfig}}', id]);
  assert.equal(lc.stdout.trim(), '{"Type":"json-file","Config":{"max-file":"5","max-size":"8k"}}');
});

test('docker logs of a container with --log-driver none fails with docker\'s words', { skip }, async () => {
  const run = await d.docker(['run', '--name', 'quiet', '--network', 'none', '--log-driver', 'none', 'busybox', 'echo', 'shown']);
  assert.equal(run.stdout, 'shown\n');
  const logs = await d.docker(['logs', 'quiet']);
  assert.equal(logs.code, 1);
  assert.match(logs.stderr, /configured logging driver does not support reading/);
});

test('docker stats shows the memory limit and the network I/O', { skip }, async () => {
  const id = (await d.docker(['run', '-d', '-m', '48m', 'busybox', 'sleep', '1000'])).stdout.trim();
  const gateway = (await d.docker(['inspect', '--format', '{{.NetworkSettings.Gateway}}', id])).stdout.trim();
  assert.equal((await d.docker(['exec', id, 'ping', '-c', '3', '-s', '1000', gateway])).code, 0);
  const s = await d.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}|{{.NetIO}}', id]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^\S+ \/ 48MiB\|[\d.]+kB \/ [\d.]+kB\n$/);
  await d.docker(['rm', '-f', id]);
});
