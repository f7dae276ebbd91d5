/**
 * HEALTHCHECK: `NONE`, or `[--interval=D --timeout=D --start-period=D
 * --start-interval=D --retries=N] CMD command`, with docker's checks and
 * wording. Durations use Go's syntax (`30s`, `1m30s`, `500ms`) and are kept
 * in nanoseconds, as the image config stores them.
 */
import { InstructionError } from './errors.js';
import { parseFlags } from './flags.js';
import type { HealthcheckSpec } from './types.js';
import { parseJSONArray } from './words.js';

const UNIT_NANOS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds; throws with Go's message. */
export function parseGoDuration(text: string): number {
  const invalid = (): InstructionError => new InstructionError(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (!number || (whole === '' && (fraction === undefined || fraction === ''))) throw invalid();
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new InstructionError(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) {
      throw new InstructionError(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    }
    rest = rest.slice(unit.length);
    total += Number(`${whole || '0'}.${fraction ?? '0'}`) * scale;
  }
  return sign * Math.round(total);
}

/** A duration flag: absent or zero means "use the default"; otherwise at least 1ms. */
function optionalInterval(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const nanos = parseGoDuration(value);
  if (nanos === 0) return undefined;
  if (nanos < 1e6) throw new InstructionError(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return nanos;
}

function parseRetries(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isNaN(n)) throw new InstructionError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) {
    throw new InstructionError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  }
  if (n < 0) throw new InstructionError(`--retries cannot be negative (${n})`);
  return n;
}

/** Reads the HEALTHCHECK arguments (after the flags were split off). */
export function parseHealthcheck(flagWords: readonly string[], args: string): HealthcheckSpec {
  if (args === '') throw new InstructionError('HEALTHCHECK requires at least one argument');
  const space = /\s/.exec(args);
  const typeWord = space ? args.slice(0, space.index) : args;
  const rest = space ? args.slice(space.index).trimStart() : '';
  const type = typeWord.toUpperCase();
  if (type === 'NONE') {
    if (rest !== '') throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'] };
  }
  const flags = parseFlags(flagWords, {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  });
  if (type !== 'CMD') throw new InstructionError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const exec = parseJSONArray(rest);
  if (exec ? exec.length === 0 : rest === '') throw new InstructionError('Missing command after HEALTHCHECK CMD');
  const spec: HealthcheckSpec = { test: exec ? ['CMD', ...exec] : ['CMD-SHELL', rest] };
  const durations = [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start-period', 'startPeriod'],
    ['start-interval', 'startInterval'],
  ] as const;
  for (const [flag, field] of durations) {
    const nanos = optionalInterval(flag, flags.strings.get(flag));
    if (nanos !== undefined) spec[field] = nanos;
  }
  const retries = parseRetries(flags.strings.get('retries'));
  if (retries !== undefined && retries !== 0) spec.retries = retries;
  return spec;
}
