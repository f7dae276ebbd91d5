/**
 * Applies the build's ignore file to the received context: `<Dockerfile>.dockerignore`
 * beside the Dockerfile when there is one, else `.dockerignore` at the root.
 * Clients usually filter already (docker's CLI, testcontainers); applying the
 * rules again here is harmless and makes every client's build the same.
 * A directory that is ignored but holds a re-included path (`!`) stays, so
 * that path keeps its parents.
 */
import { posix } from 'node:path';
import type { BuildContext } from './context.js';
import { isIgnored, parseDockerignore } from '../util/dockerignore.js';

export async function applyIgnore(ctx: BuildContext, dockerfile: string): Promise<void> {
  const specific = posix.join(posix.dirname(dockerfile), `${posix.basename(dockerfile)}.dockerignore`);
  const text = (await ctx.text(specific)) ?? (await ctx.text('.dockerignore'));
  if (text === undefined) return;
  const rules = parseDockerignore(text);
  const keep = new Set<string>();
  for (const path of ctx.entries.keys()) {
    if (path === '' || isIgnored(rules, path)) continue;
    for (let p = path; p !== '.' && !keep.has(p); p = posix.dirname(p)) keep.add(p);
  }
  ctx.filter((path) => !keep.has(path));
}
