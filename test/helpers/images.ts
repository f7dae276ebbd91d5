/** Test images made from the busybox rootfs plus extra files, imported through `berth import`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar, type TestDaemon } from './daemon.js';

/**
 * Imports busybox with `shell` run in its unpacked rootfs (cwd) first, e.g.
 * "mkdir data && ln -s /etc data/link". `changes` are --change lines.
 */
export async function importVariant(d: TestDaemon, tag: string, shell: string, changes: string[] = ['CMD ["sh"]']): Promise<void> {
  const dir = mkdtempSync(join(d.execRoot, 'rootfs-'));
  try {
    const root = join(dir, 'root');
    const run = (cmd: string, args: string[], cwd?: string) => {
      const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    };
    run('mkdir', ['-p', root]);
    run('tar', ['-xf', busyboxTar(), '-C', root]);
    run('sh', ['-c', shell], root);
    run('tar', ['--numeric-owner', '-cf', join(dir, 'rootfs.tar'), '-C', root, '.']);
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), join(dir, 'rootfs.tar'), tag];
    const r = await d.berth(args);
    if (r.code !== 0) throw new Error(`importing ${tag} failed: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
