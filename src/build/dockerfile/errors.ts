import { invalidArgument, type EngineError } from '../../util/errors.js';

/** Docker's wording for every Dockerfile error: `dockerfile parse error on line 3: unknown instruction: FOO`. */
export function parseErrorAt(line: number, message: string): EngineError {
  return invalidArgument(`dockerfile parse error on line ${line}: ${message}`);
}

/** An error raised while reading one instruction; the parser adds the line. */
export class InstructionError extends Error {}
