import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_CAPABILITIES, DEFAULT_SECCOMP_PROFILE, buildSpec, parseSeccompProfile, seccompForContainer } from '../../src/runtime/index.js';
import { parseSecurityOpts } from '../../src/container/security-opts.js';
import { isEngineError } from '../../src/util/errors.js';

const allowed = (caps: readonly string[], name: string, arch = 'amd64'): boolean =>
  seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernel: '6.1.0' }).syscalls!
    .some((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW' && !r.args);

describe('the built-in seccomp profile', () => {
  it('denies by default with EPERM and names the host architecture family', () => {
    const f = seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
    assert.equal(f.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(f.defaultErrnoRet, 1);
    assert.deepEqual(f.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const arm = seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '6.1.0' });
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows everyday calls and keeps mount, unshare and module loading for containers holding the capability', () => {
    for (const name of ['read', 'openat', 'execve', 'arch_prctl', 'ptrace', 'chroot']) assert.ok(allowed(DEFAULT_CAPABILITIES, name), name);
    for (const name of ['mount', 'unshare', 'setns', 'init_module', 'reboot', 'keyctl', 'clock_settime']) {
      assert.ok(!allowed(DEFAULT_CAPABILITIES, name), name);
    }
    assert.ok(allowed([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'mount'));
    assert.ok(allowed([...DEFAULT_CAPABILITIES, 'CAP_SYS_TIME'], 'clock_settime'));
    assert.ok(!allowed(DEFAULT_CAPABILITIES, 'arch_prctl', 'arm64'));
  });

  it('lets clone through only without namespace flags, and makes clone3 report ENOSYS, unless CAP_SYS_ADMIN is held', () => {
    const f = seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
    const clone = f.syscalls!.filter((r) => r.names.includes('clone'));
    assert.equal(clone.length, 1);
    assert.deepEqual(clone[0].args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    assert.deepEqual(f.syscalls!.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const admin = seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps: ['CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1.0' });
    assert.ok(!admin.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
  });

  it('applies minKernel rules only on new enough kernels', () => {
    assert.ok(allowed([], 'ptrace', 'amd64'));
    const old = seccompForContainer(DEFAULT_SECCOMP_PROFILE, { caps: [], arch: 'amd64', kernel: '4.4.0-1-amd64' });
    assert.ok(!old.syscalls!.some((r) => r.names.includes('ptrace')));
  });

  it('goes into the runtime spec unless the container is privileged or unconfined', () => {
    const input = {
      id: 'x', rootfs: '/r', process: { args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false },
      hostname: 'x', network: { mode: 'none' as const }, mounts: [], cgroupsPath: '/berth/x',
    };
    const host = { limits: {}, canRaiseHard: false };
    assert.equal(buildSpec(input, host).linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(buildSpec({ ...input, privileged: true }, host).linux.seccomp, undefined);
    assert.equal(buildSpec({ ...input, seccomp: 'unconfined' }, host).linux.seccomp, undefined);
  });
});

describe('security options', () => {
  it('reads seccomp, no-new-privileges and systempaths as dockerd does', () => {
    assert.deepEqual(parseSecurityOpts(['seccomp=unconfined', 'no-new-privileges', 'apparmor=unconfined', 'label=disable']),
      { seccomp: 'unconfined', noNewPrivileges: true, unmaskSystemPaths: false });
    assert.equal(parseSecurityOpts(['no-new-privileges=false', 'systempaths=unconfined']).unmaskSystemPaths, true);
    const custom = parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}']);
    assert.equal(typeof custom.seccomp === 'object' && custom.seccomp.profile.syscalls[0].names?.[0], 'mkdir');
  });

  it('refuses unknown options and broken profiles with dockerd\'s wording', () => {
    const refuses = (opts: string[], text: RegExp): void => {
      assert.throws(() => parseSecurityOpts(opts), (e: unknown) => isEngineError(e, 'InvalidArgument') && text.test(e.message));
    };
    refuses(['foo'], /^invalid --security-opt 1: "foo"$/);
    refuses(['foo=bar'], /^invalid --security-opt 2: "foo=bar"$/);
    refuses(['no-new-privileges=maybe'], /invalid --security-opt 2/);
    refuses(['seccomp={not json'], /^Decoding seccomp profile failed/);
    refuses(['seccomp={"defaultAction":"SCMP_ACT_NOPE"}'], /unknown defaultAction/);
    assert.throws(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO"}]}'), /syscalls\[0\] names no system call/);
  });
});
