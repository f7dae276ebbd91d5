/**
 * `docker diff` from the container's overlay upper dir: a whiteout (0/0
 * character device) is a deletion, a path the image layers also have is a
 * change, anything else is an addition.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

export interface Change {
  Path: string;
  /** 0 modified, 1 added, 2 deleted. */
  Kind: 0 | 1 | 2;
}

/** Mount points the runtime makes in the upper dir; they are not the user's changes. */
const RUNTIME_PATHS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys', '/dev', '/dev/shm', '/dev/mqueue', '/dev/pts', '/sys/fs/cgroup'];

export async function containerChanges(o: { upper: string; lowers: string[]; mountPoints: string[] }): Promise<Change[]> {
  const skip = new Set([...RUNTIME_PATHS, ...o.mountPoints]);
  const out: Change[] = [];
  const inLower = async (p: string) => {
    for (const l of o.lowers) if (await lstat(join(l, p)).then(() => true, () => false)) return true;
    return false;
  };
  const walk = async (cdir: string, added: boolean): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(join(o.upper, cdir))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = posix.join(cdir, name);
      const st = await lstat(join(o.upper, p));
      if (st.isCharacterDevice() && Number(st.rdev) === 0) {
        out.push({ Path: p, Kind: 2 });
        continue;
      }
      const isNew = added || !(await inLower(p));
      const emptyMountPoint = skip.has(p) && (st.isDirectory() ? (await readdir(join(o.upper, p))).length === 0 : st.size === 0);
      if (!(isNew && emptyMountPoint)) out.push({ Path: p, Kind: isNew ? 1 : 0 });
      if (st.isDirectory()) await walk(p, isNew);
    }
  };
  await walk('/', false);
  // A directory only "changed" because the runtime made a mount point in it is no change.
  return out.filter((c) => c.Kind !== 0 || !isDirOnlyForMountPoints(c, out, skip));
}

function isDirOnlyForMountPoints(c: Change, all: Change[], skip: Set<string>): boolean {
  if (!skip.has(c.Path) && ![...skip].some((s) => s.startsWith(c.Path + '/'))) return false;
  return !all.some((o) => o !== c && o.Path.startsWith(c.Path + '/'));
}
