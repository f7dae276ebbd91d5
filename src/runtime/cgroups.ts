import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execFileText } from '../util/exec.js';
import { messageOf } from '../util/errors.js';

/**
 * How the host mounts cgroups:
 * - v2: one cgroup2 tree at /sys/fs/cgroup;
 * - v1: one cgroup (v1) mount per controller, no cgroup2 tree;
 * - hybrid: v1 controllers plus a cgroup2 tree (usually /sys/fs/cgroup/unified).
 */
export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupLayout {
  mode: CgroupMode;
  /** Where the cgroup2 tree is mounted, if any. */
  unifiedPath?: string;
  /** The directory holding the v1 controller mounts (hybrid and v1). */
  v1Root?: string;
  /** v1 controllers (by super option) and where each is mounted. */
  v1Mounts: Map<string, string>;
}

interface MountEntry {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** Unescapes the octal escapes (\040 for a space) that mountinfo uses in paths. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const head = line.slice(0, sep).split(' ');
    const tail = line.slice(sep + 3).split(' ');
    if (head.length < 5 || tail.length < 3) continue;
    out.push({ mountPoint: unescape(head[4]), fsType: tail[0], superOptions: tail[2].split(',') });
  }
  return out;
}

const V1_OPTION_NOISE = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'clone_children', 'xattr', 'nsdelegate']);

/** Classifies the host from the text of /proc/self/mountinfo. Pure. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const v1Mounts = new Map<string, string>();
  let unifiedPath: string | undefined;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') unifiedPath ??= m.mountPoint;
    if (m.fsType !== 'cgroup') continue;
    for (const opt of m.superOptions) {
      if (V1_OPTION_NOISE.has(opt) || opt.includes('=')) continue;
      if (!v1Mounts.has(opt)) v1Mounts.set(opt, m.mountPoint);
    }
  }
  const first = v1Mounts.values().next();
  const v1Root = first.done ? undefined : dirname(first.value);
  if (v1Mounts.size === 0) return { mode: unifiedPath ? 'v2' : 'v1', unifiedPath, v1Mounts };
  return { mode: unifiedPath ? 'hybrid' : 'v1', unifiedPath, v1Root, v1Mounts };
}

export interface CgroupCheck {
  layout: CgroupLayout;
  /** Controllers this call mounted as v1 hierarchies. */
  mounted: string[];
  /** Set when crun will refuse containers on this host: the reason, for a warning. */
  crunBlocker?: string;
}

/** The host operations the fix needs; tests pass fakes, the daemon the real ones. */
export interface CgroupHost {
  mountinfo(): Promise<string>;
  /** The controllers a cgroup2 tree offers (its root's cgroup.controllers). */
  controllers(unifiedPath: string): Promise<string[]>;
  /** Binds controller `ctrl` to a v1 hierarchy mounted at `target` (created if missing). */
  bind(ctrl: string, target: string): Promise<void>;
}

export const realCgroupHost: CgroupHost = {
  mountinfo: () => readFile('/proc/self/mountinfo', 'utf8'),
  controllers: async (unifiedPath) =>
    (await readFile(join(unifiedPath, 'cgroup.controllers'), 'utf8')).split(/\s+/).filter(Boolean),
  bind: async (ctrl, target) => {
    await mkdir(target, { recursive: true });
    await execFileText('mount', ['-t', 'cgroup', '-o', ctrl, 'cgroup', target], { timeoutMs: 10_000 });
  },
};

let inFlight: Promise<CgroupCheck> | undefined;

/**
 * Makes a hybrid host usable by crun. crun 1.8 refuses every container while the
 * cgroup2 tree still offers a controller ("cgroups in hybrid mode not supported, drop
 * all controllers from cgroupv2"); on this kind of host `hugetlb` is left to cgroup2
 * at boot. Binding each such controller to its own v1 hierarchy
 * (`mount -t cgroup -o <ctrl> cgroup <v1root>/<ctrl>`) removes it from cgroup2.
 * Idempotent: once bound, a controller no longer shows in cgroup.controllers. Pure v1
 * and pure v2 hosts are left alone. Calls within one process are serialized.
 */
export function ensureCgroupsUsable(host: CgroupHost = realCgroupHost): Promise<CgroupCheck> {
  if (host !== realCgroupHost) return fixHybrid(host);
  inFlight ??= fixHybrid(host).finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

async function fixHybrid(host: CgroupHost): Promise<CgroupCheck> {
  const layout = parseCgroupLayout(await host.mountinfo());
  if (layout.mode !== 'hybrid' || !layout.unifiedPath || !layout.v1Root) return { layout, mounted: [] };
  const unified = layout.unifiedPath;
  const mounted: string[] = [];
  const failures: string[] = [];
  for (const ctrl of await host.controllers(unified)) {
    const target = join(layout.v1Root, ctrl);
    try {
      await host.bind(ctrl, target);
      mounted.push(ctrl);
      layout.v1Mounts.set(ctrl, target);
    } catch (err) {
      // Another process may have bound it meanwhile; only a controller still offered by cgroup2 is a failure.
      if ((await host.controllers(unified)).includes(ctrl)) failures.push(`${ctrl} (${messageOf(err)})`);
    }
  }
  const left = await host.controllers(unified);
  if (left.length === 0) return { layout, mounted };
  return {
    layout,
    mounted,
    crunBlocker:
      `the host mounts cgroups in hybrid mode and cgroup2 at ${unified} still offers ${left.join(', ')}, ` +
      `which crun refuses; binding them to cgroup v1 failed: ${failures.join('; ') || 'they stayed with cgroup2'}`,
  };
}
