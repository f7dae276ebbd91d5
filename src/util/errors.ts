/**
 * The closed set of error kinds the engine raises. The API maps each kind to an
 * HTTP status in exactly one place (api/status.ts); handlers never pick a status.
 * Messages use Docker's wording where users and scripts read them
 * ("No such container: x").
 */
export type ErrorKind =
  | 'InvalidArgument' // 400: the request is malformed or names something impossible
  | 'Unauthorized' // 401
  | 'Forbidden' // 403
  | 'NotFound' // 404
  | 'Conflict' // 409: the object exists, is in use, or is in the wrong state
  | 'NotModified' // 304: already in the requested state (start a running container)
  | 'NotImplemented' // 501: the feature exists, but not for this object (logs of a `none` driver)
  | 'Unavailable' // 503
  | 'Internal'; // 500

export class EngineError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'EngineError';
  }
}

export const invalidArgument = (message: string): EngineError => new EngineError('InvalidArgument', message);
export const notFound = (message: string): EngineError => new EngineError('NotFound', message);
export const conflict = (message: string): EngineError => new EngineError('Conflict', message);
export const notModified = (message = ''): EngineError => new EngineError('NotModified', message);
export const internal = (message: string, cause?: unknown): EngineError =>
  new EngineError('Internal', message, { cause });

export function isEngineError(err: unknown, kind?: ErrorKind): err is EngineError {
  return err instanceof EngineError && (kind === undefined || err.kind === kind);
}

/** The message of any thrown value, for logs and API bodies. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True for a Node system error with the given code (ENOENT, EEXIST, ...). */
export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
