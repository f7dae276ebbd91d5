/** The Docker Engine API versions berthd answers. */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
export const ENGINE_VERSION = '0.1.0';

/** Compares "1.41" style versions numerically. */
export function compareApiVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * Splits "/v1.41/containers/json" into the version and the rest. Unversioned
 * paths get the newest version, as dockerd does.
 */
export function splitVersion(path: string): { version: string; rest: string; explicit: boolean } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (!m) return { version: API_VERSION, rest: path, explicit: false };
  return { version: m[1], rest: m[2], explicit: true };
}
