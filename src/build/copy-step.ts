/**
 * COPY and ADD: sources resolved into items (copy-sources.ts), then written
 * into the state's filesystem mounted over the new layer's directory, with
 * docker's rules: a directory source copies its contents; several sources
 * need a directory destination ending in "/"; files belong to 0:0 unless
 * --chown; --chmod replaces modes; ADD unpacks local tar archives and fetches
 * http(s) URLs.
 */
import { createHash } from 'node:crypto';
import { chmod, lchown, lstat, mkdir, readFile, rm, copyFile } from 'node:fs/promises';
import { chmodSync, copyFileSync, lchownSync, lstatSync, lutimesSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readTarEntries } from '../image/index.js';
import { invalidArgument } from '../util/errors.js';
import type { CopyInstruction } from './dockerfile/index.js';
import { contextRoots, rootfsRoots, rootsKey, type CopyItem, type CopyRoot } from './copy-sources.js';
import { absoluteIn, resolveInRoot } from './paths.js';
import { withRootfs } from './rootfs.js';
import type { ImageState } from './state.js';
import type { StepEnv } from './step-env.js';

export interface CopyPlan {
  stepKey: string;
  createdBy: string;
  /** Writes the sources into the mounted root. */
  write(root: string): Promise<void>;
}

export async function planCopy(env: StepEnv, ins: CopyInstruction, state: ImageState): Promise<CopyPlan> {
  const kind = ins.kind;
  const workdir = state.config.config?.WorkingDir || '/';
  const dest = absoluteIn(workdir, ins.dest);
  const destIsDir = ins.dest.endsWith('/') || ins.dest === '.' || ins.dest.endsWith('/.');
  let roots: CopyRoot[];
  let sourceKey: string;
  let described: string;
  if (ins.heredocs.length > 0) {
    roots = ins.heredocs.map((d) => ({ name: d.name, isDir: false, items: [memItem(Buffer.from(d.content), 0o644, 0)] }));
    sourceKey = createHash('sha256').update(JSON.stringify(ins.heredocs)).digest('hex');
    described = `heredoc:${sourceKey.slice(0, 12)}`;
  } else if (ins.from !== undefined) {
    const from = await (env.stage(ins.from) ?? env.image(ins.from));
    sourceKey = `from ${from.key} ${JSON.stringify(ins.sources)}`;
    described = `from ${ins.from}`;
    const sources = ins.sources;
    return finish(await lazyRoots(env, from, sources, kind));
  } else {
    const urls = kind === 'ADD' ? ins.sources.filter(isUrl) : [];
    const local = ins.sources.filter((s) => !urls.includes(s));
    roots = contextRoots(env.context, local, kind, { excludes: ins.excludes, parents: ins.parents });
    for (const u of urls) roots.push(await fetchUrl(u, env.epoch, ins.checksum));
    if (kind === 'ADD') roots = await unpackArchives(roots, ins.sources.length - urls.length);
    sourceKey = rootsKey(roots);
    described = `${roots.length > 1 ? 'multi' : roots[0]?.isDir ? 'dir' : 'file'}:${sourceKey}`;
  }
  return finish({ roots: async () => roots, count: roots.length });

  function finish(src: { roots: () => Promise<CopyRoot[]>; count: number }): CopyPlan {
    const many = src.count > 1 || ins.sources.some((s) => /[*?[]/.test(s));
    if (many && !destIsDir && src.count > 1) {
      throw invalidArgument(`When using ${kind} with more than one source file, the destination must be a directory and end with a /`);
    }
    const flags = [ins.chown && `--chown=${ins.chown}`, ins.chmod && `--chmod=${ins.chmod}`, ins.link && '--link'].filter(Boolean).join(' ');
    return {
      stepKey: `${kind} ${flags} ${sourceKey} ${dest} ${destIsDir}`,
      createdBy: `/bin/sh -c #(nop) ${kind} ${flags ? `${flags} ` : ''}${described} in ${dest} `,
      async write(root) {
        const owner = await parseChown(root, ins.chown);
        const mode = ins.chmod !== undefined ? parseChmod(ins.chmod) : undefined;
        const all = await src.roots();
        for (const r of all) {
          const into = r.isDir || destIsDir || many || (await isDirIn(root, dest));
          const target = r.keepPath !== undefined ? posix.join(dest, r.keepPath) : r.isDir ? dest : into ? posix.join(dest, r.name) : dest;
          await writeItems(root, target, r.items, { owner, mode });
        }
      },
    };
  }
}

/** COPY --from reads the other state's files only when the step really runs (not on a cache hit). */
async function lazyRoots(env: StepEnv, from: ImageState, sources: string[], kind: string): Promise<{ roots: () => Promise<CopyRoot[]>; count: number }> {
  return {
    count: sources.length,
    roots: async () => {
      const dir = await env.tempDir('copy-from-');
      // The source is read while mounted; file contents are read during the write, so copy them out first.
      return withRootfs(env, from, {}, async (root) => {
        const roots = await rootfsRoots(root, sources, kind);
        for (const r of roots) {
          for (const item of r.items) {
            if (item.type !== 'file' || !item.hostPath) continue;
            const copy = join(dir, `f${Math.random().toString(36).slice(2)}`);
            await copyFile(item.hostPath, copy);
            item.hostPath = copy;
            item.data = () => readFile(copy);
          }
        }
        return roots;
      });
    },
  };
}

function memItem(data: Buffer, mode: number, mtime: number): CopyItem {
  return { rel: '', type: 'file', mode, uid: 0, gid: 0, mtime, linkname: '', size: data.length, hash: createHash('sha256').update(data).digest('hex'), data: async () => data };
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** ADD <url>: the body as a file named after the URL's last path segment, mode 0600, mtime from Last-Modified. */
async function fetchUrl(url: string, epoch?: number, checksum?: string): Promise<CopyRoot> {
  const { data, lastModified } = await httpGet(url, 5);
  if (checksum !== undefined) {
    const got = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (!checksum.startsWith('sha256:')) throw invalidArgument(`unsupported checksum ${checksum}: only sha256 is supported`);
    if (got !== checksum) throw invalidArgument(`digest mismatch for ${url}: expected ${checksum}, got ${got}`);
  }
  const modified = Date.parse(lastModified ?? '');
  const mtime = Number.isNaN(modified) ? (epoch ?? 0) : modified / 1000;
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  return { name, isDir: false, items: [memItem(data, 0o600, mtime)] };
}

/**
 * A GET through node:http(s), following redirects. (The daemon runs with V8's
 * lite mode, which has no WebAssembly, so the global fetch cannot load.)
 */
function httpGet(url: string, redirects: number): Promise<{ data: Buffer; lastModified?: string }> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(invalidArgument(`failed to GET ${url}: ${why}`));
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        httpGet(new URL(res.headers.location, url).toString(), redirects - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(invalidArgument(`failed to GET ${url} with status ${status}: ${res.statusMessage ?? ''}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ data: Buffer.concat(chunks), lastModified: res.headers['last-modified'] }));
      res.on('error', (err) => fail(err.message));
    });
    req.on('error', (err) => fail(err.message));
    req.setTimeout(300_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** ADD of a local tar (plain or gzip) unpacks it into the destination. */
async function unpackArchives(roots: CopyRoot[], localCount: number): Promise<CopyRoot[]> {
  const out: CopyRoot[] = [];
  for (const [i, r] of roots.entries()) {
    const item = r.items[0];
    if (i >= localCount || r.isDir || item.type !== 'file' || !item.data) {
      out.push(r);
      continue;
    }
    let data = await item.data();
    if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
    else if (data.length < 512 || data.toString('latin1', 257, 262) !== 'ustar') {
      out.push(r);
      continue;
    }
    const items: CopyItem[] = [];
    try {
      for await (const e of readTarEntries(Readable.from([data]))) {
        const rel = posix.normalize(`/${e.name}`).slice(1).replace(/\/$/, '');
        if (rel === '' || rel.startsWith('..')) continue;
        const type = e.type === 'directory' ? 'dir' : e.type === 'symlink' ? 'symlink' : e.type === 'file' ? 'file' : undefined;
        if (!type) continue;
        const chunks: Buffer[] = [];
        for await (const c of e.body) chunks.push(c);
        const body = Buffer.concat(chunks);
        items.push({ rel, type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, linkname: e.linkname, size: body.length, hash: item.hash, data: async () => body });
      }
    } catch {
      out.push(r); // not a tar after all: copied as a file, as docker does
      continue;
    }
    out.push({ name: r.name, isDir: true, items: items.map((x) => ({ ...x, keepOwner: true }) as CopyItem) });
  }
  return out;
}

async function isDirIn(root: string, path: string): Promise<boolean> {
  const st = await lstat(await resolveInRoot(root, path)).catch(() => undefined);
  return st?.isDirectory() === true;
}

/**
 * Writes items under container path `target`: parents made 0755 root, every
 * path resolved inside `root` (an image's symlink never leads out of it).
 * Files are written with synchronous calls, a few milliseconds at a time
 * between turns of the event loop: for many small files that is several
 * times faster than a thread-pool round trip per call.
 */
async function writeItems(root: string, target: string, items: CopyItem[], o: { owner?: { uid: number; gid: number }; mode?: number }): Promise<void> {
  const dirs = new Map<string, string>();
  const dirTimes: Array<[string, number]> = [];
  const ensureDir = async (cpath: string): Promise<string> => {
    const known = dirs.get(cpath);
    if (known) return known;
    const host = await resolveInRoot(root, cpath);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      if (cpath !== '/') await ensureDir(posix.dirname(cpath));
      await mkdir(host);
      await chmod(host, 0o755);
      if (o.owner) await lchown(host, o.owner.uid, o.owner.gid);
    } else if (!st.isDirectory()) {
      await rm(host, { force: true });
      await mkdir(host, { mode: 0o755 });
    }
    dirs.set(cpath, host);
    return host;
  };
  const owner = (i: CopyItem) => o.owner ?? ((i as CopyItem & { keepOwner?: boolean }).keepOwner ? { uid: i.uid, gid: i.gid } : { uid: 0, gid: 0 });
  let slice = performance.now();
  for (const item of items) {
    if (performance.now() - slice > 8) {
      await new Promise((r) => setImmediate(r));
      slice = performance.now();
    }
    const cpath = item.rel === '' ? target : posix.join(target, item.rel);
    const mode = o.mode ?? item.mode;
    if (item.type === 'dir') {
      const host = await ensureDir(cpath);
      chmodSync(host, mode);
      const u = owner(item);
      lchownSync(host, u.uid, u.gid);
      dirTimes.push([host, item.mtime]);
      continue;
    }
    const parent = await ensureDir(posix.dirname(cpath));
    writeOne(join(parent, posix.basename(cpath)), item, mode, owner(item), item.data && !item.hostPath ? await item.data() : undefined);
  }
  for (const [host, mtime] of dirTimes.reverse()) lutimesSync(host, mtime, mtime);
}

function writeOne(host: string, item: CopyItem, mode: number, owner: { uid: number; gid: number }, data: Buffer | undefined): void {
  let st;
  try {
    st = lstatSync(host);
  } catch {
    st = undefined;
  }
  if (st && (st.isDirectory() || item.type === 'symlink' || st.isSymbolicLink())) rmSync(host, { recursive: true, force: true });
  if (item.type === 'symlink') {
    symlinkSync(item.linkname, host);
    lchownSync(host, owner.uid, owner.gid);
  } else {
    if (item.hostPath) copyFileSync(item.hostPath, host);
    else writeFileSync(host, data ?? Buffer.alloc(0));
    lchownSync(host, owner.uid, owner.gid);
    chmodSync(host, mode);
  }
  lutimesSync(host, item.mtime, item.mtime);
}

/** --chown=user[:group] (or a USER), names looked up in the image's /etc/passwd and /etc/group. */
export async function parseChown(root: string, spec: string | undefined): Promise<{ uid: number; gid: number } | undefined> {
  if (spec === undefined || spec === '') return undefined;
  const [user, group] = spec.split(':', 2);
  const table = async (file: string) =>
    (await readFile(await resolveInRoot(root, file), 'utf8').catch(() => '')).split('\n').map((l) => l.split(':'));
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const row = (await table('/etc/passwd')).find((f) => f[0] === user);
    if (!row) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const row = (await table('/etc/group')).find((f) => f[0] === group);
      if (!row) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

function parseChmod(spec: string): number {
  if (!/^[0-7]{3,4}$/.test(spec)) throw invalidArgument(`invalid chmod parameter: ${spec}: only octal modes are supported`);
  return Number.parseInt(spec, 8);
}
