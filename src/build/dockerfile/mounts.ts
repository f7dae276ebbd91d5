/**
 * `RUN --mount=...` options, read as BuildKit reads them: a CSV list of
 * `key=value` fields (a few bare keys: `ro`, `rw`, `required`), type `bind`
 * when none is given, docker's key aliases (`src`, `dst`, `destination`,
 * `ro`, `rw`, `readwrite`) and defaults (bind and secret/ssh read-only, cache
 * and tmpfs writable, cache sharing `shared`, a secret's id from its target).
 */
import { ramInBytes } from '../../util/size.js';
import { InstructionError } from './errors.js';
import { suggestion } from './flags.js';
import type { RunMount } from './types.js';

type MountType = RunMount['type'];
const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING = ['shared', 'private', 'locked'] as const;
type Sharing = (typeof SHARING)[number];
const ALL_KEYS = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

/** Substitutes variables in one field value; identity at parse time. */
export type ValueExpander = (value: string) => string;

/** Splits one CSV record (Go encoding/csv rules: `"` quotes a field, `""` is a quote inside it). */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new InstructionError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',') throw new InstructionError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const end = text.indexOf(',', i);
      field = end < 0 ? text.slice(i) : text.slice(i, end);
      i = end < 0 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

interface RawMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readonly?: boolean;
  size?: number;
  id?: string;
  sharing?: Sharing;
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  env?: string;
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw new InstructionError(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string, radix: 8 | 10): number {
  const digits = radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  const n = digits.test(value) ? parseInt(value, radix) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new InstructionError(`invalid value ${value} for ${key}`);
  }
  return n;
}

function requireTypes(raw: RawMount, key: string, types: readonly MountType[]): void {
  if (!types.includes(raw.type)) throw new InstructionError(`unexpected key '${key}' for mount type '${raw.type}'`);
}

/**
 * One `--mount` value. With `expand` absent (parse time), values holding a
 * `$` are not checked yet, as docker defers them until the build arguments
 * are known; `expandInstruction` parses the mount again with the values.
 */
export function parseMount(spec: string, expand?: ValueExpander): RunMount {
  const raw: RawMount = { type: 'bind', required: false };
  let readonlyAuto = true;
  for (const field of csvFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') raw.readonly = true;
      else if (key === 'readwrite' || key === 'rw') raw.readonly = false;
      else if (key === 'required') {
        requireTypes(raw, key, ['secret', 'ssh']);
        raw.required = true;
      } else throw new InstructionError(`invalid field '${field}' must be a key=value pair`);
      if (key !== 'required') readonlyAuto = false;
      continue;
    }
    const written = field.slice(eq + 1);
    if (key === 'from' && !expand && /\$./.test(written)) {
      throw new InstructionError(`'${key}' doesn't support variable expansion, define alias stage instead`);
    }
    if (!expand && written.includes('$') && key !== 'type') continue;
    const value = expand ? expand(written) : written;
    readonlyAuto = applyField(raw, key, field, value) && readonlyAuto;
  }
  return finishMount(raw, readonlyAuto);
}

/** Applies one key=value; returns false when it set read-only-ness explicitly. */
function applyField(raw: RawMount, key: string, field: string, value: string): boolean {
  switch (key) {
    case 'type': {
      const type = value.toLowerCase() as MountType;
      if (!MOUNT_TYPES.includes(type)) {
        throw new InstructionError(`unsupported mount type "${value}"${suggestion(value, MOUNT_TYPES)}`);
      }
      raw.type = type;
      return true;
    }
    case 'from': raw.from = value; return true;
    case 'source': case 'src': raw.source = value; return true;
    case 'target': case 'dst': case 'destination': raw.target = value; return true;
    case 'readonly': case 'ro': raw.readonly = parseBool(key, value); return false;
    case 'readwrite': case 'rw': raw.readonly = !parseBool(key, value); return false;
    case 'required':
      requireTypes(raw, key, ['secret', 'ssh']);
      raw.required = parseBool(key, value);
      return true;
    case 'size': {
      requireTypes(raw, key, ['tmpfs']);
      const size = ramInBytes(value);
      if (size === undefined) throw new InstructionError(`invalid value for ${key}: ${value}`);
      raw.size = size;
      return true;
    }
    case 'id': raw.id = value; return true;
    case 'sharing': {
      const sharing = value.toLowerCase() as Sharing;
      if (!SHARING.includes(sharing)) throw new InstructionError(`unsupported sharing value "${value}"${suggestion(value, SHARING)}`);
      raw.sharing = sharing;
      return true;
    }
    case 'mode': raw.mode = parseUint('mode', value, 8); return true;
    case 'uid': raw.uid = parseUint('uid', value, 10); return true;
    case 'gid': raw.gid = parseUint('gid', value, 10); return true;
    case 'env': raw.env = value; return true;
    default:
      throw new InstructionError(`unexpected key '${key}' in '${field}'${suggestion(key, ALL_KEYS)}`);
  }
}

/** Leaves optional fields out instead of present-but-undefined, so mounts compare and print cleanly. */
function compact<T extends object>(mount: T): T {
  return Object.fromEntries(Object.entries(mount).filter(([, v]) => v !== undefined)) as T;
}

function finishMount(raw: RawMount, readonlyAuto: boolean): RunMount {
  return compact(buildMount(raw, readonlyAuto));
}

function buildMount(raw: RawMount, readonlyAuto: boolean): RunMount {
  const fileInfoAllowed = raw.type === 'secret' || raw.type === 'ssh' || raw.type === 'cache';
  if (!fileInfoAllowed) {
    for (const key of ['mode', 'uid', 'gid'] as const) {
      if (raw[key] !== undefined) throw new InstructionError(`${key} not allowed for "${raw.type}" type mounts`);
    }
  }
  const readonly = readonlyAuto ? !(raw.type === 'cache' || raw.type === 'tmpfs') : raw.readonly === true;
  if (raw.sharing !== undefined && raw.type !== 'cache') {
    throw new InstructionError(raw.type === 'secret' ? 'secret mount should not define sharing' : `invalid cache sharing set for ${raw.type} mount`);
  }
  const target = raw.target ?? '';
  switch (raw.type) {
    case 'bind':
      return { type: 'bind', target, source: raw.source, from: raw.from, readwrite: !readonly };
    case 'cache':
      return {
        type: 'cache', target, id: raw.id, sharing: raw.sharing ?? 'shared', from: raw.from, source: raw.source,
        readonly, mode: raw.mode, uid: raw.uid, gid: raw.gid,
      };
    case 'tmpfs':
      return { type: 'tmpfs', target, size: raw.size };
    case 'secret':
      return secretMount(raw);
    case 'ssh':
      if (raw.source !== undefined && raw.source !== '') throw new InstructionError('ssh does not support source');
      return { type: 'ssh', id: raw.id || 'default', target: raw.target || undefined, required: raw.required, mode: raw.mode, uid: raw.uid, gid: raw.gid };
  }
}

/** A secret's id comes from `id`, else `source`, else the target's base name; its file defaults to /run/secrets/<id>. */
function secretMount(raw: RawMount): RunMount {
  if (raw.from !== undefined) throw new InstructionError('secret mount should not have a from');
  if (!raw.source && !raw.target && !raw.id) throw new InstructionError('invalid secret mount. one of source, target required');
  if (raw.source && raw.id) throw new InstructionError("both source and id can't be set");
  const id = raw.source || raw.id || baseName(raw.target ?? '');
  const target = raw.target || (raw.env === undefined ? `/run/secrets/${baseName(id)}` : undefined);
  return { type: 'secret', id, target, env: raw.env, required: raw.required, mode: raw.mode, uid: raw.uid, gid: raw.gid };
}

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
