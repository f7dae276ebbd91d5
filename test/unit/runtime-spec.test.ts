import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ALL_CAPABILITIES, DEFAULT_CAPABILITIES, buildSpec, hostLimits, parseCgroupLayout, parseProcLimits,
  type ContainerSpecInput, type HostLimits,
} from '../../src/runtime/index.js';
import { ensureCgroupsUsable, type CgroupHost } from '../../src/runtime/cgroups.js';
import { conmonArgs, parseSyncMessage, type ConmonOptions } from '../../src/runtime/conmon.js';
import { isEngineError } from '../../src/util/errors.js';

const host: HostLimits = { limits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 }, RLIMIT_NPROC: { soft: 500, hard: 600 } }, canRaiseHard: false };

function input(over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return {
    id: 'c1',
    rootfs: '/var/lib/berth/containers/c1/merged',
    process: { args: ['sh'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false },
    hostname: 'c1',
    network: { mode: 'none' },
    mounts: [],
    cgroupsPath: '/berth/c1',
    ...over,
  };
}

const invalid = (fn: () => unknown, text: RegExp): void =>
  assert.throws(fn, (err: unknown) => isEngineError(err, 'InvalidArgument') && text.test((err as Error).message));

describe('capabilities', () => {
  it('an unprivileged container gets exactly Docker\'s fourteen default capabilities in every set that grants', () => {
    const caps = buildSpec(input(), host).process.capabilities!;
    assert.deepEqual(caps.bounding, [...DEFAULT_CAPABILITIES]);
    assert.equal(caps.bounding.length, 14);
    assert.deepEqual(caps.effective, caps.bounding);
    assert.deepEqual(caps.permitted, caps.bounding);
    assert.deepEqual(caps.inheritable, []);
    assert.deepEqual(caps.ambient, []);
  });

  it('cap-add and cap-drop take names with or without CAP_, in any case', () => {
    const caps = buildSpec(input({ capAdd: ['net_admin', 'CAP_SYS_TIME'], capDrop: ['chown', 'CAP_KILL'] }), host).process.capabilities!;
    assert.ok(caps.bounding.includes('CAP_NET_ADMIN'));
    assert.ok(caps.bounding.includes('CAP_SYS_TIME'));
    assert.ok(!caps.bounding.includes('CAP_CHOWN'));
    assert.ok(!caps.bounding.includes('CAP_KILL'));
    assert.equal(caps.bounding.length, 14);
  });

  it('cap-add ALL grants every capability except the dropped ones', () => {
    const caps = buildSpec(input({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }), host).process.capabilities!;
    assert.equal(caps.bounding.length, ALL_CAPABILITIES.length - 1);
    assert.ok(!caps.bounding.includes('CAP_SYS_ADMIN'));
  });

  it('cap-drop ALL keeps only the added capabilities', () => {
    const caps = buildSpec(input({ capDrop: ['all'], capAdd: ['NET_BIND_SERVICE'] }), host).process.capabilities!;
    assert.deepEqual(caps.bounding, ['CAP_NET_BIND_SERVICE']);
  });

  it('an unknown capability is refused with its name', () => {
    invalid(() => buildSpec(input({ capAdd: ['FLY'] }), host), /"FLY"/);
  });

  it('privileged gets every capability, no masked or read-only paths, a writable /sys and every device', () => {
    const spec = buildSpec(input({ privileged: true }), host);
    assert.equal(spec.process.capabilities!.bounding.length, ALL_CAPABILITIES.length);
    assert.deepEqual(spec.linux.maskedPaths, []);
    assert.deepEqual(spec.linux.readonlyPaths, []);
    assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('rw'));
    assert.deepEqual(spec.linux.resources!.devices, [{ allow: true, access: 'rwm' }]);
  });

  it('privileged gets only the capabilities the daemon itself may hold', () => {
    const withoutSysResource = ((1n << 41n) - 1n) & ~(1n << 24n);
    const caps = buildSpec(input({ privileged: true }), { ...host, boundingCaps: withoutSysResource }).process.capabilities!.bounding;
    assert.equal(caps.length, ALL_CAPABILITIES.length - 1);
    assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
  });

  it('an unprivileged container has Docker\'s masked paths and a read-only /sys', () => {
    const spec = buildSpec(input(), host);
    assert.ok(spec.linux.maskedPaths!.includes('/proc/kcore'));
    assert.ok(spec.linux.readonlyPaths!.includes('/proc/sys'));
    assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
    assert.deepEqual(spec.linux.resources!.devices![0], { allow: false, access: 'rwm' });
  });
});

describe('rlimits', () => {
  it('NOFILE is the host\'s own soft and hard limit', () => {
    assert.deepEqual(buildSpec(input(), host).process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }]);
  });

  it('no rlimit of a default spec exceeds this machine\'s hard limits', () => {
    const real = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
    const rlimits = buildSpec(input()).process.rlimits!;
    assert.ok(rlimits.some((r) => r.type === 'RLIMIT_NOFILE'));
    for (const r of rlimits) assert.ok(r.hard <= real[r.type].hard && r.soft <= r.hard, `${r.type} fits`);
    assert.deepEqual(hostLimits().limits.RLIMIT_NOFILE, real.RLIMIT_NOFILE);
  });

  it('/proc/self/limits is read with unlimited as Infinity', () => {
    const parsed = parseProcLimits(
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
        'Max cpu time              unlimited            unlimited            seconds   \n' +
        'Max open files            20000                20000                files     \n',
    );
    assert.deepEqual(parsed, { RLIMIT_CPU: { soft: Infinity, hard: Infinity }, RLIMIT_NOFILE: { soft: 20000, hard: 20000 } });
  });

  it('a ulimit within the host\'s hard limit replaces the default', () => {
    const spec = buildSpec(input({ ulimits: [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'nproc', soft: 10, hard: 20 }] }), host);
    assert.deepEqual(spec.process.rlimits, [
      { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
      { type: 'RLIMIT_NPROC', soft: 10, hard: 20 },
    ]);
  });

  it('a ulimit above the host\'s hard limit is refused unless the daemon may raise limits', () => {
    const ul = { ulimits: [{ name: 'nofile', soft: 1024, hard: 1048576 }] };
    invalid(() => buildSpec(input(ul), host), /nofile.*1048576.*20000/);
    const spec = buildSpec(input(ul), { ...host, canRaiseHard: true });
    assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1048576 }]);
  });

  it('a ulimit with soft above hard is refused', () => {
    invalid(() => buildSpec(input({ ulimits: [{ name: 'nofile', soft: 9, hard: 8 }] }), host), /soft limit 9 is above hard limit 8/);
  });
});

describe('namespaces and process', () => {
  const nsTypes = (spec: ReturnType<typeof buildSpec>): string[] => spec.linux.namespaces.map((n) => n.type).sort();

  it('network none makes a new network namespace', () => {
    const spec = buildSpec(input({ network: { mode: 'none' } }), host);
    assert.deepEqual(nsTypes(spec), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    assert.equal(spec.linux.namespaces.find((n) => n.type === 'network')!.path, undefined);
  });

  it('network host keeps the host\'s network namespace', () => {
    assert.deepEqual(nsTypes(buildSpec(input({ network: { mode: 'host' } }), host)), ['cgroup', 'ipc', 'mount', 'pid', 'uts']);
  });

  it('network netns joins the given namespace', () => {
    const spec = buildSpec(input({ network: { mode: 'netns', path: '/run/netns/berth-1' } }), host);
    assert.deepEqual(spec.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/berth-1' });
  });

  it('net sysctls are refused with the host network and kept otherwise', () => {
    invalid(() => buildSpec(input({ network: { mode: 'host' }, sysctls: { 'net.ipv4.ip_forward': '1' } }), host), /net\.ipv4\.ip_forward/);
    const spec = buildSpec(input({ sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' } }), host);
    assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
    invalid(() => buildSpec(input({ sysctls: { 'vm.swappiness': '1' } }), host), /vm\.swappiness/);
  });

  it('the terminal flag, user, cwd and environment are copied', () => {
    const spec = buildSpec(input({
      process: { args: ['id'], env: ['A=1'], cwd: '/work', user: { uid: 1000, gid: 100, additionalGids: [5], umask: 0o22 }, terminal: true },
    }), host);
    assert.equal(spec.process.terminal, true);
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 100, umask: 0o22, additionalGids: [5] });
    assert.equal(spec.process.cwd, '/work');
    assert.deepEqual(spec.process.env, ['A=1']);
    assert.equal(buildSpec(input(), host).process.terminal, false);
  });

  it('a relative rootfs or working directory is refused', () => {
    invalid(() => buildSpec(input({ rootfs: 'rootfs' }), host), /rootfs/);
    invalid(() => buildSpec(input({ process: { ...input().process, cwd: 'tmp' } }), host), /working directory/);
  });

  it('annotations are copied and the stop signal is recorded', () => {
    const spec = buildSpec(input({ annotations: { a: 'b' }, stopSignal: 'SIGQUIT' }), host);
    assert.deepEqual(spec.annotations, { a: 'b', 'org.opencontainers.image.stopSignal': 'SIGQUIT' });
  });
});

describe('mounts and resources', () => {
  it('the default mounts are Docker\'s, with a 64 MiB /dev/shm unless told otherwise', () => {
    const spec = buildSpec(input(), host);
    assert.deepEqual(spec.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
    assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes(`size=${64 * 1024 * 1024}`));
    const small = buildSpec(input({ shmSizeBytes: 1 << 20 }), host);
    assert.ok(small.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=1048576'));
  });

  it('an extra mount replaces the default at its destination, and extras mount parents first', () => {
    const spec = buildSpec(input({
      mounts: [
        { destination: '/data/sub', type: 'bind', source: '/srv/b', options: ['rbind'] },
        { destination: '/data', type: 'bind', source: '/srv/a', options: ['rbind'] },
        { destination: '/dev/shm', type: 'bind', source: '/srv/shm', options: ['rbind'] },
      ],
    }), host);
    const dests = spec.mounts.map((m) => m.destination);
    assert.equal(dests.filter((d) => d === '/dev/shm').length, 1);
    assert.equal(spec.mounts.find((m) => m.destination === '/dev/shm')!.source, '/srv/shm');
    assert.ok(dests.indexOf('/data') < dests.indexOf('/data/sub'));
  });

  it('resources map to memory, cpu and pids', () => {
    const spec = buildSpec(input({
      resources: { memoryBytes: 1 << 26, memorySwapBytes: -1, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: '0', pidsLimit: 64 },
    }), host);
    const r = spec.linux.resources!;
    assert.deepEqual(r.memory, { limit: 1 << 26, swap: -1 });
    assert.deepEqual(r.cpu, { shares: 512, quota: 50000, period: 100000, cpus: '0' });
    assert.deepEqual(r.pids, { limit: 64 });
    assert.equal(spec.linux.cgroupsPath, '/berth/c1');
  });

  it('no resources means no limits, and a pids limit of 0 means unlimited', () => {
    const r = buildSpec(input({ resources: { pidsLimit: 0 } }), host).linux.resources!;
    assert.equal(r.memory, undefined);
    assert.equal(r.cpu, undefined);
    assert.equal(r.pids, undefined);
  });

  it('a read-only rootfs is marked read-only', () => {
    assert.equal(buildSpec(input({ readonlyRootfs: true }), host).root.readonly, true);
    assert.equal(buildSpec(input(), host).root.readonly, false);
  });
});

describe('conmon arguments', () => {
  const base: ConmonOptions = {
    conmonPath: '/usr/bin/conmon', runtimePath: '/usr/bin/crun', runtimeArgs: ['--root=/run/x'], id: 'c1', bundleDir: '/b',
    pidFile: '/p', conmonPidFile: '/cp', exitDir: '/e', persistDir: '/d', socketDir: '/s', logPath: '/l', logLevel: 'error',
    terminal: false, stdin: false, leaveStdinOpen: false, syncLog: false, timeoutMs: 1000,
  };

  it('a terminal container gets -t and no -i; a stdin container without one gets -i', () => {
    assert.ok(conmonArgs({ ...base, terminal: true, stdin: true }).includes('-t'));
    assert.ok(!conmonArgs({ ...base, terminal: true, stdin: true }).includes('-i'));
    assert.ok(conmonArgs({ ...base, stdin: true }).includes('-i'));
    assert.ok(!conmonArgs(base).includes('-t'));
  });

  it('runtime flags are passed one --runtime-arg each, and the log is k8s-file', () => {
    const args = conmonArgs(base);
    assert.deepEqual(args.slice(args.indexOf('--runtime-arg'), args.indexOf('--runtime-arg') + 2), ['--runtime-arg', '--root=/run/x']);
    assert.equal(args[args.indexOf('-l') + 1], 'k8s-file:/l');
  });

  it('the sync message gives the pid, or the failure text', () => {
    assert.deepEqual(parseSyncMessage('{"data": 42}'), { ok: true, pid: 42 });
    assert.deepEqual(parseSyncMessage('{"data": -1, "message": "boom\\n"}'), { ok: false, message: 'boom', timedOut: false });
  });
});

describe('cgroups', () => {
  const HYBRID =
    '30 24 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n' +
    '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n' +
    '32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n' +
    '33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n' +
    '34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';

  it('a host with v1 controllers and a cgroup2 tree is hybrid', () => {
    const l = parseCgroupLayout(HYBRID);
    assert.equal(l.mode, 'hybrid');
    assert.equal(l.unifiedPath, '/sys/fs/cgroup/unified');
    assert.equal(l.v1Root, '/sys/fs/cgroup');
    assert.deepEqual([...l.v1Mounts.keys()].sort(), ['cpu', 'memory']);
  });

  it('pure v2 and pure v1 hosts are told apart', () => {
    assert.equal(parseCgroupLayout('30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n').mode, 'v2');
    assert.equal(parseCgroupLayout('31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n').mode, 'v1');
  });

  function fakeHost(mountinfo: string, offered: string[], bindFails = false): CgroupHost & { binds: string[] } {
    const binds: string[] = [];
    return {
      binds,
      mountinfo: async () => mountinfo,
      controllers: async () => [...offered],
      bind: async (ctrl, target) => {
        if (bindFails) throw new Error('mount: permission denied');
        binds.push(`${ctrl}@${target}`);
        offered.splice(offered.indexOf(ctrl), 1);
      },
    };
  }

  it('on a hybrid host every controller cgroup2 still offers is bound to v1, once', async () => {
    const offered = ['hugetlb'];
    const h = fakeHost(HYBRID, offered);
    const first = await ensureCgroupsUsable(h);
    assert.deepEqual(h.binds, ['hugetlb@/sys/fs/cgroup/hugetlb']);
    assert.deepEqual(first.mounted, ['hugetlb']);
    assert.equal(first.crunBlocker, undefined);
    const again = await ensureCgroupsUsable(h);
    assert.deepEqual(again.mounted, []);
    assert.equal(h.binds.length, 1);
  });

  it('a controller that cannot be bound is reported as the reason crun cannot run', async () => {
    const res = await ensureCgroupsUsable(fakeHost(HYBRID, ['hugetlb'], true));
    assert.match(res.crunBlocker ?? '', /hugetlb.*permission denied/);
  });

  it('pure v1 and v2 hosts are left alone', async () => {
    const h = fakeHost('30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', ['cpu', 'memory']);
    const res = await ensureCgroupsUsable(h);
    assert.equal(res.layout.mode, 'v2');
    assert.deepEqual(h.binds, []);
    assert.equal(res.crunBlocker, undefined);
  });
});
