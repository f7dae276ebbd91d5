/**
 * The local driver's options, as docker's: `type`, `device` and `o` are
 * handed to mount(8) (`mount -t TYPE -o O DEVICE <mountpoint>`), so
 * `type=tmpfs,device=tmpfs,o=size=10m` or `type=none,o=bind,device=/srv/x`.
 */
import { readFile, realpath } from 'node:fs/promises';
import { internal, invalidArgument } from '../util/errors.js';
import { ExecError, execFileText } from '../util/exec.js';

const KEYS = new Set(['type', 'device', 'o']);

export function validateDriverOpts(name: string, opts: Record<string, string>): void {
  for (const key of Object.keys(opts)) {
    if (!KEYS.has(key)) throw invalidArgument(`create ${name}: invalid option key: "${key}"`);
  }
  if (Object.keys(opts).length > 0 && !opts.device && opts.type !== 'tmpfs') {
    throw invalidArgument(`create ${name}: missing required option: "device"`);
  }
  if (opts.device && !opts.type) throw invalidArgument(`create ${name}: missing required option: "type"`);
}

export async function mountVolume(opts: Record<string, string>, target: string): Promise<void> {
  const o = opts.o ?? '';
  const args = ['-t', opts.type || 'none', ...(o ? ['-o', o] : []), opts.device || opts.type, target];
  try {
    await execFileText('mount', args, { timeoutMs: 60_000 });
  } catch (err) {
    throw internal(`error while mounting volume '${target}': ${err instanceof ExecError ? err.stderr.trim() || err.message : String(err)}`, err);
  }
}

export async function unmountVolume(target: string): Promise<void> {
  if (!(await isMounted(target))) return;
  try {
    await execFileText('umount', [target], { timeoutMs: 60_000 });
  } catch (err) {
    if (await isMounted(target)) throw internal(`unmounting volume at ${target}: ${String(err)}`, err);
  }
}

export async function isMounted(path: string): Promise<boolean> {
  const real = await realpath(path).catch(() => path);
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => {
    const mp = line.split(' ')[4];
    return mp !== undefined && mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === real;
  });
}
