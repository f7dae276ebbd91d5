import { lstat, stat } from 'node:fs/promises';
import { dirname, basename, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Command } from '../command.js';
import { CliError } from '../command.js';
import { ClientError, type DockerClient } from '../../client/index.js';
import { extractLocal, packLocal } from '../local-tar.js';

/** Go's os.ModeDir and os.ModeSymlink, as the stat header carries them. */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const isDirMode = (mode: number) => mode >= MODE_DIR;
const isLinkMode = (mode: number) => Math.floor(mode / MODE_SYMLINK) % 2 === 1;

/** docker's splitCpArg: "CTR:PATH" names a container unless the text is a local path. */
function splitArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/')) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

const endsAsDir = (p: string) => p.endsWith('/') || p.endsWith('/.') || p === '.';

/** The base name docker uses for a path's archive root ("." for "dir/."). */
function baseOf(p: string): string {
  if (p.endsWith('/.') || p === '.') return '.';
  return basename(p.replace(/\/+$/, '')) || '/';
}

function localError(err: unknown, path: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CliError(`lstat ${resolve(path)}: no such file or directory`);
  return err as Error;
}

async function fromContainer(client: DockerClient, ctr: string, src: string, dst: string, o: { follow: boolean; out: NodeJS.WritableStream }): Promise<void> {
  let srcPath = src;
  let rebase: string | undefined;
  if (o.follow) {
    const st = await client.containerStatPath(ctr, src);
    if (isLinkMode(st.mode)) {
      rebase = baseOf(src);
      srcPath = st.linkTarget;
    }
  }
  const { stat: srcStat, body } = await client.containerArchive(ctr, srcPath);
  if (dst === '-') {
    await pipeline(body, o.out);
    return;
  }
  const srcIsDir = isDirMode(srcStat.mode);
  const srcBase = srcStat.name;
  const dstStat = await stat(dst).catch(() => undefined);
  const rename = (to: string) => ({ from: srcBase, to });
  try {
    if (dstStat?.isDirectory()) {
      await extractLocal(body, dst, rebase ? rename(rebase) : undefined);
    } else if (dstStat && srcIsDir) {
      throw new CliError('cannot copy a directory to a file');
    } else if (!dstStat && endsAsDir(dst) && !srcIsDir) {
      throw new CliError(`no such directory: ${dst}`);
    } else {
      const parent = dirname(resolve(dst));
      if (!(await stat(parent).then((s) => s.isDirectory(), () => false))) throw new CliError(`no such directory: ${parent}`);
      await extractLocal(body, parent, rename(basename(resolve(dst))));
    }
  } finally {
    body.resume();
  }
}

async function toContainer(client: DockerClient, src: string, ctr: string, dst: string, o: { follow: boolean; archive: boolean; input: NodeJS.ReadableStream }): Promise<void> {
  let dstPath = dst;
  let dstStat;
  try {
    dstStat = await client.containerStatPath(ctr, dst);
    if (isLinkMode(dstStat.mode)) {
      dstPath = dstStat.linkTarget;
      dstStat = await client.containerStatPath(ctr, dstPath).catch(() => undefined);
    }
  } catch (err) {
    if (!(err instanceof ClientError) || err.status !== 404) throw err;
    // A HEAD answer has no body: a 404 is a missing path or a missing container; ask which.
    await client.containerInspect(ctr);
  }
  const put = (tar: Readable, dir: string) => client.containerPutArchive(ctr, dir, tar, { noOverwriteDirNonDir: true, copyUIDGID: o.archive });
  if (src === '-') {
    if (!dstStat || !isDirMode(dstStat.mode)) throw new CliError(`destination "${ctr}:${dst}" must be a directory`);
    await put(o.input as Readable, dstPath);
    return;
  }
  const srcSt = await (o.follow ? stat(src) : lstat(src)).catch((err) => Promise.reject(localError(err, src)));
  if (endsAsDir(src) && !srcSt.isDirectory()) throw new CliError(`lstat ${src}: not a directory`);
  const srcIsDir = srcSt.isDirectory();
  const srcBase = baseOf(src);
  const exists = dstStat !== undefined;
  const dstIsDir = exists && isDirMode(dstStat!.mode);
  if (dstIsDir) return put(packLocal(src, srcBase, o.follow), dstPath);
  if (exists && srcIsDir) throw new CliError('cannot copy a directory to a file');
  if (!exists && endsAsDir(dstPath) && !srcIsDir) throw new CliError(`no such directory: ${ctr}:${dst}`);
  const parent = dirname(dstPath.replace(/\/+$/, '') || '/');
  const name = basename(dstPath.replace(/\/+$/, ''));
  await put(packLocal(src, name, o.follow), parent);
}

export const cpCommand: Command = {
  name: 'cp',
  usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  aliases: ['berth container cp', 'berth cp'],
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy' },
  ],
  async run(flags, env) {
    const [srcArg, dstArg] = flags.positionals;
    const src = splitArg(srcArg);
    const dst = splitArg(dstArg);
    if (src.container && dst.container) throw new CliError('copying between containers is not supported');
    if (!src.container && !dst.container) throw new CliError('must specify at least one container source');
    const client = await env.client();
    const follow = flags.bool('follow-link');
    if (src.container) {
      if (src.path === '') throw new CliError('source can not be empty');
      await fromContainer(client, src.container, src.path, dst.path, { follow, out: env.io.out });
    } else {
      if (dst.path === '') throw new CliError('destination can not be empty');
      await toContainer(client, src.path, dst.container as string, dst.path, { follow, archive: flags.bool('archive'), input: env.io.in });
    }
    return 0;
  },
};
