/**
 * RUN: the command runs in a container whose root is the state's layers under
 * the new layer's directory as overlay upper dir, so what it changes becomes
 * the layer as it is. `--mount` kinds are prepared here; mount points the
 * runtime had to create are removed again, so they do not end up in the layer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { EngineError, invalidArgument } from '../util/errors.js';
import { execFileText } from '../util/exec.js';
import { log } from '../util/log.js';
import { runCommandLine, type RunInstruction, type RunMount } from './dockerfile/index.js';
import { DEFAULT_SHELL } from './metadata.js';
import { resolveInRoot } from './paths.js';
import { withRootfs } from './rootfs.js';
import type { ImageState } from './state.js';
import type { StepEnv } from './step-env.js';
import type { StepMount } from './types.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunPlan {
  args: string[];
  /** The cache key and the history text (`|1 A=b /bin/sh -c cmd`). */
  createdBy: string;
  stepKey: string;
}

/** The process and the cache identity of a RUN, given the build args in effect. */
export function planRun(ins: RunInstruction, state: ImageState, args: ReadonlyMap<string, string>): RunPlan {
  const shell = state.config.config?.Shell?.length ? state.config.config.Shell : DEFAULT_SHELL;
  const line = runCommandLine(ins, shell);
  const argList = [...args].filter(([k]) => !PROXY_ARGS.has(k)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const prefix = argList.length ? `|${argList.length} ${argList.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
  const createdBy = `${prefix}${line.args.join(' ')}`;
  const mounts = JSON.stringify(ins.mounts);
  const inline = line.inlineFile ? createHash('sha256').update(line.inlineFile.content).digest('hex') : '';
  return { args: line.args, createdBy, stepKey: `RUN ${JSON.stringify(line.args)} ${prefix} ${mounts} ${ins.network ?? ''} ${inline}` };
}

export const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/** Runs the step with `upper` as the overlay upper dir; throws docker's error on a non-zero exit. */
export async function runStep(env: StepEnv, ins: RunInstruction, state: ImageState, args: ReadonlyMap<string, string>, upper: string): Promise<void> {
  const shell = state.config.config?.Shell?.length ? state.config.config.Shell : DEFAULT_SHELL;
  const line = runCommandLine(ins, shell);
  if (line.args.length === 0) throw invalidArgument('RUN requires at least one argument');
  const cfg = state.config.config ?? {};
  const envList = [...(cfg.Env ?? [])];
  for (const [k, v] of args) if (!envList.some((e) => e.split('=', 1)[0] === k)) envList.push(`${k}=${v}`);
  if (!envList.some((e) => e.startsWith('PATH='))) envList.unshift(DEFAULT_PATH);
  const session = await env.session();
  const id = randomBytes(6).toString('hex');
  const mounts = await prepareMounts(env, ins.mounts, id);
  if (line.inlineFile) {
    const dir = await env.tempDir('inline-');
    const file = join(dir, 'script');
    await writeFile(file, line.inlineFile.content, { mode: line.inlineFile.mode });
    mounts.push({ type: 'bind', source: file, target: line.inlineFile.path, readonly: true });
  }
  env.out(` ---> Running in ${id}\n`);
  let code = 0;
  const t0 = performance.now();
  await withRootfs(env, state, { upper, init: true }, async (root) => {
    const created = await missingTargets(root, mounts.map((m) => m.target));
    const t1 = performance.now();
    try {
      code = await session.run(root, {
        id,
        args: line.args,
        env: envList,
        cwd: cfg.WorkingDir || '/',
        user: cfg.User ?? '',
        network: ins.network ?? 'default',
        mounts,
        output: (chunk) => env.out(chunk.toString('utf8')),
        signal: env.signal,
      });
    } finally {
      for (const p of created.reverse()) await rmdir(p).catch(() => rm(p, { force: true }).catch(() => undefined));
      log.debug('build RUN', { mountMs: Math.round(t1 - t0), runMs: Math.round(performance.now() - t1) });
    }
  });
  log.debug('build RUN done', { totalMs: Math.round(performance.now() - t0) });
  if (code !== 0) {
    throw new EngineError('InvalidArgument', `The command '${line.args.join(' ')}' returned a non-zero code: ${code}`);
  }
  env.out(`Removing intermediate container ${id}\n`);
}

/** Host paths of mount targets (and their missing parents) the runtime will create under `root`. */
async function missingTargets(root: string, targets: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of targets) {
    let p = posix.normalize(t);
    const chain: string[] = [];
    while (p !== '/' && p !== '.') {
      const host = await resolveInRoot(root, p, false);
      if (await lstat(host).then(() => true, () => false)) break;
      chain.unshift(host);
      p = posix.dirname(p);
    }
    for (const c of chain) if (!out.includes(c)) out.push(c);
  }
  return out;
}

async function prepareMounts(env: StepEnv, mounts: RunMount[], stepId: string): Promise<StepMount[]> {
  const out: StepMount[] = [];
  for (const m of mounts) {
    switch (m.type) {
      case 'bind': {
        const base = m.from ? await fromDir(env, m.from) : await env.contextDir();
        let source = await resolveInRoot(base, m.source ?? '/');
        if (m.readwrite && !m.from) {
          // Writes to a read-write bind are thrown away after the step, as in docker: give it a copy.
          const copy = join(await env.tempDir('bind-rw-'), 'src');
          await execFileText('cp', ['-a', source, copy]);
          source = copy;
        }
        out.push({ type: 'bind', source, target: m.target, readonly: !m.readwrite });
        break;
      }
      case 'cache': {
        const id = m.id ?? m.target;
        const dir = join(env.deps.dataRoot, 'build', 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
        if ((await mkdir(dir, { recursive: true })) !== undefined) {
          await chmod(dir, m.mode ?? 0o755);
          await chown(dir, m.uid ?? 0, m.gid ?? 0);
        }
        out.push({ type: 'bind', source: dir, target: m.target, readonly: m.readonly });
        break;
      }
      case 'tmpfs':
        out.push({ type: 'tmpfs', target: m.target, size: m.size });
        break;
      case 'secret': {
        const value = env.secrets[m.id];
        if (value === undefined) {
          if (m.required) throw invalidArgument(`secret ${m.id}: not found`);
          break;
        }
        const dir = await env.tempDir(`secret-${stepId}-`);
        const file = join(dir, 'secret');
        await writeFile(file, value, { mode: m.mode ?? 0o400 });
        await chown(file, m.uid ?? 0, m.gid ?? 0);
        out.push({ type: 'bind', source: file, target: m.target ?? `/run/secrets/${m.id}`, readonly: true });
        break;
      }
      case 'ssh':
        if (m.required) throw invalidArgument('RUN --mount=type=ssh needs an SSH agent forwarded by BuildKit, which berth does not provide');
        break;
    }
  }
  return out;
}

/** A stage's or image's filesystem, unpacked into a directory for `--mount=from=`. */
async function fromDir(env: StepEnv, ref: string): Promise<string> {
  const state = await (env.stage(ref) ?? env.image(ref));
  const dir = await env.tempDir('from-');
  // A snapshot copy keeps the mount valid after the overlay is gone.
  await withRootfs(env, state, {}, async (root) => {
    await execFileText('cp', ['-a', `${root}/.`, dir]);
  });
  return dir;
}
