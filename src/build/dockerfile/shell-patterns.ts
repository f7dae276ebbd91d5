/**
 * The shell patterns of `${V#pat}`, `${V%pat}` and `${V/pat/repl}`: `*` and
 * `?` wildcards and backslash escapes (no bracket expressions), as BuildKit
 * converts them to regular expressions.
 */

/** A substitution error; the caller adds which word and which instruction. */
export class ShellLexError extends Error {}

/**
 * A shell wildcard pattern (`*`, `?`, backslash escapes; no brackets) as a
 * regular expression; `*` is shortest-match unless greedy.
 */
export function patternToRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      out += greedy ? '.*' : '.*?';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '\\') {
      const following = chars[i + 1];
      if (following === '}' || following === '/') continue;
      if (following !== '*' && following !== '?' && following !== '\\') {
        throw new ShellLexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${following ?? ''}'`);
      }
      out += '\\' + following;
      i++;
    } else if ('[]{}.+()|^$'.includes(ch)) {
      out += '\\' + ch;
    } else {
      out += ch;
    }
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = patternToRegExp(pattern, greedy, true).exec(value);
  return match ? value.slice(match.index + match[0].length) : value;
}

/** Reverses a pattern but keeps each escape before the character it escapes. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const at = last - i;
    if (chars[i] === '\\' && i !== last) {
      out[at - 1] = chars[i];
      out[at] = chars[i + 1];
      i += 2;
    } else {
      out[at] = chars[i];
      i++;
    }
  }
  return out.join('');
}

function reverseString(text: string): string {
  return Array.from(text).reverse().join('');
}

/** Shortest (or longest) suffix removal, done as a prefix removal on the reversed strings. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}
