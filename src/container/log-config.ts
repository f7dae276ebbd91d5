import type { HostConfig } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';
import { humanSizeBytes } from '../util/size.js';

export type LogConfig = NonNullable<HostConfig['LogConfig']>;

/**
 * How a container's log file is rotated: once it reaches `maxBytes` it becomes
 * `<log>.1` (older ones shift up), and at most `maxFiles` files are kept in all.
 */
export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_LOG_DRIVER = 'json-file';
export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

/**
 * berth rotates every log by default so logs never fill the disk: 20 MB and 5 files,
 * the defaults of docker's `local` driver (docker's json-file keeps everything).
 */
export const DEFAULT_ROTATION: LogRotation = { maxBytes: 20 * 1000 * 1000, maxFiles: 5 };
/** `none` still keeps a small file: attach streams the container's output through it. */
const NONE_ROTATION: LogRotation = { maxBytes: 1000 * 1000, maxFiles: 1 };

const OPTS: Record<string, Set<string>> = {
  'json-file': new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']),
  local: new Set(['max-size', 'max-file', 'compress']),
  none: new Set(),
};

/**
 * A create request's LogConfig checked as dockerd checks it (driver known, options
 * valid for it, with docker's wording) and with the driver defaulted; the options
 * stay as the user gave them, as inspect shows them. Throws InvalidArgument.
 */
export function normalizeLogConfig(lc: HostConfig['LogConfig'] | null): LogConfig {
  const type = lc?.Type || DEFAULT_LOG_DRIVER;
  const config: Record<string, string> = { ...(lc?.Config ?? {}) };
  const allowed = OPTS[type];
  if (!allowed) throw invalidArgument(`failed to create container: logger: no log driver named '${type}' is registered`);
  for (const key of Object.keys(config)) {
    if (!allowed.has(key)) throw invalidArgument(`unknown log opt '${key}' for ${type} log driver`);
  }
  rotationOf({ Type: type, Config: config });
  return { Type: type, Config: config };
}

/** The rotation a log config asks for, berth's default where it names none. Throws InvalidArgument on bad options. */
export function rotationOf(lc: LogConfig | undefined): LogRotation {
  const type = lc?.Type || DEFAULT_LOG_DRIVER;
  if (type === 'none') return NONE_ROTATION;
  const sizeText = lc?.Config?.['max-size'];
  const filesText = lc?.Config?.['max-file'];
  if (sizeText === undefined && filesText === undefined) return DEFAULT_ROTATION;
  let maxBytes = DEFAULT_ROTATION.maxBytes;
  if (sizeText !== undefined && sizeText !== '-1') {
    const n = humanSizeBytes(sizeText); // docker's FromHumanSize: "10m" is 10,000,000 bytes
    if (n === undefined) throw invalidArgument(`invalid max-size: ${sizeText}`);
    if (n <= 0) throw invalidArgument('max-size must be a positive number');
    maxBytes = n;
  }
  let maxFiles = type === 'local' ? DEFAULT_ROTATION.maxFiles : 1;
  if (filesText !== undefined) {
    if (!/^-?\d+$/.test(filesText)) throw invalidArgument(`invalid max-file: ${filesText}`);
    maxFiles = Number(filesText);
    if (maxFiles < 1) throw invalidArgument('max-file cannot be less than 1');
    if (type === 'json-file' && maxFiles > 1 && sizeText === undefined) {
      throw invalidArgument('max-file cannot be set without max-size');
    }
  }
  return { maxBytes, maxFiles };
}
