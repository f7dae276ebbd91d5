/**
 * COPY/ADD sources as a flat list of items to write, each relative to where
 * its source root lands, plus the cache identity of the whole set: computed
 * from the context index (path, type, mode, size, content hash) or, for
 * `--from`, from the source state's key. Nothing here writes.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readlink, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalidArgument } from '../util/errors.js';
import { clean, type BuildContext, type ContextEntry } from './context.js';
import { hasGlob, matchPath, resolveInRoot } from './paths.js';

export interface CopyItem {
  /** Path below the source root's landing place; '' for a single file or the root dir itself. */
  rel: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  size: number;
  /** sha256 hex of a context file's content (the cache key uses it). */
  hash?: string;
  /** The content: in memory (context) or a host file (another stage's files). */
  data?: () => Promise<Buffer>;
  hostPath?: string;
}

/** One matched source: a file or symlink copied as `name`, or a directory whose contents are copied. */
export interface CopyRoot {
  name: string;
  isDir: boolean;
  items: CopyItem[];
  /** With --parents: the source's path in the context, kept under the destination. */
  keepPath?: string;
}

/**
 * The roots the patterns match in the context; docker's errors for none or an
 * escape. `excludes` (--exclude) drop matching paths and what is below them;
 * `parents` (--parents) keeps each source's path under the destination.
 */
export function contextRoots(ctx: BuildContext, patterns: string[], kind: string, o: { excludes?: string[]; parents?: boolean } = {}): CopyRoot[] {
  const excludes = (o.excludes ?? []).map((x) => clean(x) ?? x);
  const excluded = (path: string): boolean =>
    excludes.some((x) => {
      for (let p = path; p !== '.' && p !== ''; p = posix.dirname(p)) if (matchPath(x, p)) return true;
      return false;
    });
  const roots: CopyRoot[] = [];
  for (const pattern of patterns) {
    const path = clean(pattern);
    if (path === undefined) throw invalidArgument(`${kind} failed: forbidden path outside the build context: ${pattern} ()`);
    let matched: ContextEntry[];
    if (hasGlob(path)) {
      matched = [...ctx.entries.values()].filter((e) => e.path !== '' && matchPath(path, e.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
    } else {
      const e = follow(ctx, path);
      matched = e ? [e] : [];
    }
    if (matched.length === 0) {
      throw invalidArgument(`${kind} failed: file not found in build context or excluded by .dockerignore: stat ${path || '.'}: file does not exist`);
    }
    for (const e of matched) {
      if (excludes.length && e.path !== '' && excluded(e.path)) continue;
      const root = contextRoot(ctx, e);
      if (excludes.length) {
        // A pattern matches below the copied directory (as BuildKit applies it) or from the context root.
        const prefix = e.path === '' ? '' : `${e.path}/`;
        root.items = root.items.filter((i) => i.rel === '' || !(excluded(i.rel) || excluded(`${prefix}${i.rel}`)));
      }
      if (o.parents) root.keepPath = e.path;
      roots.push(root);
    }
  }
  return roots;
}

/** Follows a symlink named as a source, inside the context. */
function follow(ctx: BuildContext, path: string): ContextEntry | undefined {
  let e = ctx.entries.get(path);
  for (let hops = 0; e?.type === 'symlink' && hops < 40; hops++) {
    const target = clean(e.linkname.startsWith('/') ? e.linkname : posix.join(posix.dirname(e.path), e.linkname));
    e = target === undefined ? undefined : ctx.entries.get(target);
  }
  return e;
}

function contextRoot(ctx: BuildContext, root: ContextEntry): CopyRoot {
  const item = (e: ContextEntry, rel: string): CopyItem => ({
    rel, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, linkname: e.linkname, size: e.size, hash: e.hash,
    ...(e.type === 'file' && { data: () => ctx.read(e) }),
  });
  if (root.type !== 'dir') return { name: posix.basename(root.path), isDir: false, items: [item(root, '')] };
  const prefix = root.path === '' ? '' : `${root.path}/`;
  return { name: posix.basename(root.path), isDir: true, items: ctx.tree(root.path).filter((e) => e !== root).map((e) => item(e, e.path.slice(prefix.length))) };
}

/** The cache identity of context roots: names, types, modes, sizes and content hashes, in order. */
export function rootsKey(roots: CopyRoot[]): string {
  // One string, hashed once: cheaper than an update per item without an optimising compiler.
  const lines: string[] = [];
  for (const r of roots) {
    lines.push(`root ${r.name} ${r.isDir} ${r.keepPath ?? ''}`);
    for (const i of r.items) lines.push(`${i.rel}\0${i.type}\0${i.mode.toString(8)}\0${i.size}\0${i.linkname}\0${i.hash ?? ''}`);
  }
  return createHash('sha256').update(lines.join('\n')).update('\n').digest('hex');
}

/** The roots the patterns match in a mounted filesystem (COPY --from). */
export async function rootfsRoots(root: string, patterns: string[], kind: string): Promise<CopyRoot[]> {
  const roots: CopyRoot[] = [];
  for (const pattern of patterns) {
    const path = posix.normalize(`/${pattern}`);
    const paths = hasGlob(path) ? await globIn(root, path) : [path];
    let found = 0;
    for (const p of paths) {
      const host = await resolveInRoot(root, p);
      const st = await lstat(host).catch(() => undefined);
      if (!st) continue;
      found++;
      if (st.isDirectory()) roots.push({ name: posix.basename(p), isDir: true, items: await walk(host, '') });
      else {
        const item = await hostItem(host, '');
        if (item) roots.push({ name: posix.basename(p), isDir: false, items: [item] });
      }
    }
    if (found === 0) throw invalidArgument(`${kind} failed: stat ${path}: file does not exist`);
  }
  return roots;
}

async function globIn(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter(Boolean);
  const fixed: string[] = [];
  while (parts.length > 0 && !hasGlob(parts[0])) fixed.push(parts.shift() as string);
  const base = `/${fixed.join('/')}`;
  const host = await resolveInRoot(root, base);
  const out: string[] = [];
  const visit = async (dir: string, cpath: string): Promise<void> => {
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const child = posix.join(cpath, name);
      if (matchPath(pattern, child)) out.push(child);
      const st = await lstat(join(dir, name));
      if (st.isDirectory()) await visit(join(dir, name), child);
    }
  };
  await visit(host, base);
  return out;
}

async function walk(dir: string, rel: string): Promise<CopyItem[]> {
  const out: CopyItem[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const host = join(dir, name);
    const r = rel === '' ? name : `${rel}/${name}`;
    const item = await hostItem(host, r);
    if (!item) continue;
    out.push(item);
    if (item.type === 'dir') out.push(...(await walk(host, r)));
  }
  return out;
}

async function hostItem(host: string, rel: string): Promise<CopyItem | undefined> {
  const st = await lstat(host);
  const base = { rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000, linkname: '', size: 0 };
  if (st.isDirectory()) return { ...base, type: 'dir' };
  if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await readlink(host) };
  if (!st.isFile()) return undefined; // devices, fifos and sockets are not copied
  return { ...base, type: 'file', size: st.size, hostPath: host, data: () => readFile(host) };
}
