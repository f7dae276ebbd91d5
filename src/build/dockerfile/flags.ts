/**
 * Instruction flags (`COPY --from=x --link`), checked as docker checks them:
 * each instruction declares the flags it knows; anything else is an
 * "unknown flag", a repeated single-valued flag is a "duplicate flag", a
 * boolean takes no value or true/false, a string needs `=value`.
 */
import { InstructionError } from './errors.js';

export type FlagSpec = Record<string, 'bool' | 'string' | 'strings'>;

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  /** Repeatable flags (`--mount`, `--exclude`), in order. */
  lists: Map<string, string[]>;
}

export function parseFlags(words: readonly string[], spec: FlagSpec): ParsedFlags {
  const parsed: ParsedFlags = { bools: new Map(), strings: new Map(), lists: new Map() };
  const used = new Set<string>();
  for (const word of words) {
    if (word === '--') break;
    if (!word.startsWith('--')) throw new InstructionError(`arg should start with -- : ${word}`);
    const eq = word.indexOf('=');
    const flagName = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? '' : word.slice(eq + 1);
    const hasValue = eq >= 0;
    const name = flagName.slice(2);
    const type = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (type === undefined) throw new InstructionError(`unknown flag: ${flagName}${suggestion(name, Object.keys(spec))}`);
    if (used.has(name) && type !== 'strings') throw new InstructionError(`duplicate flag specified: ${flagName}`);
    used.add(name);
    switch (type) {
      case 'bool': {
        if (hasValue && value === '') throw new InstructionError(`missing a value on flag: ${flagName}`);
        const lower = value.toLowerCase();
        if (lower !== '' && lower !== 'true' && lower !== 'false') {
          throw new InstructionError(`expecting boolean value for flag ${flagName}, not: ${value}`);
        }
        parsed.bools.set(name, lower !== 'false');
        break;
      }
      case 'string':
        if (!hasValue) throw new InstructionError(`missing a value on flag: ${flagName}`);
        parsed.strings.set(name, value);
        break;
      case 'strings': {
        if (!hasValue) throw new InstructionError(`missing a value on flag: ${flagName}`);
        const list = parsed.lists.get(name) ?? [];
        list.push(value);
        parsed.lists.set(name, list);
        break;
      }
    }
  }
  return parsed;
}

/** Docker appends " (did you mean x?)" when a name within two edits exists (BuildKit's suggest.Search). */
export function suggestion(value: string, candidates: readonly string[], caseSensitive = true): string {
  const wanted = caseSensitive ? value : value.toLowerCase();
  let match = '';
  let minDistance = 3;
  for (const candidate of candidates) {
    const option = caseSensitive ? candidate : candidate.toLowerCase();
    if (option === wanted) return '';
    const distance = levenshtein(wanted, option);
    if (distance < minDistance) {
      match = caseSensitive ? option : matchCase(option, value);
      minDistance = distance;
    }
  }
  return match === '' ? '' : ` (did you mean ${match}?)`;
}

function matchCase(option: string, original: string): string {
  if (original === original.toLowerCase()) return option.toLowerCase();
  if (original === original.toUpperCase()) return option.toUpperCase();
  return option;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}
