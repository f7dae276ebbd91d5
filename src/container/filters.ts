import type { Filters } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';
import type { ContainerRecord } from './record.js';

const KNOWN = new Set([
  'id', 'name', 'label', 'label!', 'status', 'exited', 'ancestor', 'before', 'since', 'until', 'network',
  'is-task', 'health', 'volume', 'publish', 'expose',
]);
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function validateFilters(filters: Filters): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!KNOWN.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    if (key === 'status') {
      for (const v of values) {
        if (!STATUSES.has(v)) {
          throw invalidArgument(`invalid filter 'status=${v}'`);
        }
      }
    }
    if (key === 'health') {
      for (const v of values) if (!HEALTH.has(v)) throw invalidArgument(`Unrecognised filter value for health: ${v}`);
    }
    if (key === 'exited') {
      for (const v of values) if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid filter 'exited=${v}'`);
    }
  }
}

function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}

/**
 * Docker's filter semantics: values of one key are ORed, keys are ANDed.
 * `name` is a regular-expression-free substring match on the name, `id` a
 * prefix match, `ancestor` matches the image as given or by id.
 */
export function matchesFilters(
  rec: ContainerRecord,
  filters: Filters,
  lookup: (ref: string) => ContainerRecord | undefined,
): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const any = (pred: (v: string) => boolean) => values.some(pred);
    const labels = rec.config.Labels ?? {};
    let ok = true;
    switch (key) {
      case 'id':
        ok = any((v) => rec.id.startsWith(v));
        break;
      case 'name':
        ok = any((v) => {
          try {
            return new RegExp(v.replace(/^\//, '')).test(rec.name);
          } catch {
            return rec.name.includes(v);
          }
        });
        break;
      case 'label':
        ok = values.every((v) => labelMatches(labels, v));
        break;
      case 'label!':
        ok = !values.some((v) => labelMatches(labels, v));
        break;
      case 'status':
        ok = any((v) => rec.state.status === v);
        break;
      case 'exited':
        ok = rec.state.status === 'exited' && any((v) => Number(v) === rec.state.exitCode);
        break;
      case 'ancestor':
        ok = any((v) => {
          const image = rec.config.Image ?? '';
          const bare = (s: string) => s.replace(/:latest$/, '');
          return bare(image) === bare(v) || rec.imageId === v || rec.imageId.replace('sha256:', '').startsWith(v.replace('sha256:', ''));
        });
        break;
      case 'before':
      case 'since': {
        ok = values.every((v) => {
          const other = lookup(v);
          if (!other) throw invalidArgument(`No such container: ${v}`);
          return key === 'before' ? rec.created < other.created : rec.created > other.created;
        });
        break;
      }
      case 'health':
        ok = any((v) => (rec.state.health?.Status ?? 'none') === v);
        break;
      case 'network':
        ok = any((v) => (rec.hostConfig.NetworkMode ?? 'bridge') === v);
        break;
      default:
        ok = true;
    }
    if (!ok) return false;
  }
  return true;
}
