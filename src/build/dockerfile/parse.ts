/**
 * parseDockerfile: text to stages. Errors are InvalidArgument with docker's
 * wording and the line: `dockerfile parse error on line 3: unknown instruction: FOO`.
 */
import { invalidArgument, isEngineError } from '../../util/errors.js';
import { InstructionError, parseErrorAt } from './errors.js';
import { parseInstruction } from './instructions.js';
import { lexDockerfile, type LogicalLine } from './lexer.js';
import type { EscapeChar } from './shell-lexer.js';
import type { ArgInstruction, Dockerfile, Instruction, Stage } from './types.js';

export interface ParseOptions {
  /** The name errors and locations use; "Dockerfile" when absent. */
  file?: string;
}

function readInstruction(line: LogicalLine, file: string, escape: EscapeChar): Instruction {
  try {
    return parseInstruction({ escape, line, loc: { file, line: line.startLine, endLine: line.endLine } });
  } catch (err) {
    if (err instanceof InstructionError) throw parseErrorAt(line.startLine, err.message);
    throw err;
  }
}

export function parseDockerfile(text: string, options: ParseOptions = {}): Dockerfile {
  const file = options.file ?? 'Dockerfile';
  if (text.length === 0) throw invalidArgument('the Dockerfile cannot be empty');
  const lexed = lexDockerfile(text);
  if (lexed.lines.length === 0) throw invalidArgument('file with no instructions');
  const dockerfile: Dockerfile = { directives: { escape: lexed.escape }, globalArgs: [], stages: [] };
  if (lexed.syntax !== undefined) dockerfile.directives.syntax = lexed.syntax;
  if (lexed.check !== undefined) dockerfile.directives.check = lexed.check;
  if (lexed.emptyContinuations.length > 0) {
    dockerfile.warnings = lexed.emptyContinuations.map(({ line, text }) => ({ line, message: `Empty continuation line found in: ${text}` }));
  }
  const stageNames = new Set<string>();
  let current: Stage | undefined;
  for (const line of lexed.lines) {
    const instruction = readInstruction(line, file, lexed.escape);
    if (instruction.kind === 'FROM') {
      if (instruction.stageName !== undefined) {
        if (stageNames.has(instruction.stageName)) {
          throw parseErrorAt(line.startLine, `Duplicate stage name ${JSON.stringify(instruction.stageName)}, stage names should be unique`);
        }
        stageNames.add(instruction.stageName);
      }
      current = { index: dockerfile.stages.length, from: instruction, instructions: [] };
      if (instruction.stageName !== undefined) current.name = instruction.stageName;
      dockerfile.stages.push(current);
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction.kind === 'ARG') {
      dockerfile.globalArgs.push(instruction as ArgInstruction);
    } else {
      throw parseErrorAt(line.startLine, 'no build stage in current context');
    }
  }
  if (dockerfile.stages.length === 0) throw invalidArgument('dockerfile contains no stages to build');
  return dockerfile;
}

/**
 * The ONBUILD triggers of a base image, read as instructions of the stage
 * that uses it (docker runs them right after that stage's FROM).
 */
export function parseOnbuildTriggers(triggers: readonly string[], options: ParseOptions & { escape?: EscapeChar } = {}): Instruction[] {
  const file = options.file ?? 'Dockerfile';
  const out: Instruction[] = [];
  for (const trigger of triggers) {
    let lexed;
    try {
      lexed = lexDockerfile(trigger);
    } catch (err) {
      if (isEngineError(err)) throw invalidArgument(`invalid ONBUILD trigger ${JSON.stringify(trigger)}: ${err.message}`);
      throw err;
    }
    for (const line of lexed.lines) {
      const instruction = readInstruction(line, file, options.escape ?? '\\');
      if (instruction.kind === 'ONBUILD' || instruction.kind === 'FROM' || instruction.kind === 'MAINTAINER') {
        throw invalidArgument(`${instruction.kind} isn't allowed as an ONBUILD trigger`);
      }
      out.push(instruction);
    }
  }
  return out;
}
