import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';

/** Limits are read back from inside the container: the cgroup files its processes are charged to, and ulimit. */
let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

const MEM = '/sys/fs/cgroup/memory';
const CPU = '/sys/fs/cgroup/cpu';
const CPUSET = '/sys/fs/cgroup/cpuset';
const PIDS = '/sys/fs/cgroup/pids';

/** The lines a container prints for `cat FILE...`, keyed by file. */
async function readInside(args: string[], files: string[]): Promise<Record<string, string>> {
  const r = await d.berth(['run', '--rm', '--network', 'none', ...args, 'busybox', 'sh', '-c', `for f in ${files.join(' ')}; do echo "$f=$(cat $f)"; done`]);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function names(): Promise<string[]> {
  return (await d.berth(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
}

describe('run with limits', () => {
  test('memory, reservation, swap, cpus, shares, cpuset and pids reach the cgroup', async () => {
    const got = await readInside(
      ['-m', '32m', '--memory-reservation', '16m', '--memory-swap', '48m', '--cpus', '1.5', '--cpu-shares', '512',
        '--cpuset-cpus', '0', '--cpuset-mems', '0', '--pids-limit', '50', '--oom-kill-disable'],
      [`${MEM}/memory.limit_in_bytes`, `${MEM}/memory.soft_limit_in_bytes`, `${MEM}/memory.memsw.limit_in_bytes`,
        `${CPU}/cpu.cfs_quota_us`, `${CPU}/cpu.cfs_period_us`, `${CPU}/cpu.shares`, `${CPUSET}/cpuset.cpus`,
        `${CPUSET}/cpuset.mems`, `${PIDS}/pids.max`, `${MEM}/memory.oom_control`],
    );
    assert.equal(got[`${MEM}/memory.limit_in_bytes`], String(32 * 1024 * 1024));
    assert.equal(got[`${MEM}/memory.soft_limit_in_bytes`], String(16 * 1024 * 1024));
    assert.equal(got[`${MEM}/memory.memsw.limit_in_bytes`], String(48 * 1024 * 1024));
    assert.equal(got[`${CPU}/cpu.cfs_quota_us`], '150000');
    assert.equal(got[`${CPU}/cpu.cfs_period_us`], '100000');
    assert.equal(got[`${CPU}/cpu.shares`], '512');
    assert.equal(got[`${CPUSET}/cpuset.cpus`], '0');
    assert.equal(got[`${CPUSET}/cpuset.mems`], '0');
    assert.equal(got[`${PIDS}/pids.max`], '50');
    assert.match(got[`${MEM}/memory.oom_control`], /oom_kill_disable 1/);
  });

  test('a memory limit without --memory-swap allows as much swap again, as docker does', async () => {
    const got = await readInside(['-m', '20m'], [`${MEM}/memory.memsw.limit_in_bytes`]);
    assert.equal(got[`${MEM}/memory.memsw.limit_in_bytes`], String(40 * 1024 * 1024));
    const unlimited = await readInside(['-m', '20m', '--memory-swap', '-1'], [`${MEM}/memory.memsw.limit_in_bytes`]);
    assert.ok(Number(unlimited[`${MEM}/memory.memsw.limit_in_bytes`]) > 2 ** 60, 'swap -1 is unlimited');
    const id = (await d.berth(['create', '-m', '20m', 'busybox'])).stdout.trim();
    const hc = (await d.api('GET', `/containers/${id}/json`)).json.HostConfig;
    assert.equal(hc.Memory, 20 * 1024 * 1024);
    assert.equal(hc.MemorySwap, 40 * 1024 * 1024);
    await d.berth(['rm', id]);
  });

  test('cpu-period and cpu-quota, ulimits, oom-score-adj and shm-size reach the process', async () => {
    const r = await d.berth(['run', '--rm', '--network', 'none', '--cpu-period', '50000', '--cpu-quota', '25000',
      '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=300', '--oom-score-adj', '300', '--shm-size', '8m', 'busybox', 'sh', '-c',
      `cat ${CPU}/cpu.cfs_period_us ${CPU}/cpu.cfs_quota_us; ulimit -n; ulimit -Hn; ulimit -u; cat /proc/self/oom_score_adj; df -k /dev/shm | tail -1`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 6), ['50000', '25000', '1024', '2048', '300', '300']);
    assert.match(lines[6], /^shm\s+8192\s/);
  });

  test('inspect shows the limits as given', async () => {
    await d.berth(['create', '--name', 'limited', '-m', '64m', '--cpus', '0.5', '--pids-limit', '30', '--ulimit', 'nofile=100:200', 'busybox']);
    const hc = (await d.api('GET', '/containers/limited/json')).json.HostConfig;
    assert.equal(hc.Memory, 64 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 500_000_000);
    assert.equal(hc.PidsLimit, 30);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }]);
    await d.berth(['rm', 'limited']);
  });

  test('a blkio weight the host cannot apply is discarded with docker\'s warning', async () => {
    const r = await d.berth(['create', '--name', 'weighted', '--blkio-weight', '300', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    const hc = (await d.api('GET', '/containers/weighted/json')).json.HostConfig;
    if (r.stderr.includes('Weight discarded')) {
      assert.match(r.stderr, /WARNING: Your kernel does not support Block I\/O weight or the cgroup is not mounted\. Weight discarded\./);
      assert.equal(hc.BlkioWeight, 0);
    } else {
      assert.equal(hc.BlkioWeight, 300);
    }
    await d.berth(['rm', 'weighted']);
  });
});

describe('invalid limits', () => {
  const ncpu = (async () => (await d.api('GET', '/info')).json.NCPU as number);

  test('are refused with docker\'s wording and create nothing', async () => {
    const n = await ncpu();
    const cases: Array<[string[], RegExp]> = [
      [['--memory', '1k'], /Error response from daemon: Minimum memory limit allowed is 6MB/],
      [['-m', '32m', '--memory-swap', '16m'], /Minimum memoryswap limit should be larger than memory limit, see usage/],
      [['--cpus', String(n + 1)], new RegExp(`range of CPUs is from 0\\.01 to ${n}\\.00, as there are only ${n} CPUs available`)],
      [['--cpus', '-1'], /range of CPUs is from 0\.01/],
      [['--cpuset-cpus', '64'], new RegExp(`Requested CPUs are not available - requested 64, available: 0${n > 1 ? `-${n - 1}` : ''}`)],
      [['--cpuset-cpus', '1-x'], /Invalid value 1-x for cpuset cpus/],
      [['--cpuset-mems', '9'], /Requested memory nodes are not available - requested 9/],
      [['--memory-reservation', '1k'], /Minimum memory reservation allowed is 6MB/],
      [['-m', '8m', '--memory-reservation', '16m'], /Minimum memory limit can not be less than memory reservation limit, see usage/],
      [['--cpu-shares', '-5'], /invalid CPU shares \(-5\): value must be a positive integer/],
      [['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/],
      [['--oom-score-adj', '2000'], /Invalid value 2000, range for oom score adj is \[-1000, 1000\]/],
      [['--cpu-period', '10'], /CPU cfs period can not be less than 1ms/],
      [['--ulimit', 'bogus=1'], /invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus/],
      [['--ulimit', 'nofile'], /invalid ulimit argument: nofile/],
      [['--ulimit', 'nofile=a:b'], /strconv.ParseInt: parsing "a": invalid syntax/],
      [['--ulimit', 'nofile=1:2:3'], /too many limit value arguments - 1:2:3, can only have up to two, `soft\[:hard\]`/],
      [['--ulimit', 'nofile=10:5'], /ulimit soft limit must be less than or equal to hard limit: 10 > 5/],
      [['--memory', '-5'], /invalid argument "-5" for "--memory" flag: invalid size: '-5'/],
    ];
    for (const [args, message] of cases) {
      const r = await d.berth(['create', '--name', 'refused', ...args, 'busybox']);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.deepEqual(await names(), []);
  });

  test('the API answers 400 and creates nothing', async () => {
    const r = await d.api('POST', '/v1.45/containers/create?name=refused', { Image: 'busybox', HostConfig: { Memory: 1024 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'Minimum memory limit allowed is 6MB');
    const u = await d.api('POST', '/v1.45/containers/create?name=refused', { Image: 'busybox', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } });
    assert.equal(u.status, 400);
    assert.match(u.json.message, /10 > 5/);
    assert.deepEqual(await names(), []);
  });
});

describe('out of memory', () => {
  test('a container killed by the OOM killer shows OOMKilled, exits 137, and emits oom before die', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    // tail keeps a line that never ends in memory: it grows until the 16 MiB limit kills it.
    const r = await d.berth(['run', '--name', 'hog', '--network', 'none', '-m', '16m', '--memory-swap', '16m', 'busybox', 'tail', '/dev/zero']);
    assert.equal(r.code, 137, r.stderr);
    const state = (await d.api('GET', '/containers/hog/json')).json.State;
    assert.equal(state.OOMKilled, true);
    assert.equal(state.ExitCode, 137);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await d.berth(['events', '--since', String(since), '--until', String(until), '--filter', 'container=hog', '--format', '{{.Action}}']);
    const actions = ev.stdout.trim().split('\n');
    assert.ok(actions.includes('oom'), ev.stdout);
    assert.ok(actions.indexOf('oom') < actions.indexOf('die'), ev.stdout);
  });

  test('a container that exits on its own is not OOMKilled', async () => {
    const r = await d.berth(['run', '--name', 'calm', '--network', 'none', '-m', '16m', 'busybox', 'sh', '-c', 'exit 137']);
    assert.equal(r.code, 137);
    assert.equal((await d.api('GET', '/containers/calm/json')).json.State.OOMKilled, false);
  });
});
