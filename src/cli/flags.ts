/**
 * Command-line flags parsed the way docker's CLI (cobra + spf13/pflag) parses
 * them, with pflag's error wording, because users and scripts rely on both:
 * `--name=x`, `--name x`, `-e X`, `-eX`, `-e=X`, bundled bools `-dit`,
 * `--rm=false`, `--` ending the flags, repeated list flags accumulating, and,
 * for commands that run another program (`run`, `create`, `exec`), parsing
 * that stops at the first positional so the program keeps its own flags.
 *
 * Parsing is declarative and pure: a command lists its FlagSpecs, gets a
 * ParsedFlags back, and reads typed values from it. Nothing here prints.
 */
import { parseDuration } from './humanize.js';

export type FlagType = 'string' | 'bool' | 'stringArray' | 'int' | 'duration';

/** A parsed flag value: durations are nanoseconds, as the Engine API wants them. */
export type FlagValue = string | boolean | number | string[];

export interface FlagSpec {
  /** The long name, without dashes: 'env' for `--env`. */
  name: string;
  /** One character, without the dash: 'e' for `-e`. */
  short?: string;
  /** Defaults to 'string'. */
  type?: FlagType;
  /** The value when the flag is absent; a duration default is a Go duration string ("30s"). */
  default?: string | boolean | number | readonly string[];
  description: string;
  /** Accepted but left out of the help text. */
  hidden?: boolean;
  /** The word shown after the flag in help: docker prints "list" for repeatable flags. */
  valueName?: string;
}

export interface ParseOptions {
  /**
   * When false, the first positional argument ends flag parsing and it and
   * everything after it are positionals (`berth run IMAGE CMD -l`). Default true.
   */
  interspersed?: boolean;
}

/**
 * A mistake on the command line. The message is pflag's or cobra's wording;
 * the caller prints it with a "See 'berth CMD --help'." hint and exits 125.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The outcome of parsing one command's arguments. */
export class ParsedFlags {
  /** True when `--help` (or `-h`, if no flag claims it) was given. */
  help = false;

  constructor(
    private readonly specs: ReadonlyMap<string, FlagSpec>,
    private readonly values: Map<string, FlagValue>,
    private readonly set: Set<string>,
    readonly positionals: string[],
  ) {}

  /** Whether the user gave the flag, as cobra's `Flags().Changed(name)`. */
  changed(name: string): boolean {
    this.spec(name);
    return this.set.has(name);
  }

  string(name: string): string {
    return this.typed(name, 'string') as string;
  }

  bool(name: string): boolean {
    return this.typed(name, 'bool') as boolean;
  }

  int(name: string): number {
    return this.typed(name, 'int') as number;
  }

  /** A repeatable flag's values, in command-line order. */
  array(name: string): string[] {
    return [...(this.typed(name, 'stringArray') as string[])];
  }

  /** A duration flag's value in nanoseconds. */
  duration(name: string): number {
    return this.typed(name, 'duration') as number;
  }

  private spec(name: string): FlagSpec {
    const spec = this.specs.get(name);
    // Asking for an undeclared flag is a bug in the command, not a user error.
    if (spec === undefined) throw new Error(`flag --${name} is not declared`);
    return spec;
  }

  private typed(name: string, type: FlagType): FlagValue {
    const spec = this.spec(name);
    if ((spec.type ?? 'string') !== type) throw new Error(`flag --${name} is not of type ${type}`);
    return this.values.get(name) as FlagValue;
  }
}

/**
 * Parses `argv` (the arguments after the command name) against `specs`.
 * Throws UsageError with pflag's wording for unknown flags, missing values
 * and values of the wrong type.
 */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  options: ParseOptions = {},
): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    if (spec.short) byShort.set(spec.short, spec);
  }
  const values = new Map<string, FlagValue>();
  for (const spec of specs) values.set(spec.name, defaultValue(spec));
  const set = new Set<string>();
  const positionals: string[] = [];
  const result = new ParsedFlags(byName, values, set, positionals);

  const assign = (spec: FlagSpec, raw: string): void => {
    const value = convert(spec, raw);
    if (Array.isArray(value)) {
      // The first use replaces the default; later uses accumulate, as pflag's stringArray.
      const previous = set.has(spec.name) ? (values.get(spec.name) as string[]) : [];
      values.set(spec.name, [...previous, ...value]);
    } else {
      values.set(spec.name, value);
    }
    set.add(spec.name);
  };

  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift() as string;
    if (arg.length < 2 || arg[0] !== '-') {
      positionals.push(arg);
      if (options.interspersed === false) {
        positionals.push(...args);
        break;
      }
      continue;
    }
    if (arg === '--') {
      positionals.push(...args);
      break;
    }
    if (arg.startsWith('--')) {
      parseLong(arg, args, { byName, assign, result });
    } else {
      parseShorts(arg, args, { byShort, assign, result });
    }
  }
  return result;
}

interface LongContext {
  byName: ReadonlyMap<string, FlagSpec>;
  assign: (spec: FlagSpec, raw: string) => void;
  result: ParsedFlags;
}

function parseLong(arg: string, rest: string[], ctx: LongContext): void {
  const body = arg.slice(2);
  if (body === '' || body[0] === '-' || body[0] === '=') throw new UsageError(`bad flag syntax: ${arg}`);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const spec = ctx.byName.get(name);
  if (spec === undefined) {
    if (name === 'help') {
      ctx.result.help = true;
      return;
    }
    throw new UsageError(`unknown flag: --${name}`);
  }
  if (eq >= 0) {
    ctx.assign(spec, body.slice(eq + 1));
  } else if (spec.type === 'bool') {
    ctx.assign(spec, 'true');
  } else if (rest.length > 0) {
    // pflag takes the next argument even when it starts with a dash (`--tail -1`).
    ctx.assign(spec, rest.shift() as string);
  } else {
    throw new UsageError(`flag needs an argument: ${arg}`);
  }
}

interface ShortContext {
  byShort: ReadonlyMap<string, FlagSpec>;
  assign: (spec: FlagSpec, raw: string) => void;
  result: ParsedFlags;
}

/** A bundle of shorthands: `-dit`, `-eFOO=bar`, `-e=x`, `-p 80:80`. */
function parseShorts(arg: string, rest: string[], ctx: ShortContext): void {
  let shorthands = arg.slice(1);
  while (shorthands.length > 0) {
    const c = shorthands[0];
    const spec = ctx.byShort.get(c);
    if (spec === undefined) {
      if (c === 'h') {
        ctx.result.help = true;
        shorthands = shorthands.slice(1);
        continue;
      }
      throw new UsageError(`unknown shorthand flag: ${goChar(c)} in -${shorthands}`);
    }
    if (shorthands.length > 2 && shorthands[1] === '=') {
      ctx.assign(spec, shorthands.slice(2));
      return;
    }
    if (spec.type === 'bool') {
      ctx.assign(spec, 'true');
      shorthands = shorthands.slice(1);
      continue;
    }
    if (shorthands.length > 1) {
      ctx.assign(spec, shorthands.slice(1));
      return;
    }
    if (rest.length === 0) throw new UsageError(`flag needs an argument: ${goChar(c)} in -${shorthands}`);
    ctx.assign(spec, rest.shift() as string);
    return;
  }
}

/** Go's %q of a byte: 'z'. */
function goChar(c: string): string {
  return c === "'" ? "'\\''" : c === '\\' ? "'\\\\'" : `'${c}'`;
}

function defaultValue(spec: FlagSpec): FlagValue {
  const type = spec.type ?? 'string';
  const given = spec.default;
  switch (type) {
    case 'string':
      return typeof given === 'string' ? given : '';
    case 'bool':
      return given === true;
    case 'int':
      return typeof given === 'number' ? given : 0;
    case 'stringArray':
      return Array.isArray(given) ? [...given] : [];
    case 'duration':
      if (typeof given === 'number') return given;
      return typeof given === 'string' && given !== '' ? parseDuration(given) : 0;
  }
}

/** "-n, --last" or "--last", as pflag names a flag in its errors. */
function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const fail = (reason: string): UsageError =>
    new UsageError(`invalid argument ${goQuote(raw)} for ${goQuote(flagLabel(spec))} flag: ${reason}`);
  switch (spec.type ?? 'string') {
    case 'string':
      return raw;
    case 'stringArray':
      return [raw];
    case 'bool': {
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
      throw fail(`strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
    }
    case 'int': {
      const parsed = parseGoInt(raw);
      if (parsed === 'syntax') throw fail(`strconv.ParseInt: parsing ${goQuote(raw)}: invalid syntax`);
      if (parsed === 'range') throw fail(`strconv.ParseInt: parsing ${goQuote(raw)}: value out of range`);
      return parsed;
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (err) {
        throw fail((err as Error).message);
      }
  }
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x, 0o, 0b, or a leading 0 for octal. */
function parseGoInt(raw: string): number | 'syntax' | 'range' {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9]+|0)$/.exec(raw);
  if (!m) return 'syntax';
  let digits = m[2];
  // Underscores are only allowed with a base prefix, between digits.
  if (digits.includes('_') && (!/^0[xXoObB]?/.test(digits) || /__|_$/.test(digits))) return 'syntax';
  digits = digits.replace(/_/g, '');
  if (/^0[0-7]/.test(digits)) digits = '0o' + digits.slice(1);
  const value = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  if (value > 9_223_372_036_854_775_807n || value < -9_223_372_036_854_775_808n) return 'range';
  return Number(value);
}

/** Go's %q for the ASCII text flags carry; JSON escaping agrees with it there. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** What a command's `--help` shows. */
export interface CommandHelp {
  /** The use line after "berth", e.g. "run [OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  description?: string;
  /** Full alternative invocations, e.g. ["berth container run", "berth run"]. */
  aliases?: readonly string[];
  flags: readonly FlagSpec[];
}

/** Help text laid out as docker's: "Usage:  berth …", the description, aliases, "Options:". */
export function formatHelp(help: CommandHelp): string {
  const parts = [`\nUsage:  berth ${help.usage}\n`];
  if (help.description) parts.push(`\n${help.description}\n`);
  if (help.aliases && help.aliases.length > 0) parts.push(`\nAliases:\n  ${help.aliases.join(', ')}\n`);
  const options = formatFlagUsages(help.flags);
  if (options !== '') parts.push(`\nOptions:\n${options}`);
  return parts.join('');
}

/**
 * pflag's FlagUsages: flags sorted by name, "  -e, --env list" or
 * "      --name string", descriptions aligned three spaces past the longest
 * flag column, non-zero defaults appended.
 */
export function formatFlagUsages(flags: readonly FlagSpec[]): string {
  const visible = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = visible.map((spec) => {
    let left = spec.short ? `  -${spec.short}, --${spec.name}` : `      --${spec.name}`;
    const valueName = spec.valueName ?? defaultValueName(spec.type ?? 'string');
    if (valueName !== '') left += ` ${valueName}`;
    return { left, right: spec.description + defaultSuffix(spec) };
  });
  const width = Math.max(0, ...rows.map((r) => r.left.length));
  return rows.map((r) => `${r.left.padEnd(width)}   ${r.right}\n`).join('');
}

function defaultValueName(type: FlagType): string {
  switch (type) {
    case 'bool':
      return '';
    case 'stringArray':
      return 'list';
    default:
      return type;
  }
}

function defaultSuffix(spec: FlagSpec): string {
  const given = spec.default;
  if (given === undefined || given === '' || given === false || given === 0) return '';
  if (Array.isArray(given)) return given.length === 0 ? '' : ` (default [${given.join(',')}])`;
  if ((spec.type ?? 'string') === 'string') return ` (default ${goQuote(String(given))})`;
  if (spec.type === 'duration' && (given === '0s' || given === '0')) return '';
  return ` (default ${String(given)})`;
}

/** The options accepted before the command: `berth [OPTIONS] COMMAND`. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'config', type: 'string', description: 'Location of client config files', valueName: 'string' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
  { name: 'host', short: 'H', type: 'stringArray', description: 'Daemon socket to connect to' },
  {
    name: 'log-level',
    short: 'l',
    type: 'string',
    default: 'info',
    description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
  },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
];

export interface GlobalOptions {
  /** The -H value, when given; the transport falls back to the environment. */
  host?: string;
  config?: string;
  logLevel: string;
  debug: boolean;
  version: boolean;
  help: boolean;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic']);

/**
 * Splits `berth [-H host] [-D] [-l level] [-v] COMMAND ARGS...` into the global
 * options and the rest, which starts with the command name (empty when none
 * was given).
 */
export function parseGlobalOptions(argv: readonly string[]): { options: GlobalOptions; rest: string[] } {
  const parsed = parseFlags(GLOBAL_FLAGS, argv, { interspersed: false });
  const hosts = parsed.array('host');
  if (hosts.length > 1) throw new UsageError('Specify only one -H');
  const logLevel = parsed.string('log-level');
  if (!LOG_LEVELS.has(logLevel.toLowerCase())) throw new UsageError(`Unable to parse logging level: ${logLevel}`);
  const options: GlobalOptions = {
    logLevel: logLevel.toLowerCase(),
    debug: parsed.bool('debug'),
    version: parsed.bool('version'),
    help: parsed.help,
  };
  if (hosts.length === 1) options.host = hosts[0];
  if (parsed.changed('config')) options.config = parsed.string('config');
  return { options, rest: parsed.positionals };
}
