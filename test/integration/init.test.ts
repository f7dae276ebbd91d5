import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

/** The states of every process in the container ("S", "Z", ...), from /proc. */
async function states(name: string): Promise<string[]> {
  const r = await d.berth(['exec', name, 'sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null']);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.slice(l.lastIndexOf(')') + 2).split(' ')[0]);
}

// The inner shell leaves a child behind that outlives it; it is handed to PID 1,
// which must reap it once it exits (after writing /tmp/done).
const ORPHAN = ['sh', '-c', 'sh -c "(sleep 0.3; touch /tmp/done) & exec true"; exec sleep 1000'];

test('--init runs docker-init as PID 1 in front of the command', async () => {
  const r = await d.berth(['run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\0').join(' ').trim(), '/sbin/docker-init -- cat /proc/1/cmdline');
  assert.equal((await d.berth(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'exit 5'])).code, 5);
  const ro = await d.berth(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'echo x > /sbin/docker-init']);
  assert.match(ro.stderr, /Read-only file system/);
});

test('with --init an orphaned child is reaped; without it, it stays a zombie', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'reaped', '--init', 'busybox', ...ORPHAN])).code, 0);
  assert.equal((await d.berth(['run', '-d', '--name', 'unreaped', 'busybox', ...ORPHAN])).code, 0);
  for (const name of ['reaped', 'unreaped']) {
    await until(`${name} wrote /tmp/done`, async () => (await d.berth(['exec', name, 'test', '-f', '/tmp/done'])).code === 0);
  }
  await until('a zombie in unreaped', async () => (await states('unreaped')).includes('Z'));
  await until('no zombie in reaped', async () => !(await states('reaped')).includes('Z'));
});

test('signals reach the command through the init', async () => {
  const script = 'trap "echo got TERM; exit 7" TERM; trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done';
  assert.equal((await d.berth(['run', '-d', '--name', 'trapper', '--init', 'busybox', 'sh', '-c', script])).code, 0);
  await until('ready', async () => (await d.berth(['logs', 'trapper'])).stdout.includes('ready'));
  assert.equal((await d.berth(['kill', '-s', 'USR1', 'trapper'])).code, 0);
  await until('USR1 handled', async () => (await d.berth(['logs', 'trapper'])).stdout.includes('got USR1'));
  assert.equal((await d.berth(['stop', 'trapper'])).code, 0);
  assert.equal((await d.berth(['inspect', '--format', '{{.State.ExitCode}}', 'trapper'])).stdout, '7\n');
  assert.match((await d.berth(['logs', 'trapper'])).stdout, /got TERM/);
});

test('berthd --init gives every container the init unless it says --init=false', async () => {
  const withInit = await TestDaemon.start({ busybox: true, args: ['--init'] });
  try {
    const on = await withInit.berth(['run', '--rm', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(on.stdout.split('\0')[0], '/sbin/docker-init');
    const off = await withInit.berth(['run', '--rm', '--init=false', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(off.stdout.split('\0')[0], 'cat');
    assert.equal((await withInit.berth(['info', '--format', '{{.InitBinary}}'])).stdout, 'docker-init\n');
  } finally {
    await withInit.stop();
  }
});
