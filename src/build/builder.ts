/**
 * One build, from the received context to the tagged image: reads the
 * Dockerfile (and .dockerignore), works out which stages the target needs,
 * runs them (independent ones in parallel, their output kept in stage
 * order), then records the image and sets its tags. Nothing is recorded or
 * tagged unless every step succeeded; finished steps stay in the cache.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile, chmod, utimes, symlink, lchown, lutimes } from 'node:fs/promises';
import { arch } from 'node:os';
import { join, posix } from 'node:path';
import { chainIdsOf } from '../image/index.js';
import type { OciManifest } from '../spec/oci-image.js';
import { EngineError, invalidArgument } from '../util/errors.js';
import { parseReference, referenceString, withDefaultTag } from '../util/reference.js';
import type { BuildCache } from './cache.js';
import { BuildContext } from './context.js';
import { expandWord, parseDockerfile, type Dockerfile, type Instruction } from './dockerfile/index.js';
import { applyIgnore } from './ignore.js';
import { OutputLanes } from './lanes.js';
import { neededStages, stageIndex } from './stages.js';
import { runStage, type StepCounter } from './stage.js';
import { childKey, type ImageState } from './state.js';
import type { StepEnv } from './step-env.js';
import type { BuildMessage, BuildRequest, BuildResult, BuilderDeps, StepSession } from './types.js';

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' })[arch()] ?? arch();

export async function build(deps: BuilderDeps, cache: BuildCache, req: BuildRequest, emit: (m: BuildMessage) => void): Promise<BuildResult> {
  const references = req.tags.map((t) => referenceString(withDefaultTag(parseReference(t))));
  const buildId = randomBytes(8).toString('hex');
  // Made on first use: a fully cached build never needs it.
  const tmp = join(deps.tmpDir, buildId);
  const tmpReady = once(() => mkdir(tmp, { recursive: true }));
  const out = (text: string) => {
    if (!req.quiet) emit({ stream: text });
  };
  let session: Promise<StepSession> | undefined;
  // One failing stage stops the others: their steps are killed and awaited before the cleanup.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let running: Promise<unknown>[] = [];
  try {
    const context = await BuildContext.receive(req.context, tmp);
    const file = req.dockerfile || 'Dockerfile';
    const text = (await context.text(file)) ?? (file === 'Dockerfile' ? await context.text('dockerfile') : undefined);
    if (text === undefined) throw invalidArgument(`Cannot locate specified Dockerfile: ${file}`);
    await applyIgnore(context, file);
    const dockerfile = parseDockerfile(text, { file: posix.basename(file) });
    for (const w of dockerfile.warnings ?? []) out(`[WARNING]: ${w.message}\n`);
    const platform = { os: 'linux', architecture: goArch() };
    const buildArgs = new Map(Object.entries(req.buildArgs).filter((e): e is [string, string] => e[1] !== null));
    const epochText = buildArgs.get('SOURCE_DATE_EPOCH') ?? process.env.SOURCE_DATE_EPOCH;
    const epoch = epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : undefined;
    const usedArgs = new Set<string>(['SOURCE_DATE_EPOCH']);
    const globals = globalArgs(dockerfile, buildArgs, usedArgs, platform);
    const target = req.target ? stageIndex(dockerfile, req.target) : dockerfile.stages.length - 1;
    if (target === undefined) throw invalidArgument(`failed to reach build target ${req.target} in Dockerfile`);
    if (dockerfile.stages.length === 0) throw invalidArgument('the Dockerfile has no FROM instruction');
    const order = neededStages(dockerfile, target, globals);
    const total = order.reduce((n, i) => n + 1 + dockerfile.stages[i].instructions.length, 0);
    const lanes = new OutputLanes(order, out);
    const results = new Map<number, Promise<ImageState>>();
    const pulled = new Map<string, Promise<void>>();
    let stepBase = 0;
    const bases = new Map<number, number>();
    for (const i of order) {
      bases.set(i, stepBase);
      stepBase += 1 + dockerfile.stages[i].instructions.length;
    }

    const env: StepEnv = {
      deps, cache, noCache: req.noCache, context, escape: dockerfile.directives.escape, file: posix.basename(file),
      buildArgs, usedArgs, epoch, secrets: req.secrets, signal: stop.signal,
      tempDir: async (prefix) => {
        await tmpReady();
        return mkdtemp(join(tmp, prefix));
      },
      initLayer: once(async () => {
        await tmpReady();
        return makeInitLayer(join(tmp, 'init'));
      }),
      session: () => (session ??= deps.runner.open({ buildId, networkMode: req.networkMode || 'default', extraHosts: req.extraHosts })),
      stage: (ref) => {
        const i = stageIndex(dockerfile, ref);
        return i === undefined ? undefined : startStage(i);
      },
      image: async (ref, plat) => {
        checkPlatform(plat ?? req.platform, platform);
        if (req.pull || !(await deps.images.resolve(ref).then(() => true, () => false))) {
          if (!deps.pull) throw new EngineError('NotFound', `pull access denied for ${ref}, repository does not exist or may require 'docker login'`);
          let p = pulled.get(ref);
          if (!p) pulled.set(ref, (p = deps.pull(ref, { platform: req.platform, registryAuth: req.registryAuth, report: (line) => env.out(`${line}\n`) })));
          await p;
        }
        return imageState(deps, ref);
      },
      contextDir: once(async () => {
        await tmpReady();
        return materialize(context, join(tmp, 'context'));
      }),
      out,
      verified: new Set(),
      cacheFrom: await cacheSources(deps, req.cacheFrom ?? []),
    };

    const startStage = (i: number): Promise<ImageState> => {
      let p = results.get(i);
      if (p) return p;
      const pos = order.indexOf(i);
      const lane = pos >= 0 ? lanes.lane(pos) : () => undefined;
      let n = bases.get(i) ?? 0;
      const counter: StepCounter = { next: (ins: Instruction) => lane(`Step ${++n}/${total} : ${oneLine(ins.original)}\n`) };
      p = runStage({ ...env, out: lane }, { stage: dockerfile.stages[i], globals, counter, platform }).finally(() => {
        if (pos >= 0) lanes.finish(pos);
      });
      results.set(i, p);
      return p;
    };
    // Every needed stage starts now; a stage that needs another awaits it inside.
    const all = order.map((i) => startStage(i));
    running = all;
    let firstError: unknown;
    all.forEach((p) =>
      p.catch((err: unknown) => {
        firstError ??= err; // the cause, not the cancellations it leads to
        stop.abort();
      }),
    );
    let state: ImageState;
    try {
      state = await startStage(target);
      await Promise.all(all);
    } catch (err) {
      throw firstError ?? err;
    }

    if (Object.keys(req.labels).length > 0) state = withLabels(state, req.labels, epoch);
    const unused = [...buildArgs.keys()].filter((k) => !usedArgs.has(k) && !globals.has(k));
    if (unused.length > 0) out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    let imageId: string;
    if (state.key.startsWith('sha256:')) {
      imageId = state.key; // FROM an image and nothing else: the image itself
      for (const ref of references) await deps.images.tag(imageId, ref);
    } else {
      imageId = (await deps.images.recordBuilt({ config: state.config, layers: state.layers.map((l) => l.descriptor), references })).id;
    }
    emit({ aux: { ID: imageId } });
    out(`Successfully built ${imageId.slice(7, 19)}\n`);
    for (const t of req.tags) out(`Successfully tagged ${familiar(t)}\n`);
    if (req.quiet) emit({ stream: `${imageId}\n` });
    return { imageId };
  } finally {
    stop.abort();
    req.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(running);
    await cache.save().catch(() => undefined);
    const s = session;
    if (s) void s.then((x) => x.close()).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The automatic platform args BuildKit defines (TARGETARCH, BUILDPLATFORM, ...); a stage sees them after `ARG NAME`. */
function platformArgs(p: { os: string; architecture: string }): Map<string, string> {
  const platform = `${p.os}/${p.architecture}`;
  return new Map([
    ['TARGETPLATFORM', platform], ['TARGETOS', p.os], ['TARGETARCH', p.architecture], ['TARGETVARIANT', ''],
    ['BUILDPLATFORM', platform], ['BUILDOS', p.os], ['BUILDARCH', p.architecture], ['BUILDVARIANT', ''],
  ]);
}

function globalArgs(df: Dockerfile, buildArgs: Map<string, string>, used: Set<string>, platform: { os: string; architecture: string }): Map<string, string> {
  const out = platformArgs(platform);
  for (const ins of df.globalArgs) {
    for (const a of ins.args) {
      const given = buildArgs.get(a.name);
      if (given !== undefined) used.add(a.name);
      const value = given ?? (a.defaultValue !== undefined ? expandWord(a.defaultValue, out, df.directives.escape) : undefined);
      if (value !== undefined) out.set(a.name, value);
    }
  }
  return out;
}

function withLabels(state: ImageState, labels: Record<string, string>, epoch: number | undefined): ImageState {
  const config = structuredClone(state.config);
  config.config = { ...(config.config ?? {}), Labels: { ...(config.config?.Labels ?? {}), ...labels } };
  const created = epoch !== undefined ? new Date(epoch * 1000).toISOString() : (state.config.created ?? new Date().toISOString());
  const text = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  config.history = [...(config.history ?? []), { created, created_by: `/bin/sh -c #(nop)  LABEL ${text}`, empty_layer: true }];
  return { key: childKey(state.key, `labels ${JSON.stringify(labels)}`), config, layers: state.layers };
}

async function imageState(deps: BuilderDeps, ref: string): Promise<ImageState> {
  const rec = await deps.images.resolve(ref);
  await deps.images.layerDirs(rec.id);
  const manifest = JSON.parse((await deps.images.content.readBlob(rec.manifestDigest)).toString('utf8')) as OciManifest;
  const chains = chainIdsOf(rec.config.rootfs.diff_ids);
  const layers = chains.map((chainId, i) => ({ chainId, diffId: rec.config.rootfs.diff_ids[i], descriptor: manifest.layers[i] }));
  return { key: rec.id, config: rec.config, layers };
}

/** The --cache-from images that exist here; docker's legacy builder skips the others too. */
async function cacheSources(deps: BuilderDeps, refs: readonly string[]): Promise<ImageState[]> {
  const out: ImageState[] = [];
  for (const ref of refs) {
    const state = await imageState(deps, ref).catch(() => undefined);
    if (state) out.push(state);
  }
  return out;
}

function checkPlatform(wanted: string | undefined, host: { os: string; architecture: string }): void {
  if (!wanted) return;
  const [os, architecture] = wanted.toLowerCase().split('/');
  if (os !== host.os || (architecture !== undefined && architecture !== host.architecture)) {
    throw invalidArgument(`platform ${wanted} is not supported here: this daemon builds for ${host.os}/${host.architecture}`);
  }
}

/** The empty placeholders the runtime mounts over, so it never creates them in a step's layer. */
async function makeInitLayer(dir: string): Promise<string> {
  for (const d of ['proc', 'sys', 'dev', 'etc']) await mkdir(join(dir, d), { recursive: true, mode: 0o755 });
  for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf']) await writeFile(join(dir, f), '', { mode: 0o644 });
  for (const d of ['', 'proc', 'sys', 'dev', 'etc']) await chmod(join(dir, d), 0o755);
  for (const d of ['proc', 'sys', 'dev', 'etc']) await utimes(join(dir, d), 0, 0);
  return dir;
}

/** The (filtered) context written out as a directory, for RUN --mount=type=bind. */
async function materialize(ctx: BuildContext, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const dirs: Array<[string, number]> = [];
  for (const e of [...ctx.entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const host = join(dir, e.path);
    if (e.type === 'dir') {
      if (e.path !== '') await mkdir(host, { recursive: true });
      await chmod(host, e.mode);
      dirs.push([host, e.mtime]);
    } else if (e.type === 'symlink') {
      await symlink(e.linkname, host);
      await lchown(host, e.uid, e.gid).catch(() => undefined);
      await lutimes(host, e.mtime, e.mtime);
    } else {
      await writeFile(host, await ctx.read(e), { mode: e.mode });
      await chmod(host, e.mode);
      await utimes(host, e.mtime, e.mtime);
    }
  }
  for (const [host, mtime] of dirs.reverse()) await utimes(host, mtime, mtime);
  return dir;
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

const oneLine = (s: string): string => s.replace(/\\?\s*\n\s*/g, ' ').trim();

/** "x" → "x:latest", as docker prints tags. */
function familiar(tag: string): string {
  const r = withDefaultTag(parseReference(tag));
  const full = referenceString(r);
  return full.replace(/^docker\.io\/(library\/)?/, '');
}

