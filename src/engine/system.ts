import { cpus, totalmem, hostname, release, arch } from 'node:os';
import { readFile } from 'node:fs/promises';

/** Go's GOARCH names for Node's process.arch values. */
export function goArch(a: string = arch()): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[a] ?? a;
}

/** "Debian GNU/Linux 12 (bookworm)" from /etc/os-release. */
export async function operatingSystem(): Promise<{ name: string; version: string }> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1] ?? '';
  return { name: field('PRETTY_NAME') || 'Linux', version: field('VERSION_ID') };
}

/** Which cgroup layout the host has: Docker reports "1" or "2". */
export async function cgroupVersion(): Promise<'1' | '2'> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const v1 = / - cgroup cgroup /.test(text);
  return v1 ? '1' : '2';
}

export const hostFacts = { cpus: () => cpus().length, memory: totalmem, hostname, kernel: release };
