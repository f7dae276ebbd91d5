/**
 * One logical line to one typed Instruction, with each instruction's
 * argument rules and docker's error wording. Words stay as written: quotes
 * and variables are resolved by `expandInstruction` at build time.
 */
import { parseCopy, parseRun } from './copy-run.js';
import { InstructionError } from './errors.js';
import { parseFlags, suggestion } from './flags.js';
import { parseHealthcheck } from './healthcheck.js';
import type { LogicalLine } from './lexer.js';
import type { EscapeChar } from './shell-lexer.js';
import type {
  ArgInstruction,
  CommandForm,
  EnvInstruction,
  FromInstruction,
  Instruction,
  LabelInstruction,
  SourceLocation,
} from './types.js';
import { parseJSONArray, parseWords, splitCommand, splitOnce, splitWhitespace, type CommandLine } from './words.js';

export interface InstructionContext {
  escape: EscapeChar;
  loc: SourceLocation;
  line: LogicalLine;
}

export const INSTRUCTION_NAMES = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Reads one instruction; throws InstructionError (the caller adds the line). */
export function parseInstruction(ctx: InstructionContext): Instruction {
  const parts = splitCommand(ctx.line.text, ctx.escape);
  const base = { loc: ctx.loc, original: ctx.line.text.trim() };
  const name = parts.command.toUpperCase();
  const noFlags = (): void => void parseFlags(parts.flags, {});
  switch (name) {
    case 'FROM':
      return parseFrom(parts, base);
    case 'RUN':
      return parseRun(parts, base, ctx.line.heredocs);
    case 'CMD':
    case 'ENTRYPOINT':
      noFlags();
      return { ...base, kind: name, command: commandForm(parts.args) };
    case 'ENV':
    case 'LABEL':
      noFlags();
      return { ...base, kind: name, pairs: parseNameValues(parts.args, name, ctx.escape) } as EnvInstruction | LabelInstruction;
    case 'ARG':
      noFlags();
      return { ...base, kind: 'ARG', args: parseArgs(parts.args, ctx.escape) };
    case 'EXPOSE': {
      const ports = splitWhitespace(parts.args);
      if (ports.length === 0) throw atLeastOne(name);
      noFlags();
      return { ...base, kind: 'EXPOSE', ports };
    }
    case 'COPY':
    case 'ADD':
      return parseCopy(name, parts, base, ctx.line.heredocs);
    case 'WORKDIR':
      return { ...base, kind: 'WORKDIR', path: exactlyOne(name, parts) };
    case 'USER':
      return { ...base, kind: 'USER', user: exactlyOne(name, parts) };
    case 'STOPSIGNAL':
      return { ...base, kind: 'STOPSIGNAL', signal: exactlyOne(name, parts) };
    case 'MAINTAINER':
      return { ...base, kind: 'MAINTAINER', name: exactlyOne(name, parts) };
    case 'VOLUME':
      return { ...base, kind: 'VOLUME', paths: parseVolumes(parts) };
    case 'SHELL':
      return { ...base, kind: 'SHELL', shell: parseShell(parts) };
    case 'HEALTHCHECK':
      return { ...base, kind: 'HEALTHCHECK', healthcheck: parseHealthcheck(parts.flags, parts.args) };
    case 'ONBUILD':
      return { ...base, kind: 'ONBUILD', trigger: parseOnbuild(parts, ctx) };
    default:
      throw new InstructionError(`unknown instruction: ${parts.command}${suggestion(parts.command, INSTRUCTION_NAMES, false)}`);
  }
}

export function atLeastOne(name: string): InstructionError {
  return new InstructionError(`${name} requires at least one argument`);
}

function exactlyOne(name: string, parts: CommandLine): string {
  if (parts.args === '') throw new InstructionError(`${name} requires exactly one argument`);
  parseFlags(parts.flags, {});
  return parts.args;
}

function parseFrom(parts: CommandLine, base: Pick<FromInstruction, 'loc' | 'original'>): FromInstruction {
  const args = splitWhitespace(parts.args);
  let stageName: string | undefined;
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    stageName = args[2].toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      throw new InstructionError(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    throw new InstructionError('FROM requires either one or three arguments');
  }
  const flags = parseFlags(parts.flags, { platform: 'string' });
  const from: FromInstruction = { ...base, kind: 'FROM', image: args[0] };
  if (stageName !== undefined) from.stageName = stageName;
  const platform = flags.strings.get('platform');
  if (platform !== undefined) from.platform = platform;
  return from;
}

/** Shell form keeps the text as written; a JSON array of strings is exec form. */
export function commandForm(args: string): CommandForm {
  const exec = parseJSONArray(args);
  return exec ? { form: 'exec', args: exec } : { form: 'shell', text: args };
}

/**
 * ENV and LABEL: `name=value ...`, or the legacy `name value with spaces`
 * (chosen when the first word has no `=`).
 */
function parseNameValues(rest: string, name: 'ENV' | 'LABEL', escape: EscapeChar): Array<[string, string]> {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw atLeastOne(name);
  let pairs: Array<[string, string]>;
  if (!words[0].includes('=')) {
    const legacy = splitOnce(rest);
    if (legacy.length !== 2) throw new InstructionError(`${name} must have two arguments`);
    pairs = [legacy];
  } else {
    pairs = words.map((word) => {
      const eq = word.indexOf('=');
      if (eq < 0) {
        throw new InstructionError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
      }
      return [word.slice(0, eq), word.slice(eq + 1)];
    });
  }
  if (pairs.some(([key]) => key === '')) throw new InstructionError(`${name} names can not be blank`);
  return pairs;
}

function parseArgs(rest: string, escape: EscapeChar): ArgInstruction['args'] {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw atLeastOne('ARG');
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) return { name: word };
    if (eq === 0) throw new InstructionError('ARG names can not be blank');
    return { name: word.slice(0, eq), defaultValue: word.slice(eq + 1) };
  });
}

function parseVolumes(parts: CommandLine): string[] {
  const words = parseJSONArray(parts.args) ?? splitWhitespace(parts.args);
  if (words.length === 0) throw atLeastOne('VOLUME');
  parseFlags(parts.flags, {});
  return words.map((word) => {
    const path = word.trim();
    if (path === '') throw new InstructionError('VOLUME specified can not be an empty string');
    return path;
  });
}

function parseShell(parts: CommandLine): string[] {
  parseFlags(parts.flags, {});
  const form = commandForm(parts.args);
  if (form.form === 'exec' ? form.args.length === 0 : form.text === '') throw atLeastOne('SHELL');
  if (form.form === 'shell') throw new InstructionError('SHELL requires the arguments to be in JSON form');
  return form.args;
}

/** The trigger is checked now (a bad trigger fails this build, not a later one) and kept as written. */
function parseOnbuild(parts: CommandLine, ctx: InstructionContext): string {
  if (parts.args === '') throw atLeastOne('ONBUILD');
  parseFlags(parts.flags, {});
  const triggerName = splitCommand(parts.args, ctx.escape).command.toUpperCase();
  if (triggerName === 'ONBUILD') throw new InstructionError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (triggerName === 'MAINTAINER' || triggerName === 'FROM') {
    throw new InstructionError(`${triggerName} isn't allowed as an ONBUILD trigger`);
  }
  parseInstruction({ ...ctx, line: { ...ctx.line, text: parts.args } });
  let trigger = ctx.line.text.replace(/^\s*ONBUILD\s*/i, '');
  for (const doc of ctx.line.heredocs) trigger += `\n${doc.content}${doc.name}`;
  return trigger;
}
