/**
 * The client side of docker cp: a local path as a tar stream (to PUT into a
 * container) and a tar stream extracted under a local directory, with the
 * root entry renamed as docker's CopyTo does. tar-stream is loaded on first
 * use so other commands do not pay for it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, readlink, rm, stat, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

type TarStream = typeof import('tar-stream');
const tarStream = (): Promise<TarStream> => import('tar-stream');

/** Packs `path` with its root entry named `name` ("." packs a directory's content). `follow` dereferences the root only. */
export function packLocal(path: string, name: string, follow: boolean): Readable {
  const out = new PassThrough();
  void (async () => {
    const { pack: makePack } = await tarStream();
    const pack = makePack();
    const piped = pipeline(pack, out);
    const add = async (p: string, n: string, deref: boolean): Promise<void> => {
      const st = deref ? await stat(p) : await lstat(p);
      const base = { name: n, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        await new Promise<void>((res, rej) => pack.entry({ ...base, type: 'directory', name: n.endsWith('/') ? n : `${n}/` }, (e) => (e ? rej(e) : res())));
        for (const child of (await readdir(p)).sort()) await add(join(p, child), `${n.replace(/\/+$/, '')}/${child}`, false);
      } else if (st.isSymbolicLink()) {
        const linkname = await readlink(p);
        await new Promise<void>((res, rej) => pack.entry({ ...base, type: 'symlink', linkname }, (e) => (e ? rej(e) : res())));
      } else if (st.isFile()) {
        await pipeline(createReadStream(p), pack.entry({ ...base, type: 'file', size: st.size }));
      }
    };
    try {
      await add(path, name, follow);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
    await piped;
  })().catch((err) => out.destroy(err as Error));
  return out;
}

/**
 * Extracts `tar` under `dir`, renaming the root entry `from` to `to` when
 * given. Entries that would climb out of `dir` are refused.
 */
export async function extractLocal(tar: Readable, dir: string, rename?: { from: string; to: string }): Promise<void> {
  const { extract } = await tarStream();
  const ex = extract();
  tar.pipe(ex);
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  for await (const entry of ex) {
    const h = entry.header;
    let name = h.name.replace(/\/+$/, '');
    if (rename) {
      const from = rename.from.replace(/\/+$/, '');
      if (name === from) name = rename.to;
      else if (name.startsWith(`${from}/`)) name = `${rename.to}${name.slice(from.length)}`;
    }
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new Error(`invalid tar entry "${h.name}": it would be written outside ${dir}`);
    const target = join(dir, ...parts);
    const existing = await lstat(target).catch(() => undefined);
    if (h.type === 'directory') {
      entry.resume();
      if (existing && !existing.isDirectory()) throw new Error(`cannot overwrite non-directory "${target}" with directory "${h.name}"`);
      if (!existing) await mkdir(target);
      await chmod(target, h.mode);
      dirTimes.push({ path: target, mtime: h.mtime });
      continue;
    }
    if (existing?.isDirectory()) throw new Error(`cannot overwrite directory "${target}" with non-directory "${h.name}"`);
    if (existing) await rm(target, { force: true });
    if (h.type === 'symlink') {
      entry.resume();
      await symlink(h.linkname, target);
      await lchown(target, process.getuid?.() ?? 0, process.getgid?.() ?? 0).catch(() => undefined);
      continue;
    }
    if (h.type === 'file' || h.type === 'contiguous-file') {
      await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: h.mode }));
      await chmod(target, h.mode);
      await utimes(target, h.mtime, h.mtime);
      continue;
    }
    entry.resume();
  }
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
}
