import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

const STATUS = 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status';

describe('security options and the default seccomp profile', () => {
  let d: TestDaemon;
  let scratch: string;
  before(async () => {
    d = await TestDaemon.start({ busybox: true });
    scratch = await mkdtemp(join(tmpdir(), 'berth-security-'));
  });
  after(async () => {
    await d?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('filters system calls by default: a container cannot make a user namespace, the first time and later ones', async () => {
    // The first container's filter is compiled by the runtime; later ones load the kept copy.
    for (const round of ['first', 'second', 'third']) {
      const r = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', `${STATUS}; unshare -U true && echo made`]);
      assert.match(r.stdout, /Seccomp:\s+2/, round);
      assert.match(r.stdout, /NoNewPrivs:\s+0/, round);
      assert.doesNotMatch(r.stdout, /made/, round);
      assert.match(r.stderr, /Operation not permitted/, round);
    }
  });

  it('exec runs under the container\'s filter', async () => {
    assert.equal((await d.berth(['run', '-d', '--name', 'filtered', '--network', 'none', 'busybox', 'sleep', '60'])).code, 0);
    const r = await d.berth(['exec', 'filtered', 'sh', '-c', `${STATUS}; unshare -U true && echo made`]);
    assert.match(r.stdout, /Seccomp:\s+2/);
    assert.doesNotMatch(r.stdout, /made/);
    await d.berth(['rm', '-f', 'filtered']);
  });

  it('seccomp=unconfined and --privileged run without a filter', async () => {
    for (const flag of [['--security-opt', 'seccomp=unconfined'], ['--privileged']]) {
      const r = await d.berth(['run', '--rm', '--network', 'none', ...flag, 'busybox', 'sh', '-c', `${STATUS}; unshare -U true && echo made`]);
      assert.match(r.stdout, /Seccomp:\s+0/, flag.join(' '));
      assert.match(r.stdout, /made/, flag.join(' '));
    }
  });

  it('a profile file given with seccomp=FILE is applied', async () => {
    const file = join(scratch, 'no-mkdir.json');
    await writeFile(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    const r = await d.berth(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', 'mkdir /made; echo rc=$?']);
    assert.match(r.stdout, /rc=1/);
    assert.match(r.stderr, /Operation not permitted/);
  });

  it('no-new-privileges sets the process flag', async () => {
    const r = await d.berth(['run', '--rm', '--network', 'none', '--security-opt', 'no-new-privileges', 'busybox', 'sh', '-c', STATUS]);
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
  });

  it('refuses an unknown option or a broken profile and creates nothing', async () => {
    const before = (await d.berth(['ps', '-aq'])).stdout;
    const bad = await d.berth(['create', '--security-opt', 'foo', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid --security-opt 1: "foo"/);
    const broken = await d.berth(['create', '--security-opt', 'seccomp={"defaultAction":"SCMP_ACT_NOPE"}', 'busybox', 'true']);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /Decoding seccomp profile failed/);
    assert.equal((await d.berth(['ps', '-aq'])).stdout, before);
  });

  it('the docker CLI reads the profile file and sends it, and info names the built-in profile', async () => {
    const file = join(scratch, 'no-mkdir-docker.json');
    await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const r = await d.docker(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', 'mkdir /made; echo rc=$?']);
    assert.match(r.stdout, /rc=1/);
    const info = await d.docker(['info', '--format', '{{json .SecurityOptions}}']);
    assert.match(info.stdout, /name=seccomp,profile=builtin/);
  });
});

describe('berthd --seccomp-profile', () => {
  let d: TestDaemon;
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-security-daemon-'));
    const file = join(scratch, 'daemon-profile.json');
    await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    d = await TestDaemon.start({ busybox: true, args: ['--seccomp-profile', file] });
  });
  after(async () => {
    await d?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('applies the daemon\'s profile to containers that name none, and seccomp=builtin still picks the built-in one', async () => {
    const own = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir /made && echo made; unshare -U true && echo unshared']);
    assert.doesNotMatch(own.stdout, /made/);
    assert.match(own.stdout, /unshared/);
    const builtin = await d.berth(['run', '--rm', '--network', 'none', '--security-opt', 'seccomp=builtin', 'busybox', 'sh', '-c', 'mkdir /made && echo made; unshare -U true && echo unshared']);
    assert.match(builtin.stdout, /made/);
    assert.doesNotMatch(builtin.stdout, /unshared/);
    const info = await d.api('GET', '/info');
    assert.ok((info.json as { SecurityOptions: string[] }).SecurityOptions.some((o) => /^name=seccomp,profile=.*daemon-profile\.json$/.test(o)));
  });
});
