/**
 * Filters of `GET /images/json` and `POST /images/prune`, with Docker's
 * semantics: values of one key are ORed, except `label`, whose values must all
 * match; different keys are ANDed.
 */
import { invalidArgument } from '../util/errors.js';
import { splitTag } from '../util/reference.js';

export type Filters = Record<string, string[]>;

/** Refuses keys outside `allowed` with Docker's wording. */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const key of Object.keys(filters)) {
    if (!allowed.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
}

/** The single boolean of a `dangling` filter, or undefined when absent. */
export function danglingFilter(filters: Filters): boolean | undefined {
  const values = filters.dangling;
  if (!values || values.length === 0) return undefined;
  let result: boolean | undefined;
  for (const v of values) {
    const b = ['true', '1'].includes(v.toLowerCase()) ? true : ['false', '0'].includes(v.toLowerCase()) ? false : undefined;
    if (b === undefined) throw invalidArgument(`invalid filter 'dangling=${v}'`);
    result = b;
  }
  return result;
}

/** `label=k` (present) and `label=k=v` (equal): every value must match. */
export function matchLabels(wanted: readonly string[] | undefined, labels: Record<string, string> | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.every((w) => labelMatches(w, labels));
}

/** `label!=k` / `label!=k=v`: no value may match. */
export function matchNoLabels(unwanted: readonly string[] | undefined, labels: Record<string, string> | undefined): boolean {
  if (!unwanted || unwanted.length === 0) return true;
  return !unwanted.some((w) => labelMatches(w, labels));
}

function labelMatches(spec: string, labels: Record<string, string> | undefined): boolean {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  if (!labels || !Object.prototype.hasOwnProperty.call(labels, key)) return false;
  return eq < 0 || labels[key] === spec.slice(eq + 1);
}

/**
 * Docker's reference filter: a pattern matches a familiar reference
 * (`busybox:latest`) or, failing that, its name alone (`busybox`), with Go's
 * path.Match glob rules (`*` and `?` stop at `/`).
 */
export function matchReference(patterns: readonly string[] | undefined, familiarRefs: readonly string[]): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => {
    const re = globToRegExp(pattern);
    return familiarRefs.some((ref) => re.test(ref) || re.test(familiarNameOf(ref)));
  });
}

function familiarNameOf(ref: string): string {
  return splitTag(ref.split('@')[0]).name;
}

/** Go path.Match syntax as a RegExp: `*`, `?`, `[a-z]`, `[^x]`, `\` escapes. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      if (++i >= pattern.length) throw invalidArgument(`invalid reference filter pattern: ${pattern}`);
      re += escapeRe(pattern[i]);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(`invalid reference filter pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A point in time from a `until`/`since`-style value: a Go duration before now
 * (`10m`, `1h30m`), Unix seconds (`1700000000.5`), or an RFC 3339 date.
 * Returns Unix seconds.
 */
export function parseTimeFilter(value: string, nowMs = Date.now()): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let seconds = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(m[1]) * units[m[2]];
    return nowMs / 1000 - seconds;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid filter value '${value}': not a timestamp or duration`);
  return ms / 1000;
}
