/**
 * Variable substitution exactly where docker applies it. The builder calls
 * `expandInstruction` just before executing each instruction, with the ARG
 * and ENV values in force at that step:
 *
 * - ADD, COPY (sources, destination, --from, --chown, --chmod, --checksum),
 *   ENV and LABEL (names and values), EXPOSE (words split after
 *   substitution), FROM (image and --platform), STOPSIGNAL, USER, VOLUME,
 *   WORKDIR, ARG (names and defaults), RUN --mount values;
 * - COPY/ADD heredoc bodies when the delimiter was not quoted (quotes in a
 *   body are kept; only `$` and backslash are special);
 * - never RUN, CMD, ENTRYPOINT, SHELL or HEALTHCHECK commands (the shell
 *   does that), nor ONBUILD triggers (expanded when they run), nor MAINTAINER.
 *
 * Expansion also removes quotes and escapes: `ENV A="x y"` sets `x y`.
 * An unset variable expands to "".
 */
import { invalidArgument } from '../../util/errors.js';
import { InstructionError } from './errors.js';
import { parseMount } from './mounts.js';
import { processWord, processWords, ShellLexError, type EscapeChar, type LexOptions } from './shell-lexer.js';
import type { Heredoc, Instruction } from './types.js';

export interface ExpandOptions {
  /** The Dockerfile's escape character (its `# escape=` directive); backslash when absent. */
  escape?: EscapeChar;
}

function run<T>(word: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ShellLexError) throw invalidArgument(`failed to process ${JSON.stringify(word)}: ${err.message}`);
    throw err;
  }
}

/** One word with variables substituted and quotes/escapes removed (blanks kept). */
export function expandWord(word: string, vars: ReadonlyMap<string, string>, escape: EscapeChar = '\\'): string {
  return run(word, () => processWord(word, vars, { escape }));
}

/** Like expandWord, then split into words on unquoted blanks (EXPOSE does this). */
export function expandWords(word: string, vars: ReadonlyMap<string, string>, escape: EscapeChar = '\\'): string[] {
  return run(word, () => processWords(word, vars, { escape }));
}

const HEREDOC_LEX: LexOptions = { escape: '\\', skipProcessQuotes: true };

function expandHeredoc(doc: Heredoc, vars: ReadonlyMap<string, string>): Heredoc {
  if (!doc.expand) return doc;
  return { ...doc, content: run(doc.content, () => processWord(doc.content, vars, HEREDOC_LEX)) };
}

/**
 * A copy of the instruction with its words expanded; the input is not changed.
 * Throws InvalidArgument for a bad substitution or `${V:?message}`.
 */
export function expandInstruction<T extends Instruction>(ins: T, vars: ReadonlyMap<string, string>, options: ExpandOptions = {}): T {
  const escape = options.escape ?? '\\';
  const word = (w: string): string => expandWord(w, vars, escape);
  const optional = (w: string | undefined): string | undefined => (w === undefined ? undefined : word(w));
  const out = expandByKind(ins, vars, escape, word, optional);
  return out as T;
}

function expandByKind(
  ins: Instruction,
  vars: ReadonlyMap<string, string>,
  escape: EscapeChar,
  word: (w: string) => string,
  optional: (w: string | undefined) => string | undefined,
): Instruction {
  switch (ins.kind) {
    case 'FROM':
      return withDefined({ ...ins, image: word(ins.image) }, { platform: optional(ins.platform) });
    case 'ENV':
    case 'LABEL':
      return { ...ins, pairs: ins.pairs.map(([k, v]): [string, string] => [word(k), word(v)]) };
    case 'ARG':
      return {
        ...ins,
        args: ins.args.map((a) => (a.defaultValue === undefined ? { name: word(a.name) } : { name: word(a.name), defaultValue: word(a.defaultValue) })),
      };
    case 'EXPOSE':
      return { ...ins, ports: ins.ports.flatMap((p) => expandWords(p, vars, escape)) };
    case 'COPY':
    case 'ADD':
      return withDefined(
        {
          ...ins,
          sources: ins.sources.map(word),
          dest: word(ins.dest),
          heredocs: ins.heredocs.map((doc) => expandHeredoc(doc, vars)),
        },
        { from: optional(ins.from), chown: optional(ins.chown), chmod: optional(ins.chmod), checksum: optional(ins.checksum) },
      );
    case 'WORKDIR':
      return { ...ins, path: word(ins.path) };
    case 'USER':
      return { ...ins, user: word(ins.user) };
    case 'VOLUME':
      return { ...ins, paths: ins.paths.map(word) };
    case 'STOPSIGNAL':
      return { ...ins, signal: word(ins.signal) };
    case 'RUN': {
      if (!ins.mountSpecs?.length) return ins;
      try {
        return { ...ins, mounts: ins.mountSpecs.map((spec) => parseMount(spec, word)) };
      } catch (err) {
        if (err instanceof InstructionError) throw invalidArgument(err.message);
        throw err;
      }
    }
    case 'CMD':
    case 'ENTRYPOINT':
    case 'SHELL':
    case 'HEALTHCHECK':
    case 'ONBUILD':
    case 'MAINTAINER':
      return ins;
  }
}

/** Sets the optional fields that have a value, leaving absent ones absent. */
function withDefined<T extends object>(target: T, fields: Record<string, string | undefined>): T {
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}
