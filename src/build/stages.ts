/**
 * Which stages a build needs: the target, and what it refers to through
 * FROM <stage>, COPY --from=<stage> and RUN --mount=from=<stage>, in
 * Dockerfile order. Stages nothing needs are skipped, as BuildKit does.
 */
import { expandWord, type Dockerfile } from './dockerfile/index.js';

/** The index of the stage named (case-insensitively) or numbered `ref`, if any. */
export function stageIndex(df: Dockerfile, ref: string): number | undefined {
  const lower = ref.toLowerCase();
  const byName = df.stages.find((s) => s.name === lower);
  if (byName) return byName.index;
  if (/^\d+$/.test(ref) && Number(ref) < df.stages.length) return Number(ref);
  return undefined;
}

export function neededStages(df: Dockerfile, target: number, globals: ReadonlyMap<string, string>): number[] {
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    const stage = df.stages[i];
    const refs: string[] = [stage.from.image];
    for (const ins of stage.instructions) {
      if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from) refs.push(ins.from);
      if (ins.kind === 'RUN') for (const m of ins.mounts) if ('from' in m && m.from) refs.push(m.from);
      if (ins.kind === 'RUN') for (const spec of ins.mountSpecs ?? []) for (const f of /(?:^|,)from=([^,]+)/.exec(spec)?.slice(1) ?? []) refs.push(f);
    }
    for (const raw of refs) {
      let ref = raw;
      try {
        ref = expandWord(raw, globals, df.directives.escape);
      } catch {
        // left as written; the step reports a bad substitution itself
      }
      const j = stageIndex(df, ref);
      if (j !== undefined && j < i) visit(j);
    }
  };
  visit(target);
  return [...need].sort((a, b) => a - b);
}
