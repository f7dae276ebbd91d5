/**
 * .dockerignore with docker's rules (moby/patternmatcher and its ignorefile
 * reader), written here because the rules are small and exact matching with
 * docker matters more than a dependency:
 *
 * - a line starting with `#` is a comment; blank lines are skipped; each
 *   pattern is trimmed, cleaned like Go's filepath.Clean, and a leading `/`
 *   dropped (`/a/b/` is `a/b`);
 * - `*` and `?` do not cross `/`, `[a-z]` classes, `\` escapes, `**` matches
 *   any number of directories (also none);
 * - `!pattern` re-includes what earlier patterns excluded; later patterns win;
 * - a pattern that matches a directory matches everything below it.
 */
import { posix } from 'node:path';
import { invalidArgument } from './errors.js';

interface Pattern {
  /** The cleaned pattern without its `!`. */
  readonly text: string;
  readonly exclusion: boolean;
  readonly parts: readonly string[];
  readonly matches: (path: string) => boolean;
}

export interface IgnoreRules {
  readonly patterns: readonly Pattern[];
  /** Whether any `!` pattern exists (without one, an ignored directory can be skipped whole). */
  readonly hasExclusions: boolean;
}

/** Go's filepath.Clean on slash paths: no `.`, no `x/..`, no doubled or trailing slash; "" is ".". */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const cleaned = posix.normalize(path);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

/** The patterns of a .dockerignore file, as docker reads them. */
export function readDockerignorePatterns(text: string): string[] {
  const patterns: string[] = [];
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

export function parseDockerignore(text: string): IgnoreRules {
  return compileIgnorePatterns(readDockerignorePatterns(text));
}

/** Rules from a list of patterns (also usable for `COPY --exclude`). */
export function compileIgnorePatterns(patterns: readonly string[]): IgnoreRules {
  const compiled: Pattern[] = [];
  for (const raw of patterns) {
    let text = raw.trim();
    if (text === '') continue;
    text = cleanPath(text);
    const exclusion = text.startsWith('!');
    if (exclusion) {
      if (text.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
      text = text.slice(1);
    }
    if (!isValidGlob(text)) throw invalidArgument(`invalid .dockerignore pattern ${JSON.stringify(raw.trim())}: syntax error in pattern`);
    compiled.push({ text, exclusion, parts: text.split('/'), matches: compileMatcher(text) });
  }
  return { patterns: compiled, hasExclusions: compiled.some((p) => p.exclusion) };
}

/**
 * The syntax Go's filepath.Match accepts (docker checks every pattern with
 * it): a `\\` escapes one character and may not end the pattern; a `[` class
 * is closed, not empty, and its ranges have both ends.
 */
function isValidGlob(pattern: string): boolean {
  const chars = Array.from(pattern);
  let i = 0;
  const classChar = (): boolean => {
    if (chars[i] === '\\') i++;
    if (i >= chars.length) return false;
    i++;
    return true;
  };
  while (i < chars.length) {
    const ch = chars[i++];
    if (ch === '\\') {
      if (i >= chars.length) return false;
      i++;
    } else if (ch === '[') {
      if (chars[i] === '^') i++;
      let count = 0;
      while (chars[i] !== ']' || count === 0) {
        if (i >= chars.length || chars[i] === ']' || chars[i] === '-') return false;
        if (!classChar()) return false;
        if (chars[i] === '-') {
          i++;
          if (i >= chars.length || chars[i] === ']' || chars[i] === '-' || !classChar()) return false;
        }
        count++;
      }
      i++;
    }
  }
  return true;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

const REGEXP_SPECIAL = /[.+()|{}$*?\\[\]/]/;

/** One pattern to a predicate on a cleaned slash path (patternmatcher's compile). */
function compileMatcher(pattern: string): (path: string) => boolean {
  const chars = Array.from(pattern);
  let source = '^';
  let type: MatchType = 'exact';
  let inClass = false;
  let i = 0;
  for (let step = 0; i < chars.length; step++) {
    const ch = chars[i++];
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++;
        if (i >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            source += '.*';
            type = 'regexp';
          }
        } else {
          source += '(.*/)?';
          type = 'regexp';
        }
        if (step === 0) type = 'suffix';
      } else {
        source += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      type = 'regexp';
    } else if (ch === '\\') {
      if (i < chars.length) {
        source += escapeChar(chars[i++]);
        type = 'regexp';
      } else {
        source += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      // A `]` outside a class is an ordinary character, as in Go.
      source += ch === ']' && !inClass ? '\\]' : ch;
      inClass = ch === '[';
      type = 'regexp';
    } else {
      source += escapeChar(ch);
    }
  }
  switch (type) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp': {
      let re: RegExp;
      try {
        re = new RegExp(source + '$', 'u');
      } catch {
        throw invalidArgument(`invalid .dockerignore pattern ${JSON.stringify(pattern)}: syntax error in pattern`);
      }
      return (path) => re.test(path);
    }
  }
}

function escapeChar(ch: string): string {
  return REGEXP_SPECIAL.test(ch) ? `\\${ch}` : ch;
}

/** The pattern matches the path or one of its parent directories. */
function matchesOrParent(pattern: Pattern, path: string): boolean {
  if (pattern.matches(path)) return true;
  const dirs = path.split('/');
  for (let i = 1; i < dirs.length; i++) {
    if (pattern.matches(dirs.slice(0, i).join('/'))) return true;
  }
  return false;
}

/**
 * Whether the context path (slash-separated, relative to the context root)
 * is left out of the build context. The context root itself never is.
 */
export function isIgnored(rules: IgnoreRules, relPath: string): boolean {
  const path = cleanPath(relPath.replace(/^\/+/, ''));
  if (path === '.') return false;
  let matched = false;
  for (const pattern of rules.patterns) {
    // An include only matters while not yet matched, an exclusion only once matched.
    if (pattern.exclusion !== matched) continue;
    if (matchesOrParent(pattern, path)) matched = !pattern.exclusion;
  }
  return matched;
}

/**
 * For a directory that isIgnored: whether some `!` pattern could still
 * re-include a path below it, so a context walker must descend into it.
 * False means the whole directory can be skipped. Errs on the side of true.
 */
export function mayContainIncluded(rules: IgnoreRules, relDir: string): boolean {
  if (!rules.hasExclusions) return false;
  const dir = cleanPath(relDir.replace(/^\/+/, ''));
  const dirParts = dir === '.' ? [] : dir.split('/');
  return rules.patterns.some((pattern) => pattern.exclusion && couldMatchBelow(pattern.parts, dirParts));
}

/** Whether a pattern, compared part by part, could match a path strictly below the directory. */
function couldMatchBelow(patternParts: readonly string[], dirParts: readonly string[]): boolean {
  for (let i = 0; i < patternParts.length; i++) {
    const part = patternParts[i];
    if (part.includes('**')) return true;
    if (i >= dirParts.length) return true;
    if (!compileMatcher(part)(dirParts[i])) return false;
  }
  return false;
}
