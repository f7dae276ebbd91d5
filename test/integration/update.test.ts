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

const MEM = '/sys/fs/cgroup/memory';

async function inside(name: string, ...files: string[]): Promise<string[]> {
  const r = await d.berth(['exec', name, 'cat', ...files]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test('update changes the limits of a running container, and inspect shows them', async () => {
  await d.berth(['run', '-d', '--name', 'live', '--network', 'none', '-m', '32m', 'busybox', 'sleep', '1000']);
  const r = await d.berth(['update', '-m', '64m', '--memory-swap', '128m', '--memory-reservation', '10m', '--cpus', '0.5',
    '--cpu-shares', '256', '--cpuset-cpus', '0', '--pids-limit', '20', '--restart', 'on-failure:3', 'live']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'live\n');
  assert.deepEqual(
    await inside('live', `${MEM}/memory.limit_in_bytes`, `${MEM}/memory.memsw.limit_in_bytes`, `${MEM}/memory.soft_limit_in_bytes`,
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/cpuset/cpuset.cpus', '/sys/fs/cgroup/pids/pids.max'),
    [String(64 << 20), String(128 << 20), String(10 << 20), '50000', '256', '0', '20'],
  );
  const hc = (await d.api('GET', '/containers/live/json')).json.HostConfig;
  assert.equal(hc.Memory, 64 << 20);
  assert.equal(hc.MemorySwap, 128 << 20);
  assert.equal(hc.MemoryReservation, 10 << 20);
  assert.equal(hc.NanoCpus, 500_000_000);
  assert.equal(hc.CpuShares, 256);
  assert.equal(hc.CpusetCpus, '0');
  assert.equal(hc.PidsLimit, 20);
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  const unlimited = await d.berth(['update', '--pids-limit', '-1', 'live']);
  assert.equal(unlimited.code, 0, unlimited.stderr);
  assert.deepEqual(await inside('live', '/sys/fs/cgroup/pids/pids.max'), ['max']);
  assert.equal((await d.api('GET', '/containers/live/json')).json.HostConfig.PidsLimit, null);
});

test('the API answers docker\'s {"Warnings":[]} and cpu-period/quota apply', async () => {
  await d.berth(['run', '-d', '--name', 'api', '--network', 'none', 'busybox', 'sleep', '1000']);
  const r = await d.api('POST', '/v1.45/containers/api/update', { CpuPeriod: 50000, CpuQuota: 10000, BlkioWeight: 0 });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { Warnings: [] });
  assert.deepEqual(await inside('api', '/sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), ['50000', '10000']);
  const missing = await d.api('POST', '/v1.45/containers/nothere/update', { Memory: 64 << 20 });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.message, 'No such container: nothere');
});

test('update refuses what docker refuses and leaves the container as it was', async () => {
  await d.berth(['run', '-d', '--name', 'strict', '--network', 'none', '-m', '32m', '--cpus', '1', 'busybox', 'sh', '-c',
    'head -c 24m /dev/zero > /dev/shm/fill; sleep 1000']);
  const cases: Array<[string[], RegExp]> = [
    [['-m', '1k'], /Minimum memory limit allowed is 6MB/],
    [['-m', '128m'], /Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/],
    [['-m', '32m', '--memory-swap', '16m'], /Minimum memoryswap limit should be larger than memory limit, see usage/],
    [['--cpu-quota', '5000'], /Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/],
    [['--cpuset-cpus', '64'], /Requested CPUs are not available - requested 64/],
  ];
  for (const [args, message] of cases) {
    const r = await d.berth(['update', ...args, 'strict']);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  // /dev/shm holds 24 MiB the kernel cannot reclaim: a smaller limit is refused by the cgroup itself.
  let fill = await d.berth(['exec', 'strict', 'ls', '/dev/shm']);
  for (let i = 0; i < 100 && !fill.stdout.includes('fill'); i++) fill = await d.berth(['exec', 'strict', 'ls', '/dev/shm']);
  const low = await d.berth(['update', '-m', '8m', '--memory-swap', '8m', 'strict']);
  assert.equal(low.code, 1);
  assert.match(low.stderr, /Error response from daemon: Cannot update container [0-9a-f]{64}: .*memory/i);
  const hc = (await d.api('GET', '/containers/strict/json')).json.HostConfig;
  assert.equal(hc.Memory, 32 << 20);
  assert.equal(hc.NanoCpus, 1e9);
  assert.deepEqual(await inside('strict', `${MEM}/memory.limit_in_bytes`), [String(32 << 20)]);
  const none = await d.berth(['update', 'strict']);
  assert.equal(none.code, 125);
  assert.match(none.stderr, /you must provide one or more flags when using this command/);
});

test('a stopped container keeps its update and gets it at its next start', async () => {
  await d.berth(['create', '--name', 'later', '--network', 'none', '-m', '32m', 'busybox', 'cat', `${MEM}/memory.limit_in_bytes`, '/sys/fs/cgroup/pids/pids.max']);
  const r = await d.berth(['update', '-m', '48m', '--pids-limit', '40', 'later']);
  assert.equal(r.code, 0, r.stderr);
  const run = await d.berth(['start', '-a', 'later']);
  assert.equal(run.stdout, `${48 << 20}\n40\n`);
  await d.berth(['update', '-m', '24m', 'later']);
  const again = await d.berth(['start', '-a', 'later']);
  assert.equal(again.stdout, `${24 << 20}\n40\n`);
  assert.equal((await d.api('GET', '/containers/later/json')).json.HostConfig.Memory, 24 << 20);
});

test('update --restart changes the policy; an auto-removed container refuses one', async () => {
  await d.berth(['create', '--name', 'policy', 'busybox', 'true']);
  assert.equal((await d.berth(['update', '--restart', 'unless-stopped', 'policy'])).code, 0);
  const p = await d.berth(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', 'policy']);
  assert.equal(p.stdout, 'unless-stopped\n');
  await d.berth(['create', '--rm', '--name', 'gone', 'busybox', 'true']);
  const r = await d.berth(['update', '--restart', 'always', 'gone']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/);
});

test('a paused container takes an update too', async () => {
  await d.berth(['run', '-d', '--name', 'frozen', '--network', 'none', '-m', '32m', 'busybox', 'sleep', '1000']);
  assert.equal((await d.berth(['pause', 'frozen'])).code, 0);
  const r = await d.berth(['update', '-m', '40m', '--pids-limit', '15', 'frozen']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await d.berth(['unpause', 'frozen'])).code, 0);
  assert.deepEqual(await inside('frozen', `${MEM}/memory.limit_in_bytes`, '/sys/fs/cgroup/pids/pids.max'), [String(40 << 20), '15']);
});
