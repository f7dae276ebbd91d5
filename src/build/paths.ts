/**
 * Paths inside an image's filesystem and COPY source patterns. Everything here
 * is pure except resolveInRoot, which reads the tree it resolves in.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { hasCode, invalidArgument } from '../util/errors.js';

/**
 * The host path of container path `path` under `root`, following symlinks as
 * the container would see them: absolute targets start again at `root`, and
 * `..` never climbs above it. The last component is followed too unless
 * `followLast` is false. Missing components are fine (the path may be created).
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    if (part === '.') continue;
    const host = join(root, ...done, part);
    if (parts.length === 0 && !followLast) {
      done.push(part);
      break;
    }
    let st;
    try {
      st = await lstat(host);
    } catch (err) {
      if (!hasCode(err, 'ENOENT') && !hasCode(err, 'ENOTDIR')) throw err;
      done.push(part, ...parts.filter((p) => p !== '.'));
      break;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw invalidArgument(`too many levels of symbolic links resolving ${path}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    parts.unshift(...target.split('/').filter(Boolean));
  }
  return join(root, ...done);
}

/** The absolute form of a COPY/WORKDIR destination against the working directory. */
export function absoluteIn(workdir: string, path: string): string {
  const abs = path.startsWith('/') ? path : posix.join(workdir || '/', path);
  const n = posix.normalize(abs).replace(/\/+$/, '') || '/';
  return path.endsWith('/') && n !== '/' ? `${n}/` : n;
}

export const hasGlob = (p: string): boolean => /[*?[]/.test(p);

/**
 * Go's filepath.Match on one path, extended with `**` for any number of
 * segments: `*` and `?` never match "/", `[...]` classes with `^`/`!` negation
 * and ranges, `\` escapes.
 */
export function matchPath(pattern: string, path: string): boolean {
  return matchSegments(pattern.split('/').filter(Boolean), path.split('/').filter(Boolean));
}

function matchSegments(pat: string[], parts: string[]): boolean {
  if (pat.length === 0) return parts.length === 0;
  if (pat[0] === '**') {
    for (let i = 0; i <= parts.length; i++) if (matchSegments(pat.slice(1), parts.slice(i))) return true;
    return false;
  }
  if (parts.length === 0) return false;
  return matchSegment(pat[0], parts[0]) && matchSegments(pat.slice(1), parts.slice(1));
}

export function matchSegment(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!') || cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\').replace(/^\^?\]/, (m) => m.replace(']', '\\]'))}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, 's').test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
