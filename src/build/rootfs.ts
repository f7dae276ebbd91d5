/**
 * A state's filesystem mounted as an overlay for the length of one callback:
 * its layers as lower dirs, the given upper dir (the new layer being made)
 * or a throwaway one (a read-only look, e.g. COPY --from).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mountOverlay, unmountOverlay } from '../image/index.js';
import type { ImageState } from './state.js';
import type { StepEnv } from './step-env.js';

export async function withRootfs<T>(
  env: StepEnv,
  state: ImageState,
  o: { upper?: string; init?: boolean },
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const dir = await env.tempDir('mnt-');
  const lowers = env.deps.images.chainDirs(state.layers.map((l) => l.chainId));
  if (o.init) lowers.unshift(await env.initLayer());
  const target = join(dir, 'merged');
  const upper = o.upper ?? join(dir, 'upper');
  await mkdir(upper, { recursive: true });
  await mountOverlay({ lowerDirs: lowers, upperDir: upper, workDir: join(dir, 'work'), target });
  try {
    return await fn(target);
  } finally {
    await unmountOverlay(target);
    await rm(dir, { recursive: true, force: true });
  }
}
