/**
 * The client's half of .dockerignore, as docker's CLI does it: the rules are
 * applied while the context is packed, so an ignored file is never read or
 * sent, and an ignored directory is not even entered unless a `!` pattern
 * (or a file that is always sent) may re-include something below it.
 *
 * Which file holds the rules: `<Dockerfile>.dockerignore` beside the
 * Dockerfile when there is one, else `.dockerignore` at the context root,
 * the same choice the daemon makes again on what it receives. The
 * Dockerfile and the ignore files are always sent, even when a pattern
 * matches them: the daemon needs them to build and to filter alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../util/errors.js';
import { isIgnored, mayContainIncluded, parseDockerignore } from '../util/dockerignore.js';

export interface ContextFilter {
  /** Whether the entry (slash path relative to the context root) is left out. */
  excludes(rel: string): boolean;
  /** For an excluded path: whether something below it may still be sent, so a directory there must be entered. */
  descends(rel: string): boolean;
}

export interface IgnoreSource {
  /** The context directory. */
  dir: string;
  /** Paths in the context that are sent whatever the rules say (the Dockerfile, the ignore files). */
  keep: string[];
  /** `<Dockerfile>.dockerignore` as a host path, tried before `.dockerignore`; undefined when there is none to try. */
  specific?: string;
}

/** The filter for a context directory, or undefined when no ignore file applies. */
export function contextFilter(src: IgnoreSource): ContextFilter | undefined {
  const text = (src.specific !== undefined ? readOptional(src.specific) : undefined) ?? readOptional(join(src.dir, '.dockerignore'));
  if (text === undefined) return undefined;
  const rules = parseDockerignore(text);
  if (rules.patterns.length === 0) return undefined;
  const keep = new Set(['.dockerignore', ...src.keep]);
  return {
    excludes: (rel) => !keep.has(rel) && isIgnored(rules, rel),
    descends: (rel) => mayContainIncluded(rules, rel) || keptBelow(keep, rel),
  };
}

function keptBelow(keep: Set<string>, rel: string): boolean {
  const prefix = `${rel}/`;
  for (const k of keep) if (k.startsWith(prefix)) return true;
  return false;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}
