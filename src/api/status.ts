import { EngineError } from '../util/errors.js';

/** The one place an engine error becomes an HTTP status. */
export function statusOf(err: unknown): number {
  if (!(err instanceof EngineError)) return 500;
  switch (err.kind) {
    case 'InvalidArgument':
      return 400;
    case 'Unauthorized':
      return 401;
    case 'Forbidden':
      return 403;
    case 'NotFound':
      return 404;
    case 'Conflict':
      return 409;
    case 'NotModified':
      return 304;
    case 'NotImplemented':
      return 501;
    case 'Unavailable':
      return 503;
    case 'Internal':
      return 500;
  }
}
