/**
 * How Go prints values inside templates: fmt's %v family (`print`, `printf`,
 * `println`, action output) and encoding/json (`json`). JavaScript values map
 * onto Go's as: integer numbers → int, other numbers → float64, arrays →
 * slices, plain objects and Maps → maps, null → nil.
 */

/** Go's invalid reflect.Value: a missing map key. Prints as "<no value>". */
export const MISSING: unique symbol = Symbol('<no value>');

function isMapLike(v: unknown): v is Map<unknown, unknown> | Record<string, unknown> {
  return v instanceof Map || (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date));
}

/** A map's entries in Go's printing and ranging order: sorted by key. */
export function sortedEntries(v: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort(([a], [b]) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** The Go type a value stands for, as error messages and %!verb(type=v) name it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined || v === MISSING) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Date) return 'time.Time';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/** fmt's %v. */
export function printValue(v: unknown): string {
  if (v === MISSING || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (isMapLike(v)) return `map[${sortedEntries(v).map(([k, x]) => `${printValue(k)}:${printValue(x)}`).join(' ')}]`;
  return String(v);
}

/** An int prints in full; a float64 as Go's shortest %g, exponent from 1e+06 up. */
function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(n === 0 ? 0 : n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(arg);
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, then a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(printValue).join(' ') + '\n';
}

const QUOTE_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** strconv.Quote: printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (QUOTE_ESCAPES[ch]) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(ch)) out += ch;
    else if (cp > 0xffff) out += `\\U${cp.toString(16).padStart(8, '0')}`;
    else out += `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return out + '"';
}

interface Verb {
  flags: string;
  width: number | null;
  precision: number | null;
  verb: string;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %q %t %f %e %g %x %X %c %%, with flags, width, precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let argIndex = 0;
  const directive = /%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  const out = format.replace(directive, (_m, flags: string, w?: string, p?: string, verb?: string) => {
    const spec: Verb = {
      flags,
      width: w ? Number(w) : null,
      precision: p !== undefined ? Number(p || '0') : null,
      verb: verb ?? 'v',
    };
    if (spec.verb === '%') return '%';
    if (argIndex >= args.length) return `%!${spec.verb}(MISSING)`;
    return pad(formatOne(spec, args[argIndex++]), spec);
  });
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((a) => (a === null || a === MISSING ? '<nil>' : `${goTypeName(a)}=${printValue(a)}`));
    return `${out}%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

function badVerb(verb: string, v: unknown): string {
  return v === null || v === undefined || v === MISSING ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(v)}=${printValue(v)})`;
}

function formatOne(spec: Verb, v: unknown): string {
  const { verb, precision } = spec;
  if (Array.isArray(v) && verb !== 'v') return `[${v.map((x) => formatOne(spec, x)).join(' ')}]`;
  switch (verb) {
    case 'v':
      return v === MISSING ? '<nil>' : printValue(v);
    case 's':
      if (typeof v !== 'string') return isMapLike(v) ? printValue(v) : badVerb(verb, v);
      return precision === null ? v : [...v].slice(0, precision).join('');
    case 'q':
      if (typeof v === 'string') return goQuote(v);
      if (typeof v === 'number' && Number.isInteger(v)) return `'${String.fromCodePoint(v)}'`;
      return badVerb(verb, v);
    case 't':
      return typeof v === 'boolean' ? String(v) : badVerb(verb, v);
    case 'd':
    case 'x':
    case 'X':
    case 'c': {
      if (verb !== 'd' && typeof v === 'string') {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      if (typeof v !== 'number' || !Number.isInteger(v)) return badVerb(verb, v);
      if (verb === 'c') return String.fromCodePoint(v);
      const digits = verb === 'd' ? Math.abs(v).toString() : Math.abs(v).toString(16);
      const sign = v < 0 ? '-' : spec.flags.includes('+') ? '+' : '';
      return sign + (verb === 'X' ? digits.toUpperCase() : digits);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
      if (typeof v !== 'number') return badVerb(verb, v);
      const sign = v >= 0 && spec.flags.includes('+') ? '+' : '';
      if (verb === 'g') return sign + (precision === null ? formatNumber(v) : v.toPrecision(Math.max(1, precision)));
      if (verb === 'e') return sign + v.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return sign + v.toFixed(precision ?? 6);
    }
    default:
      return badVerb(verb, v);
  }
}

function pad(text: string, spec: Verb): string {
  const width = spec.width ?? 0;
  const length = [...text].length;
  if (length >= width) return text;
  if (spec.flags.includes('-')) return text + ' '.repeat(width - length);
  if (spec.flags.includes('0') && 'dxXfFeg'.includes(spec.verb) && /^[+-]?[0-9a-fA-F.]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(width - length) + text.slice(sign.length);
  }
  return ' '.repeat(width - length) + text;
}

/**
 * encoding/json's compact encoding: keys in object order (Maps, being Go
 * maps, sorted), `\b \f \n \r \t` short escapes, other control characters
 * as \u00XX, U+2028/U+2029 escaped, lone surrogates as \ufffd. With
 * `escapeHTML` (json.Marshal's default) `< > &` become \u003c \u003e \u0026;
 * docker's template `json` function turns that off.
 */
export function goJson(value: unknown, options: { escapeHTML?: boolean } = {}): string {
  const escapeHTML = options.escapeHTML ?? true;
  const encode = (v: unknown): string | undefined => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === null || v === MISSING) return 'null';
    switch (typeof v) {
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'string':
        return jsonString(v, escapeHTML);
      case 'boolean':
        return String(v);
      case 'bigint':
        return v.toString();
      case 'number':
        if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${formatNumber(v)}`);
        return String(v);
    }
    if (Array.isArray(v)) return `[${v.map((x) => encode(x) ?? 'null').join(',')}]`;
    const entries = v instanceof Map ? sortedEntries(v) : Object.entries(v as object);
    const members: string[] = [];
    for (const [k, x] of entries) {
      const encoded = encode(x);
      if (encoded !== undefined) members.push(`${jsonString(String(k), escapeHTML)}:${encoded}`);
    }
    return `{${members.join(',')}}`;
  };
  return encode(value) ?? 'null';
}

const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function jsonString(s: string, escapeHTML: boolean): string {
  const pattern = escapeHTML
    ? /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
    : /["\\\u0000-\u001f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  return `"${s.replace(pattern, (ch) => {
    if (JSON_SHORT[ch]) return JSON_SHORT[ch];
    const code = ch.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  })}"`;
}
