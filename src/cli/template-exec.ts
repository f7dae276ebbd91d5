/**
 * Executes a parsed --format template over JavaScript data with Go
 * text/template semantics: field lookup on objects and Maps (a missing key
 * is "<no value>"), methods (a function-valued field is called, with any
 * arguments the template gives), pipelines, variables, if/with/range, and the
 * builtin and docker functions.
 */
import type { Arg, Command, ControlNode, Node, Pipeline } from './template-parse.js';
import { MISSING, goJson, goTypeName, printValue, sortedEntries, sprint, sprintf, sprintln } from './template-format.js';

type ParamType = 'any' | 'string' | 'int' | 'strings';

interface FuncDef {
  params: readonly ParamType[];
  /** When set, the last parameter type repeats. */
  variadic?: boolean;
  fn: (...args: any[]) => unknown;
}

const any1: readonly ParamType[] = ['any'];
const str1: readonly ParamType[] = ['string'];

/** Go's builtins plus docker's basicFunctions (templates/templates.go). */
const FUNCTIONS: Record<string, FuncDef> = {
  and: { params: any1, variadic: true, fn: () => undefined }, // evaluated lazily, see callFunction
  or: { params: any1, variadic: true, fn: () => undefined },
  not: { params: any1, fn: (v: unknown) => !truth(v) },
  len: { params: any1, fn: goLen },
  index: { params: ['any', 'any'], variadic: true, fn: goIndex },
  print: { params: any1, variadic: true, fn: (...a: unknown[]) => sprint(a) },
  printf: { params: ['string', 'any'], variadic: true, fn: (f: string, ...a: unknown[]) => sprintf(f, a) },
  println: { params: any1, variadic: true, fn: (...a: unknown[]) => sprintln(a) },
  eq: { params: ['any', 'any'], variadic: true, fn: goEq },
  ne: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !equal(a, b) },
  lt: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => less(a, b) },
  le: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => less(a, b) || equal(a, b) },
  gt: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !less(a, b) && !equal(a, b) },
  ge: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !less(a, b) },
  json: { params: any1, fn: dockerJson },
  split: { params: ['string', 'string'], fn: (s: string, sep: string) => (sep === '' ? [...s] : s.split(sep)) },
  join: { params: ['strings', 'string'], fn: (list: unknown[], sep: string) => list.map(printValue).join(sep) },
  title: { params: str1, fn: goTitle },
  lower: { params: str1, fn: (s: string) => s.toLowerCase() },
  upper: { params: str1, fn: (s: string) => s.toUpperCase() },
  pad: { params: ['string', 'int', 'int'], fn: padWithSpace },
  truncate: { params: ['string', 'int'], fn: (s: string, n: number) => (s.length < n ? s : s.slice(0, Math.max(0, n))) },
};

const identity = (v: unknown): unknown => v;

/** docker's HeaderFunctions: the header row shows column names untouched. */
const HEADER_FUNCTIONS: Record<string, FuncDef> = {
  ...FUNCTIONS,
  json: { params: any1, fn: identity },
  split: { params: ['any', 'any'], fn: identity },
  join: { params: ['any', 'any'], fn: identity },
  title: { params: any1, fn: identity },
  lower: { params: any1, fn: identity },
  upper: { params: any1, fn: identity },
  truncate: { params: ['any', 'any'], fn: identity },
};

/** Every name a template may call; the parser rejects others. */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(FUNCTIONS));

/** A failure while executing, tied to the template text it came from. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly node: { pos: number; src: string },
  ) {
    super(message);
  }
}

const NO_FINAL: unique symbol = Symbol('no final');
type Final = unknown | typeof NO_FINAL;
class Break {}
class Continue {}

/**
 * Runs `nodes` over `data`. `header` selects docker's header-row functions
 * and, as docker ignores errors in the header row, returns whatever was
 * written before a failure instead of throwing.
 */
export function execute(nodes: readonly Node[], data: unknown, header = false): string {
  const exec = new Exec(data, header ? HEADER_FUNCTIONS : FUNCTIONS);
  try {
    exec.walk(data, nodes);
  } catch (err) {
    if (!header) throw err;
  }
  return exec.out.join('');
}

class Exec {
  readonly out: string[] = [];
  private readonly vars: { name: string; value: unknown }[];

  constructor(
    root: unknown,
    private readonly funcs: Record<string, FuncDef>,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  walk(dot: unknown, nodes: readonly Node[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          this.out.push(node.text);
          break;
        case 'action': {
          const value = this.evalPipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.out.push(printValue(value));
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.vars.length;
          const value = this.evalPipeline(dot, node.pipe);
          if (truth(value)) this.walk(node.type === 'with' ? value : dot, node.list);
          else if (node.elseList) this.walk(dot, node.elseList);
          this.vars.length = mark;
          break;
        }
        case 'range':
          this.walkRange(dot, node);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
      }
    }
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    const value = this.evalCommands(dot, node.pipe);
    let entries: [unknown, unknown][];
    if (value === MISSING || value === null || value === undefined) entries = [];
    else if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (typeof value === 'number' && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else if (typeof value === 'object' && !(value instanceof Date)) entries = sortedEntries(value as Record<string, unknown>);
    else throw new ExecError(`range can't iterate over ${printValue(value)}`, node.pipe.cmds[0]);
    for (const [key, elem] of entries) {
      const mark = this.vars.length;
      const [first, second] = node.pipe.decl;
      if (second !== undefined) this.vars.push({ name: first, value: key }, { name: second, value: elem });
      else if (first !== undefined) this.vars.push({ name: first, value: elem });
      try {
        this.walk(elem, node.list);
      } catch (err) {
        if (err instanceof Break) break;
        if (!(err instanceof Continue)) throw err;
      } finally {
        this.vars.length = mark;
      }
    }
    if (entries.length === 0 && node.elseList) this.walk(dot, node.elseList);
  }

  private evalCommands(dot: unknown, pipe: Pipeline): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    return value;
  }

  private evalPipeline(dot: unknown, pipe: Pipeline): unknown {
    const value = this.evalCommands(dot, pipe);
    for (const name of pipe.decl) {
      if (!pipe.isAssign) {
        this.vars.push({ name, value });
        continue;
      }
      const slot = [...this.vars].reverse().find((v) => v.name === name);
      if (slot) slot.value = value;
    }
    return value;
  }

  private lookup(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return MISSING;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const [first, ...rest] = cmd.args;
    switch (first.type) {
      case 'field':
        return this.evalChain(dot, dot, first.names, { args: rest, final, node: first });
      case 'function':
        return this.callFunction(dot, first.name, { args: rest, final, node: cmd });
      case 'variable':
      case 'pipe': {
        const base = first.type === 'variable' ? this.lookup(first.name) : this.evalPipeline(dot, first.pipe);
        if (first.names.length > 0) return this.evalChain(dot, base, first.names, { args: rest, final, node: first });
        this.noArguments(cmd, final);
        return base;
      }
      case 'nil':
        throw new ExecError('nil is not a command', first);
      default:
        this.noArguments(cmd, final);
        return this.evalArg(dot, first);
    }
  }

  private noArguments(cmd: Command, final: Final): void {
    if (cmd.args.length > 1 || final !== NO_FINAL) {
      throw new ExecError(`can't give argument to non-function ${cmd.args[0].src}`, cmd.args[0]);
    }
  }

  private evalArg(dot: unknown, arg: Arg): unknown {
    switch (arg.type) {
      case 'dot':
        return dot;
      case 'literal':
        return arg.value;
      case 'nil':
        return null;
      case 'field':
        return this.evalChain(dot, dot, arg.names, { args: [], final: NO_FINAL, node: arg });
      case 'function':
        return this.callFunction(dot, arg.name, { args: [], final: NO_FINAL, node: arg });
      case 'variable':
      case 'pipe': {
        const base = arg.type === 'variable' ? this.lookup(arg.name) : this.evalPipeline(dot, arg.pipe);
        return this.evalChain(dot, base, arg.names, { args: [], final: NO_FINAL, node: arg });
      }
    }
  }

  /** `.A.B.C args`: arguments and the piped value go to the last name only. */
  private evalChain(dot: unknown, receiver: unknown, names: readonly string[], call: Call): unknown {
    let value = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      value = this.evalField(dot, value, name, last ? call : { ...call, args: [], final: NO_FINAL });
    });
    return value;
  }

  private evalField(dot: unknown, receiver: unknown, name: string, call: Call): unknown {
    if (receiver === MISSING || receiver === undefined) return MISSING;
    if (receiver === null) throw new ExecError(`nil pointer evaluating interface {}.${name}`, call.node);
    const hasArgs = call.args.length > 0 || call.final !== NO_FINAL;
    if (typeof receiver !== 'object' || Array.isArray(receiver)) {
      throw new ExecError(`can't evaluate field ${name} in type ${goTypeName(receiver)}`, call.node);
    }
    let value: unknown = MISSING;
    if (receiver instanceof Map) {
      if (receiver.has(name)) value = receiver.get(name);
    } else if (hasField(receiver, name)) {
      value = (receiver as Record<string, unknown>)[name];
    }
    if (typeof value === 'function') {
      const args = this.argValues(dot, call);
      try {
        return value.apply(receiver, args);
      } catch (err) {
        throw new ExecError(`error calling ${name}: ${(err as Error).message}`, call.node);
      }
    }
    if (hasArgs) throw new ExecError(`${name} is not a method but has arguments`, call.node);
    return value === undefined ? MISSING : value;
  }

  private argValues(dot: unknown, call: Call): unknown[] {
    const values = call.args.map((a) => this.evalArg(dot, a));
    if (call.final !== NO_FINAL) values.push(call.final);
    return values;
  }

  private callFunction(dot: unknown, name: string, call: Call): unknown {
    const def = this.funcs[name];
    const given = call.args.length + (call.final === NO_FINAL ? 0 : 1);
    const min = def.variadic ? def.params.length - 1 : def.params.length;
    if (given < min || (!def.variadic && given > min) || ((name === 'and' || name === 'or') && given === 0)) {
      const want = def.variadic ? `at least ${Math.max(min, 1)}` : String(min);
      throw new ExecError(`wrong number of args for ${name}: want ${want} got ${given}`, call.node);
    }
    if (name === 'and' || name === 'or') {
      let value: unknown = MISSING;
      for (const arg of call.args) {
        value = this.evalArg(dot, arg);
        if (truth(value) === (name === 'or')) return value;
      }
      return call.final === NO_FINAL ? value : call.final;
    }
    const values = this.argValues(dot, call);
    values.forEach((v, i) => checkType(def.params[Math.min(i, def.params.length - 1)], v, call.args[i] ?? call.node));
    try {
      return def.fn(...values);
    } catch (err) {
      throw new ExecError(`error calling ${name}: ${(err as Error).message}`, call.node);
    }
  }
}

interface Call {
  args: readonly Arg[];
  final: Final;
  node: { pos: number; src: string };
}

/** Own data of plain objects; for class instances also their getters and methods. */
function hasField(obj: object, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return true;
  const proto = Object.getPrototypeOf(obj);
  return proto !== null && proto !== Object.prototype && name in obj && !(name in Object.prototype);
}

const GO_PARAM: Record<ParamType, string> = { any: 'interface {}', string: 'string', int: 'int', strings: '[]string' };

function checkType(type: ParamType, v: unknown, node: { pos: number; src: string }): void {
  if (type === 'any') return;
  if (v === MISSING || v === undefined) throw new ExecError(`invalid value; expected ${GO_PARAM[type]}`, node);
  const ok =
    (type === 'string' && typeof v === 'string') ||
    (type === 'int' && typeof v === 'number' && Number.isInteger(v)) ||
    (type === 'strings' && Array.isArray(v));
  if (!ok) throw new ExecError(`wrong type for value; expected ${GO_PARAM[type]}; got ${goTypeName(v)}`, node);
}

/** Go's truth: false, 0, "", nil, missing and empty collections are false. */
export function truth(v: unknown): boolean {
  if (v === MISSING || v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return true;
}

type Kind = 'nil' | 'bool' | 'number' | 'string' | 'other';

function kindOf(v: unknown): Kind {
  if (v === MISSING || v === undefined || v === null) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function goEq(a: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new Error('missing argument for comparison');
  return others.some((b) => equal(a, b));
}

function equal(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) {
    if (ka !== 'nil' && kb !== 'nil') throw new Error('incompatible types for comparison');
    return false;
  }
  if (ka === 'nil') return true;
  if (ka === 'other') throw new Error(`non-comparable type ${printValue(a)}: ${goTypeName(a)}`);
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'nil' || ka === 'bool' || ka === 'other' || kb === 'nil' || kb === 'bool' || kb === 'other') {
    throw new Error('invalid type for comparison');
  }
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function goLen(v: unknown): number {
  if (v === MISSING || v === undefined || v === null) throw new Error('len of untyped nil');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (typeof v === 'object') return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

/**
 * Go's index. A missing key yields the map's zero value: "" when the map
 * holds strings (docker's Labels, map[string]string), else "<no value>".
 */
function goIndex(item: unknown, ...keys: unknown[]): unknown {
  for (const key of keys) {
    if (item === MISSING || item === undefined || item === null) throw new Error('index of untyped nil');
    if (Array.isArray(item) || typeof item === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
      if (key < 0 || key >= item.length) throw new Error(`index out of range: ${key}`);
      item = typeof item === 'string' ? Buffer.from(item, 'utf8')[key] : item[key];
    } else if (typeof item === 'object') {
      const map = item instanceof Map ? item : new Map(Object.entries(item as object));
      const stringMap = [...map.values()].every((x) => typeof x === 'string');
      item = map.has(key) ? map.get(key) : stringMap ? '' : MISSING;
    } else {
      throw new Error(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

/** docker's `json`: encoding/json without HTML escaping, nothing when it cannot encode. */
function dockerJson(v: unknown): string {
  try {
    return goJson(v, { escapeHTML: false });
  } catch {
    return '';
  }
}

/** docker's padWithSpace: an empty string stays empty. */
function padWithSpace(s: string, prefix: number, suffix: number): string {
  return s === '' ? s : ' '.repeat(Math.max(0, prefix)) + s + ' '.repeat(Math.max(0, suffix));
}

/** strings.Title: upper-cases the first letter of every word, leaves the rest alone. */
function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (ch.charCodeAt(0) < 0x80) return !/[A-Za-z0-9_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}
