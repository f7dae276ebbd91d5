/**
 * Runs one stage: FROM, then each instruction in order. Every step has a key
 * (the parent state's key and the step's own identity) and is taken from the
 * layer cache when an entry for that key exists and its layers are still
 * stored; otherwise it runs and its result is cached. Metadata steps are
 * cached too, so a fully cached rebuild yields the very same config and image ID.
 */
import type { OciHistoryEntry, OciImageConfigFile } from '../spec/oci-image.js';
import { EngineError, invalidArgument, isEngineError } from '../util/errors.js';
import { expandInstruction, parseOnbuildTriggers, type Instruction, type Stage } from './dockerfile/index.js';
import { planCopy } from './copy-step.js';
import { applyMetadata, isMetadata, nopHistory, type StageFlags } from './metadata.js';
import { withRootfs } from './rootfs.js';
import { planRun, PROXY_ARGS, runStep } from './run-step.js';
import { childKey, scratchState, stateId, type ImageState, type StateLayer } from './state.js';
import type { StepEnv } from './step-env.js';
import { makeWorkdir } from './workdir-step.js';
import { fromSources } from './cache-from.js';

/** Numbers and prints "Step N/M : ..." lines; shared by all stages of a build. */
export interface StepCounter {
  next(ins: Instruction): void;
}

export interface StageInput {
  stage: Stage;
  /** Global ARG values in effect (defaults overridden by --build-arg). */
  globals: ReadonlyMap<string, string>;
  counter: StepCounter;
  platform: { os: string; architecture: string };
}

export async function runStage(env: StepEnv, input: StageInput): Promise<ImageState> {
  const { stage } = input;
  input.counter.next(stage.from);
  const from = at(env, stage.from, () => expandInstruction(stage.from, input.globals, { escape: env.escape }));
  let state: ImageState;
  if (from.image.toLowerCase() === 'scratch') state = scratchState(input.platform);
  else state = await at(env, stage.from, () => env.stage(from.image) ?? env.image(from.image, from.platform));
  env.out(` ---> ${shortId(state)}\n`);
  const run = new StageRun(env, state, input.globals);
  const triggers = state.config.config?.OnBuild ?? [];
  if (triggers.length > 0) {
    env.out(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    for (const ins of at(env, stage.from, () => parseOnbuildTriggers(triggers, { file: env.file, escape: env.escape }))) await run.step(ins, false);
    run.clearOnbuild();
  }
  for (const ins of stage.instructions) {
    input.counter.next(ins);
    await run.step(ins, true);
  }
  return run.state;
}

class StageRun {
  /** ARGs declared in this stage, with their values. */
  private readonly args = new Map<string, string>();
  private readonly flags: StageFlags = { cmdSet: false };

  constructor(private readonly env: StepEnv, public state: ImageState, private readonly globals: ReadonlyMap<string, string>) {}

  /** Variables for expansion: the stage's ARGs, then ENV over them (ENV wins, as in docker). */
  private vars(): Map<string, string> {
    const vars = new Map(this.args);
    for (const e of this.state.config.config?.Env ?? []) {
      const i = e.indexOf('=');
      if (i > 0) vars.set(e.slice(0, i), e.slice(i + 1));
    }
    return vars;
  }

  clearOnbuild(): void {
    const config = structuredClone(this.state.config);
    if (config.config) config.config.OnBuild = null;
    this.state = { ...this.state, key: `${this.state.key}+onbuild`, config };
  }

  async step(raw: Instruction, printId: boolean): Promise<void> {
    const env = this.env;
    if (env.signal?.aborted) throw new EngineError('Internal', 'the build was cancelled');
    if (raw.kind === 'ARG') return this.arg(at(env, raw, () => expandInstruction(raw, this.vars(), { escape: env.escape })));
    const ins = at(env, raw, () => expandInstruction(raw, this.vars(), { escape: env.escape }));
    await at(env, raw, async () => {
      if (ins.kind === 'WORKDIR') await this.workdir(ins);
      else if (isMetadata(ins)) await this.metadata(ins);
      else if (ins.kind === 'RUN') await this.runInstruction(ins);
      else if (ins.kind === 'COPY' || ins.kind === 'ADD') await this.copy(ins);
      else if (ins.kind === 'FROM') throw invalidArgument('FROM inside a stage');
    });
    if (printId) env.out(` ---> ${shortId(this.state)}\n`);
  }

  private arg(ins: Extract<Instruction, { kind: 'ARG' }>): void {
    for (const a of ins.args) {
      const given = this.env.buildArgs.get(a.name);
      if (given !== undefined) this.env.usedArgs.add(a.name);
      const value = given ?? (a.defaultValue === undefined ? this.globals.get(a.name) : a.defaultValue);
      if (value !== undefined) this.args.set(a.name, value);
      else this.args.delete(a.name);
    }
  }

  /** Build args that RUN sees: declared ARGs with values, plus the predefined proxy args given with --build-arg. */
  private runArgs(): Map<string, string> {
    const out = new Map(this.args);
    for (const [k, v] of this.env.buildArgs) {
      if (PROXY_ARGS.has(k) && !out.has(k)) {
        out.set(k, v);
        this.env.usedArgs.add(k);
      }
    }
    return out;
  }

  private async metadata(ins: Extract<Instruction, { kind: string }> & Parameters<typeof applyMetadata>[1]): Promise<void> {
    const stepKey = `${ins.kind} ${JSON.stringify(ins)}`.replace(/"loc":\{[^}]*\},?/, '');
    await this.cached(stepKey, ins.original, async () => {
      const { config, author } = applyMetadata(this.state.config.config ?? {}, ins, this.flags);
      return { config: this.withHistory({ ...this.state.config, config, ...(author !== undefined && { author }) }, nopHistory(ins), true), layers: this.state.layers };
    }, { createdBy: nopHistory(ins) });
    if (ins.kind === 'CMD') this.flags.cmdSet = true;
  }

  /** WORKDIR sets the config's working directory and makes the directory when the image lacks it. */
  private async workdir(ins: Extract<Instruction, { kind: 'WORKDIR' }>): Promise<void> {
    const stepKey = `WORKDIR+mkdir ${JSON.stringify(ins)}`.replace(/"loc":\{[^}]*\},?/, '');
    const next = (): OciImageConfigFile => ({ ...this.state.config, config: applyMetadata(this.state.config.config ?? {}, ins, this.flags).config });
    await this.cached(stepKey, ins.original, async () => {
      const base = next();
      const layer = await makeWorkdir(this.env, this.state, base.config?.WorkingDir ?? '/', base.config?.User ?? '');
      if (!layer) return { config: this.withHistory(base, nopHistory(ins), true), layers: this.state.layers };
      return this.withLayer(layer, nopHistory(ins), base);
    }, { createdBy: nopHistory(ins), base: next });
  }

  private async runInstruction(ins: Extract<Instruction, { kind: 'RUN' }>): Promise<void> {
    const args = this.runArgs();
    const plan = planRun(ins, this.state, args);
    await this.cached(plan.stepKey, ins.original, async () => {
      const parent = this.state.layers.at(-1)?.chainId ?? null;
      const layer = await this.env.deps.images.newLayer({
        parent,
        clampMtime: this.env.epoch,
        fill: (upper) => runStep(this.env, ins, this.state, args, upper),
      });
      return this.withLayer(layer, plan.createdBy);
    }, { createdBy: plan.createdBy });
  }

  /** COPY/ADD; `--link` gives the same result here (the layer is made over the state, as without it). */
  private async copy(ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>): Promise<void> {
    const plan = await planCopy(this.env, ins, this.state);
    await this.cached(plan.stepKey, ins.original, async () => {
      const layer = await this.env.deps.images.newLayer({
        parent: this.state.layers.at(-1)?.chainId ?? null,
        clampMtime: this.env.epoch,
        fill: (upper) => withRootfs(this.env, this.state, { upper }, (root) => plan.write(root)),
      });
      return this.withLayer(layer, plan.createdBy);
    }, { createdBy: plan.createdBy });
  }

  /** The state with `layer` on top; `base` is the config it goes on (the current one unless the step changed it). */
  private withLayer(layer: StateLayer, createdBy: string, base: OciImageConfigFile = this.state.config): Omit<ImageState, 'key'> {
    const config = this.withHistory(
      { ...base, rootfs: { type: 'layers', diff_ids: [...this.state.config.rootfs.diff_ids, layer.diffId] } },
      createdBy,
      false,
    );
    return { config, layers: [...this.state.layers, { chainId: layer.chainId, diffId: layer.diffId, descriptor: layer.descriptor }] };
  }

  private withHistory(config: OciImageConfigFile, createdBy: string, empty: boolean): OciImageConfigFile {
    const created = this.env.epoch !== undefined ? new Date(this.env.epoch * 1000).toISOString() : new Date().toISOString();
    const entry: OciHistoryEntry = { created, created_by: createdBy, ...(empty && { empty_layer: true }) };
    return { ...config, created, history: [...(config.history ?? []), entry] };
  }

  /**
   * Takes the step from the cache, else from a --cache-from image (`source`:
   * the history entry the step writes, and the config a reused layer goes
   * on), else makes it; either way `state` moves on.
   */
  private async cached(
    stepKey: string,
    description: string,
    make: () => Promise<Omit<ImageState, 'key'>>,
    source?: { createdBy: string; base?: () => OciImageConfigFile },
  ): Promise<void> {
    const key = childKey(this.state.key, stepKey);
    if (!this.env.noCache) {
      const hit = this.env.cache.get(key);
      if (hit && (await present(this.env, hit.state))) {
        this.env.out(' ---> Using cache\n');
        this.state = hit.state;
        return;
      }
      if (hit) this.env.cache.delete(key);
    }
    const reuse = source && !this.env.noCache ? fromSources(this.env.cacheFrom, this.state, source.createdBy) : undefined;
    if (reuse) this.env.out(' ---> Using cache\n');
    const made = reuse?.layer ? this.withLayer(reuse.layer, source?.createdBy ?? '', source?.base?.()) : await make();
    const state: ImageState = { key, ...made };
    const added = made.layers.length > this.state.layers.length ? made.layers[made.layers.length - 1] : undefined;
    this.env.cache.put({ state, description: description.replace(/\s*\n\s*/g, ' ').trim(), ...(added && { layer: added }), size: added?.descriptor.size ?? 0 });
    this.state = state;
  }
}

/** Whether a cached state's layers are all still stored; each chain is checked once per build. */
async function present(env: StepEnv, state: ImageState): Promise<boolean> {
  const unchecked = state.layers.filter((l) => !env.verified.has(l.chainId));
  if (!(await env.deps.images.chainPresent(unchecked))) return false;
  for (const l of unchecked) env.verified.add(l.chainId);
  return true;
}

export const shortId = (s: ImageState): string => (s.key.startsWith('sha256:') ? s.key : stateId(s)).slice(7, 19);

/** Runs `fn`, adding the Dockerfile line to an error that lacks it. */
function at<T>(env: StepEnv, ins: Instruction, fn: () => T): T {
  const wrap = (err: unknown): never => {
    if (isEngineError(err) && !/^dockerfile parse error|^\S+:\d+/.test(err.message) && ins.loc) {
      throw new EngineError(err.kind, `${ins.loc.file || env.file}:${ins.loc.line}: ${err.message}`, { cause: err });
    }
    throw err;
  };
  try {
    const r = fn();
    if (r instanceof Promise) return r.catch(wrap) as T;
    return r;
  } catch (err) {
    return wrap(err);
  }
}
