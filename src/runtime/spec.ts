import { isAbsolute, posix } from 'node:path';
import { invalidArgument } from '../util/errors.js';
import type { OciDeviceRule, OciMount, OciNamespace, OciResources, OciRuntimeSpec } from '../spec/oci-runtime.js';
import { resolveCapabilities } from './caps.js';
import { buildRlimits, hostLimits, type HostLimits, type Ulimit } from './rlimits.js';
import { seccompForContainer, type SeccompProfile } from './seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import { toOciResources, type ResourceLimits } from './resources.js';

/** What the container layer decides about one container; buildSpec turns it into config.json. */
export interface ContainerSpecInput {
  id: string;
  /** Absolute path of the prepared root filesystem (the overlay mount). */
  rootfs: string;
  readonlyRootfs?: boolean;
  process: {
    args: string[];
    env: string[];
    cwd: string;
    /** Numeric ids: user names are resolved against the image's /etc/passwd by the caller. */
    user: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
    /** Also decides conmon's `-t`; the two must agree or the start hangs. */
    terminal: boolean;
    noNewPrivileges?: boolean;
  };
  hostname: string;
  domainname?: string;
  /** none: a new network namespace holding only loopback; host: the host's; netns: join a prepared one. */
  network: { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string };
  /** Mounts beyond the defaults; one with a default's destination replaces that default. */
  mounts: OciMount[];
  /** e.g. "/berth/<id>": relative to the cgroup root of every hierarchy. */
  cgroupsPath: string;
  resources?: ResourceLimits;
  /** The kernel's OOM score adjustment for the container's processes (-1000..1000). */
  oomScoreAdj?: number;
  capAdd?: string[];
  capDrop?: string[];
  /** Every capability, no masked or read-only /proc paths, writable /sys, every device allowed. */
  privileged?: boolean;
  annotations?: Record<string, string>;
  sysctls?: Record<string, string>;
  /** Size of /dev/shm; Docker's default is 64 MiB. */
  shmSizeBytes?: number;
  stopSignal?: string;
  ulimits?: Ulimit[];
  /** Absent or 'builtin': the built-in profile; 'unconfined': no filter. Privileged containers get none either way. */
  seccomp?: 'builtin' | 'unconfined' | { profile: SeccompProfile };
  /** `--security-opt systempaths=unconfined`: no masked or read-only /proc paths. */
  unmaskSystemPaths?: boolean;
}

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's masked paths (moby oci/defaults.go), hidden unless privileged. */
const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * Docker's device cgroup: deny everything, then allow the standard character
 * devices; fuse stays denied. The runtime creates the default device nodes
 * (null, zero, full, random, urandom, tty, console, ptmx) and allows them itself.
 */
const DEVICE_RULES: OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

/** Sysctls that live in a namespace the container owns (as Docker's validation allows). */
function checkSysctl(name: string, hostNetwork: boolean): void {
  if (name.startsWith('net.')) {
    if (hostNetwork) throw invalidArgument(`sysctl "${name}" is not allowed with the host's network namespace`);
    return;
  }
  if (/^kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)$/.test(name)) return;
  if (name.startsWith('fs.mqueue.')) return;
  throw invalidArgument(`sysctl "${name}" is not in a namespace the container owns and cannot be set`);
}

function defaultMounts(shmSize: number, privileged: boolean): OciMount[] {
  const ro = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', ro] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

const depth = (p: string): number => posix.normalize(p).split('/').filter(Boolean).length;

/** Defaults first, then extra mounts parents-before-children; an extra mount replaces a default at the same place. */
function mergeMounts(defaults: OciMount[], extra: OciMount[]): OciMount[] {
  for (const m of extra) {
    if (!isAbsolute(m.destination)) throw invalidArgument(`mount destination must be an absolute path: "${m.destination}"`);
  }
  const taken = new Set(extra.map((m) => posix.normalize(m.destination)));
  const sorted = extra
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map(({ m }) => ({ ...m, options: [...m.options ?? []] }));
  return [...defaults.filter((d) => !taken.has(d.destination)), ...sorted];
}

function namespaces(network: ContainerSpecInput['network']): OciNamespace[] {
  const out: OciNamespace[] = [{ type: 'mount' }];
  switch (network.mode) {
    case 'none':
      out.push({ type: 'network' });
      break;
    case 'netns':
      if (!isAbsolute(network.path)) throw invalidArgument(`network namespace path must be absolute: "${network.path}"`);
      out.push({ type: 'network', path: network.path });
      break;
    case 'host':
      break;
    default: {
      const never: never = network;
      throw invalidArgument(`unknown network mode: ${JSON.stringify(never)}`);
    }
  }
  out.push({ type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' });
  return out;
}

function resources(input: ContainerSpecInput): OciResources {
  return {
    devices: input.privileged ? [{ allow: true, access: 'rwm' }] : DEVICE_RULES.map((d) => ({ ...d })),
    ...toOciResources(input.resources ?? {}),
  };
}

/**
 * The OCI runtime spec for one container, shaped like Docker's default
 * (moby oci/defaults.go plus daemon/oci_linux.go): private mount, uts, pid, ipc and
 * cgroup namespaces; a network namespace unless the host's is wanted; Docker's
 * capability set; its masked and read-only paths; rlimits that fit `host`.
 * Docker's seccomp allow list unless privileged or unconfined. Pure apart from `host`, whose default is the
 * daemon's own limits read once. Throws InvalidArgument for inputs no runtime could run.
 */
export function buildSpec(input: ContainerSpecInput, host: HostLimits = hostLimits()): OciRuntimeSpec {
  if (!isAbsolute(input.rootfs)) throw invalidArgument(`rootfs must be an absolute path: "${input.rootfs}"`);
  if (input.process.args.length === 0) throw invalidArgument('no command specified');
  if (!isAbsolute(input.process.cwd)) throw invalidArgument(`the working directory must be an absolute path: "${input.process.cwd}"`);
  const hostNetwork = input.network.mode === 'host';
  for (const name of Object.keys(input.sysctls ?? {})) checkSysctl(name, hostNetwork);

  const caps = resolveCapabilities(input, host.boundingCaps);
  const privileged = input.privileged === true;
  const user = input.process.user;
  const annotations: Record<string, string> = { ...input.annotations };
  if (input.stopSignal && !('org.opencontainers.image.stopSignal' in annotations)) {
    annotations['org.opencontainers.image.stopSignal'] = input.stopSignal;
  }

  const spec: OciRuntimeSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.process.terminal,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.umask !== undefined ? { umask: user.umask } : {}),
        ...(user.additionalGids?.length ? { additionalGids: [...user.additionalGids] } : {}),
      },
      args: [...input.process.args],
      env: [...input.process.env],
      cwd: input.process.cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] },
      rlimits: buildRlimits(host, input.ulimits),
      noNewPrivileges: input.process.noNewPrivileges === true,
      ...(input.oomScoreAdj ? { oomScoreAdj: input.oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    hostname: input.hostname,
    ...(input.domainname ? { domainname: input.domainname } : {}),
    mounts: mergeMounts(defaultMounts(input.shmSizeBytes ?? DEFAULT_SHM_SIZE, privileged), input.mounts),
    annotations,
    linux: {
      namespaces: namespaces(input.network),
      cgroupsPath: input.cgroupsPath,
      resources: resources(input),
      devices: [],
      maskedPaths: privileged || input.unmaskSystemPaths ? [] : [...MASKED_PATHS],
      readonlyPaths: privileged || input.unmaskSystemPaths ? [] : [...READONLY_PATHS],
      ...(input.sysctls && Object.keys(input.sysctls).length ? { sysctl: { ...input.sysctls } } : {}),
      ...(privileged || input.seccomp === 'unconfined' ? {} : {
        seccomp: seccompForContainer(typeof input.seccomp === 'object' ? input.seccomp.profile : DEFAULT_SECCOMP_PROFILE, { caps }),
      }),
    },
  };
  return spec;
}
