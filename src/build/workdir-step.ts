/**
 * WORKDIR's filesystem half. Docker documents that the directory "will be
 * created even if it's not used in any subsequent Dockerfile instruction";
 * as BuildKit does, it is made with its missing parents, mode 0755, owned by
 * the USER in effect. When the image has it already nothing is made, and the
 * step stays a metadata step without a layer.
 */
import { chmod, lchown, lstat, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { BuiltLayer } from '../image/index.js';
import { hasCode, invalidArgument } from '../util/errors.js';
import { parseChown } from './copy-step.js';
import { resolveInRoot } from './paths.js';
import { withRootfs } from './rootfs.js';
import type { ImageState } from './state.js';
import type { StepEnv } from './step-env.js';

/** Thrown out of a layer's fill to discard it: the directory was there already. */
class AlreadyThere extends Error {}

/** The layer holding `dir` (absolute in the image) made for `user`, or undefined when the state has that directory. */
export async function makeWorkdir(env: StepEnv, state: ImageState, dir: string, user: string): Promise<BuiltLayer | undefined> {
  try {
    return await env.deps.images.newLayer({
      parent: state.layers.at(-1)?.chainId ?? null,
      clampMtime: env.epoch,
      fill: (upper) =>
        withRootfs(env, state, { upper }, async (root) => {
          if (!(await mkdirAll(root, dir, (await parseChown(root, user)) ?? { uid: 0, gid: 0 }))) throw new AlreadyThere();
        }),
    });
  } catch (err) {
    if (err instanceof AlreadyThere) return undefined;
    throw err;
  }
}

/** Makes the missing directories of `dir` under `root` (symlinks followed inside it); false when none was missing. */
async function mkdirAll(root: string, dir: string, owner: { uid: number; gid: number }): Promise<boolean> {
  const host = await resolveInRoot(root, dir);
  const parts = host.slice(root.length).split('/').filter(Boolean);
  let made = false;
  let at = root;
  for (const part of parts) {
    at = posix.join(at, part);
    try {
      const st = await lstat(at);
      if (!st.isDirectory()) throw invalidArgument(`mkdir ${dir}: not a directory`);
      continue;
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
    }
    await mkdir(at);
    await chmod(at, 0o755);
    await lchown(at, owner.uid, owner.gid);
    made = true;
  }
  return made;
}
