import { readFile } from 'node:fs/promises';
import { execFileText, ExecError } from '../util/exec.js';
import { EngineError, invalidArgument } from '../util/errors.js';

/** Where a container's processes are listed, by cgroup layout: v1 controllers, then a cgroup2 tree. */
const PROCS_FILES = (cgroupsPath: string): string[] => [
  `/sys/fs/cgroup/pids${cgroupsPath}/cgroup.procs`,
  `/sys/fs/cgroup/memory${cgroupsPath}/cgroup.procs`,
  `/sys/fs/cgroup${cgroupsPath}/cgroup.procs`,
  `/sys/fs/cgroup/unified${cgroupsPath}/cgroup.procs`,
];

/** The host pids of every process in the cgroup (e.g. "/berth/<id>"); empty when it is gone. */
export async function cgroupPids(cgroupsPath: string): Promise<number[]> {
  for (const file of PROCS_FILES(cgroupsPath)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
  }
  return [];
}

/**
 * Docker's top: runs the host's `ps` with the caller's arguments (default `-ef`)
 * and keeps the rows whose PID is one of `pids`. The last column (the command)
 * may hold spaces; the others may not, as in moby's parsePSOutput.
 */
export async function psTable(psArgs: string, pids: number[]): Promise<{ Titles: string[]; Processes: string[][] }> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let stdout: string;
  try {
    stdout = (await execFileText('ps', args, { timeoutMs: 30_000 })).stdout;
  } catch (err) {
    const detail = err instanceof ExecError ? (err.stderr || err.message).trim() : String(err);
    throw new EngineError('Internal', `ps: ${detail}`);
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines.shift() ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (wanted.has(Number(row[pidColumn]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}
