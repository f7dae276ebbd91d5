import { readdir, readFile } from 'node:fs/promises';

/** The parent of every process on the host, read from /proc (processes that vanish meanwhile are skipped). */
async function parents(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const names = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
      const stat = await readFile(`/proc/${n}/stat`, 'utf8').catch(() => '');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) out.set(Number(n), ppid);
    }),
  );
  return out;
}

/** Pids of every descendant of `pid`, parents before children. */
export async function descendants(pid: number): Promise<number[]> {
  const ppids = await parents();
  const children = new Map<number, number[]>();
  for (const [child, parent] of ppids) children.set(parent, [...(children.get(parent) ?? []), child]);
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * SIGKILLs a process and the descendants it has at the time of the call: the
 * root first, so it starts no more, then the others, which would otherwise be
 * handed to an init and live on.
 */
export async function killTree(pid: number): Promise<void> {
  const below = await descendants(pid);
  for (const p of [pid, ...below]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
