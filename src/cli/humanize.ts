/**
 * Human-readable sizes, durations, times and statuses, worded exactly as
 * docker's CLI prints them (docker/go-units, moby's container state strings,
 * docker/cli's timetypes). Scripts parse these, so the wording is the contract.
 */

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units HumanSize: decimal units, four significant digits ("4.26MB", "0B"). */
export function humanSize(bytes: number): string {
  return scaledSize(bytes, 1000, DECIMAL_UNITS);
}

/** go-units BytesSize: binary units, four significant digits ("1.5KiB"). */
export function bytesSize(bytes: number): string {
  return scaledSize(bytes, 1024, BINARY_UNITS);
}

function scaledSize(size: number, base: number, units: readonly string[]): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return formatG(size, 4) + units[i];
}

/**
 * Go's `%.<precision>g`: `precision` significant digits, trailing zeros
 * dropped, exponent form only when the exponent is below -4 or at least
 * `precision`. Ties round half to even on the exact binary value, as Go's
 * strconv does (JavaScript's toPrecision rounds them up).
 */
export function formatG(value: number, precision: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  // toPrecision(100) is the exact decimal expansion of any double in our range.
  const [mantissa, expPart] = Math.abs(value).toPrecision(100).split('e');
  const exact = mantissa.replace('.', '').replace(/^0+/, '');
  const pointShift = mantissa.indexOf('.') === -1 ? mantissa.length : mantissa.indexOf('.');
  const leadingZeros = mantissa.replace('.', '').length - mantissa.replace('.', '').replace(/^0+/, '').length;
  let exponent = pointShift - 1 - leadingZeros + (expPart ? Number(expPart) : 0);
  let digits = roundHalfEven(exact, precision);
  if (digits.length > precision) {
    digits = digits.slice(0, precision);
    exponent++;
  }
  digits = digits.replace(/0+$/, '') || '0';
  if (exponent < -4 || exponent >= precision) {
    const frac = digits.length > 1 ? '.' + digits.slice(1) : '';
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const frac = digits.slice(exponent + 1);
  return sign + whole + (frac ? '.' + frac : '');
}

/** Rounds a digit string to `n` digits; the result may gain a digit ("999" → "1000"). */
function roundHalfEven(digits: string, n: number): string {
  if (digits.length <= n) return digits;
  const kept = digits.slice(0, n);
  const rest = digits.slice(n);
  const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
  const up = half || (tie && Number(kept[kept.length - 1]) % 2 === 1);
  if (!up) return kept;
  return (BigInt(kept) + 1n).toString().padStart(n, '0');
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** go-units HumanDuration, from milliseconds: "Less than a second" … "2 years". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Go's Duration.Round(time.Hour): halves round away from zero.
  const hours = Math.round(ms / HOUR);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

/** "3 minutes ago", as `docker ps` and `docker images` print ages. */
export function timeAgo(date: Date | string | number, now: Date = new Date()): string {
  return humanDuration(now.getTime() - toDate(date).getTime()) + ' ago';
}

/** The container state fields that decide docker's one-line status. */
export interface StatusInput {
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  Dead?: boolean;
  RemovalInProgress?: boolean;
  ExitCode?: number;
  /** RFC 3339; Go's zero time ("0001-01-01T00:00:00Z") or empty means never. */
  StartedAt?: string;
  FinishedAt?: string;
  Health?: { Status?: string } | null;
}

/**
 * moby's State.String(): "Up 5 seconds", "Up 2 hours (healthy)",
 * "Up 3 seconds (Paused)", "Restarting (1) 2 seconds ago",
 * "Exited (0) 3 seconds ago", "Created", "Removal In Progress", "Dead".
 */
export function containerStatus(state: StatusInput, now: Date = new Date()): string {
  const since = (iso: string | undefined): string => humanDuration(now.getTime() - toDate(iso ?? '').getTime());
  if (state.Running || state.Restarting) {
    if (state.Paused) return `Up ${since(state.StartedAt)} (Paused)`;
    if (state.Restarting) return `Restarting (${state.ExitCode ?? 0}) ${since(state.FinishedAt)} ago`;
    const health = state.Health?.Status;
    if (health && health !== 'none') {
      return `Up ${since(state.StartedAt)} (${health === 'starting' ? 'health: starting' : health})`;
    }
    return `Up ${since(state.StartedAt)}`;
  }
  if (state.RemovalInProgress) return 'Removal In Progress';
  if (state.Dead) return 'Dead';
  if (isZeroTime(state.StartedAt)) return 'Created';
  if (isZeroTime(state.FinishedAt)) return '';
  return `Exited (${state.ExitCode ?? 0}) ${since(state.FinishedAt)} ago`;
}

function isZeroTime(iso: string | undefined): boolean {
  return !iso || iso.startsWith('0001-01-01');
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

/** docker's stringid.TruncateID: drops an algorithm prefix, keeps 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 MICRO SIGN
  'μs': 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Go's time.ParseDuration ("300ms", "1m30s", "-1.5h", "0"), in nanoseconds.
 * Errors carry Go's wording: `time: invalid duration "x"`.
 */
export function parseDuration(text: string): number {
  const quoted = JSON.stringify(text);
  const invalid = (): Error => new Error(`time: invalid duration ${quoted}`);
  let rest = text;
  let negative = false;
  if (rest[0] === '-' || rest[0] === '+') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = m?.[1] ?? '';
    const frac = m?.[2] ?? '';
    if (whole === '' && frac === '') throw invalid();
    rest = rest.slice(m?.[0].length ?? 0);
    const unitMatch = /^[^\d.]+/.exec(rest);
    if (!unitMatch) throw new Error(`time: missing unit in duration ${quoted}`);
    const unit = DURATION_UNITS[unitMatch[0]];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitMatch[0])} in duration ${quoted}`);
    rest = rest.slice(unitMatch[0].length);
    total += BigInt(whole || '0') * unit;
    if (frac !== '') total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    if (total > 9_223_372_036_854_775_807n) throw invalid();
  }
  return Number(negative ? -total : total);
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * docker's timetypes.GetTimestamp, for `logs --since/--until` and
 * `events --since`: a Go duration means that long before `now` (whole Unix
 * seconds); an RFC 3339 date, with or without time, fraction or zone (no zone
 * means local time), becomes "seconds.nanoseconds"; Unix seconds with an
 * optional fraction pass through unchanged, as the API accepts them.
 */
export function parseTimestamp(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const ns = parseDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration: try the other forms
    }
  }
  const m = TIMESTAMP.exec(value);
  if (m) return dateToUnix(m, value);
  if (value.includes('-')) throw new Error(`parsing time ${JSON.stringify(value)}: not an RFC 3339 date`);
  if (!/^-?\d+(\.\d+)?$/.test(value)) {
    throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
  return value;
}

function dateToUnix(m: RegExpExecArray, value: string): string {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? '0'));
  const nanos = (m[7] ?? '').padEnd(9, '0');
  const zone = m[8];
  const outOfRange =
    month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59;
  if (outOfRange) throw new Error(`parsing time ${JSON.stringify(value)}: value out of range`);
  let ms: number;
  if (zone === undefined) {
    ms = new Date(year, month - 1, day, hour, minute, second).getTime();
  } else {
    ms = Date.UTC(year, month - 1, day, hour, minute, second);
    if (zone !== 'Z') {
      const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * MINUTE;
      ms -= zone[0] === '+' ? offset : -offset;
    }
  }
  return `${Math.floor(ms / 1000)}.${nanos}`;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** One entry of a container's `Ports`, as /containers/json returns it. */
export interface PortEntry {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/**
 * docker's DisplayablePorts, the PORTS column of `docker ps`: consecutive
 * ports collapse into ranges ("0.0.0.0:8000-8001->8000-8001/tcp"); a port
 * published under another number is listed after the groups.
 */
export function portsString(ports: readonly PortEntry[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        const host = port.IP.includes(':') ? `[${port.IP}]` : port.IP;
        mappings.push(`${host}:${port.PublicPort ?? 0}->${current}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { first: current, last: current });
    } else if (current === group.last + 1) {
      group.last = current;
    } else {
      result.push(formGroup(key, group.first, group.last));
      // Go replaces the group in place, keeping the key's first position.
      groups.set(key, { first: current, last: current });
    }
  }
  for (const [key, group] of groups) result.push(formGroup(key, group.first, group.last));
  return [...result, ...mappings].join(', ');
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip) group = `${ip}:${group}->${group}`;
  return `${group}/${type}`;
}

function comparePorts(a: PortEntry, b: PortEntry): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}
