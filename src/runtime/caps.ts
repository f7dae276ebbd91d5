import { invalidArgument } from '../util/errors.js';

/** Every capability of Linux 5.9 and later, in kernel order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set for unprivileged containers (moby `oci/caps`). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const known = new Set(ALL_CAPABILITIES);

/**
 * `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name the same capability; `ALL`
 * stays `ALL`. Unknown names are an InvalidArgument naming the offender.
 */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.has(full)) throw invalidArgument(`unknown capability: "${name}"`);
  return full;
}

/**
 * The capability set Docker gives a container: privileged gets every capability
 * in `bounding` (the daemon's own bounding set; all when absent); `--cap-add ALL`
 * gets those except the dropped ones; `--cap-drop ALL`
 * keeps only the added ones; otherwise the defaults minus drops plus adds.
 */
export function resolveCapabilities(
  opts: { capAdd?: string[]; capDrop?: string[]; privileged?: boolean },
  bounding?: bigint,
): string[] {
  const all = bounding === undefined ? ALL_CAPABILITIES : ALL_CAPABILITIES.filter((_, bit) => ((bounding >> BigInt(bit)) & 1n) === 1n);
  if (opts.privileged) return [...all];
  const adds = (opts.capAdd ?? []).map(normalizeCapability);
  const drops = (opts.capDrop ?? []).map(normalizeCapability);
  let caps: string[];
  if (adds.includes('ALL')) {
    caps = all.filter((c) => !drops.includes(c));
  } else if (drops.includes('ALL')) {
    caps = adds;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
  }
  return [...new Set(caps)];
}
