import { invalidArgument } from '../util/errors.js';
import type { VolumeRecord } from './types.js';

const KEYS = new Set(['dangling', 'label', 'label!', 'name', 'driver']);

export function validateVolumeFilters(filters: Record<string, string[]>): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!KEYS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    if (key === 'dangling') {
      for (const v of values) {
        if (!['true', 'false', '1', '0'].includes(v.toLowerCase())) throw invalidArgument(`invalid filter 'dangling=${v}'`);
      }
    }
  }
}

function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  const key = expr.slice(0, i);
  return key in labels && labels[key] === expr.slice(i + 1);
}

/** docker's volume filters: values of one key are OR-ed, keys are AND-ed; `inUse` decides dangling. */
export function matchesVolumeFilters(rec: VolumeRecord, filters: Record<string, string[]>, inUse: boolean): boolean {
  const any = (key: string, test: (v: string) => boolean) => !filters[key]?.length || filters[key].some(test);
  return (
    any('name', (v) => rec.Name.includes(v)) &&
    any('driver', (v) => rec.Driver === v) &&
    any('dangling', (v) => (['true', '1'].includes(v.toLowerCase()) ? !inUse : inUse)) &&
    (filters.label ?? []).every((v) => labelMatches(rec.Labels, v)) &&
    (filters['label!'] ?? []).every((v) => !labelMatches(rec.Labels, v))
  );
}
