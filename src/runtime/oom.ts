import { readFile } from 'node:fs/promises';

/**
 * The number of OOM kills the kernel made in a container's memory cgroup:
 * v1 `memory.oom_control` (`oom_kill N`, kernel 4.13+) or v2 `memory.events`
 * (`oom_kill N`). The count lives only as long as the cgroup, which the
 * runtime's delete removes, so callers read it between the exit and the delete.
 * 0 when neither file is there.
 */
export async function cgroupOomKills(cgroupsPath: string): Promise<number> {
  const candidates = [
    `/sys/fs/cgroup/memory${cgroupsPath}/memory.oom_control`,
    `/sys/fs/cgroup${cgroupsPath}/memory.events`,
    `/sys/fs/cgroup/unified${cgroupsPath}/memory.events`,
  ];
  for (const path of candidates) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const m = /^oom_kill (\d+)$/m.exec(text);
    if (m) return Number(m[1]);
  }
  return 0;
}
