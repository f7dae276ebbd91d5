/**
 * `docker import --change` / `docker commit --change`: Dockerfile instructions
 * applied to an image config. The changes are read as one Dockerfile (joined by
 * newlines: `\` continues a line, `#` starts a comment). Only the instructions
 * that change metadata are accepted: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
 * ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR. Pure; errors are InvalidArgument
 * worded `dockerfile parse error: …`.
 */
import { constants } from 'node:os';
import { posix } from 'node:path';
import type { OciImageConfig } from '../spec/oci-image.js';
import { EngineError, invalidArgument } from '../util/errors.js';
import { expandWord, splitRawWords } from './shell-words.js';

export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;
type ChangeInstruction = (typeof CHANGE_INSTRUCTIONS)[number];

const DEFAULT_SHELL = ['/bin/sh', '-c'];

function parseError(message: string): EngineError {
  return invalidArgument(`dockerfile parse error: ${message}`);
}

/** Returns a new config with `changes` applied to `base` (which is not modified). */
export function applyChanges(base: OciImageConfig, changes: readonly string[]): OciImageConfig {
  const config: OciImageConfig = structuredClone(base);
  let cmdSet = false;
  for (const line of logicalLines(changes.join('\n'))) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    const rest = (m[2] ?? '').trim();
    if (!(CHANGE_INSTRUCTIONS as readonly string[]).includes(keyword)) throw parseError(`unknown instruction: ${keyword}`);
    if (rest === '') throw parseError(`${keyword} requires at least one argument`);
    try {
      if (apply(config, keyword as ChangeInstruction, rest, cmdSet)) cmdSet = true;
    } catch (err) {
      if (err instanceof Error && !(err instanceof EngineError)) throw parseError(`${keyword}: ${err.message}`);
      throw err;
    }
  }
  return config;
}

/** Applies one instruction; returns true when it set CMD. */
function apply(config: OciImageConfig, keyword: ChangeInstruction, rest: string, cmdSet: boolean): boolean {
  const env = envMap(config.Env);
  switch (keyword) {
    case 'CMD':
      config.Cmd = commandOf(rest, config);
      return true;
    case 'ENTRYPOINT':
      config.Entrypoint = commandOf(rest, config);
      // As in a Dockerfile: a new entrypoint drops an inherited CMD unless one was set here.
      if (!cmdSet) delete config.Cmd;
      return false;
    case 'ENV':
      for (const [k, v] of nameValues(keyword, rest, env)) config.Env = setEnv(config.Env ?? [], k, v);
      return false;
    case 'LABEL':
      config.Labels ??= {};
      for (const [k, v] of nameValues(keyword, rest, env)) config.Labels[k] = v;
      return false;
    case 'EXPOSE':
      config.ExposedPorts ??= {};
      for (const word of splitRawWords(rest)) for (const port of portKeys(expandWord(word, env))) config.ExposedPorts[port] = {};
      return false;
    case 'VOLUME':
      config.Volumes ??= {};
      for (const path of jsonArray(rest) ?? splitRawWords(rest).map((w) => expandWord(w, env))) {
        if (path.trim() === '') throw parseError('VOLUME specified can not be an empty string');
        config.Volumes[path] = {};
      }
      return false;
    case 'USER':
      config.User = expandWord(rest, env);
      return false;
    case 'WORKDIR': {
      const dir = expandWord(rest, env);
      config.WorkingDir = posix.isAbsolute(dir) ? dir : posix.join('/', config.WorkingDir ?? '', dir);
      return false;
    }
    case 'STOPSIGNAL': {
      const signal = expandWord(rest, env);
      if (!isSignal(signal)) throw parseError(`Invalid signal: ${signal}`);
      config.StopSignal = signal;
      return false;
    }
    case 'ONBUILD': {
      const trigger = rest.split(/\s+/, 1)[0].toUpperCase();
      if (trigger === 'ONBUILD') throw parseError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'FROM' || trigger === 'MAINTAINER') throw parseError(`${trigger} isn't allowed as an ONBUILD trigger`);
      config.OnBuild = [...(config.OnBuild ?? []), rest];
      return false;
    }
  }
}

/** Joins `\`-continued lines and drops blank and comment lines. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue; // comments inside a continuation vanish
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    pending += line;
    out.push(pending);
    pending = '';
  }
  if (pending.trim() !== '') out.push(pending);
  return out;
}

/** Exec form (a JSON array of strings) as is; shell form wrapped in the shell. */
function commandOf(rest: string, config: OciImageConfig): string[] {
  return jsonArray(rest) ?? [...(config.Shell ?? DEFAULT_SHELL), rest];
}

/** A JSON array of strings, or undefined when `rest` is not one (then it is shell form). */
function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** `k=v k2="v 2"` pairs, or the legacy `KEY value words` form (one pair). */
function nameValues(keyword: string, rest: string, env: ReadonlyMap<string, string>): Array<[string, string]> {
  const words = splitRawWords(rest);
  if (!words[0].includes('=')) {
    const legacy = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!legacy) throw parseError(`${keyword} must have two arguments`);
    return [[expandWord(legacy[1], env), expandWord(legacy[2].trim(), env)]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw parseError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    const key = expandWord(word.slice(0, eq), env);
    if (key === '') throw parseError(`${keyword} names can not be blank`);
    return [key, expandWord(word.slice(eq + 1), env)];
  });
}

function envMap(list: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

function setEnv(list: string[], key: string, value: string): string[] {
  const entry = `${key}=${value}`;
  const at = list.findIndex((kv) => kv.slice(0, kv.indexOf('=')) === key);
  return at < 0 ? [...list, entry] : list.map((kv, i) => (i === at ? entry : kv));
}

/** `80`, `80/udp`, `8000-8002/tcp` → ExposedPorts keys. */
function portKeys(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(spec);
  const proto = (m?.[3] ?? 'tcp').toLowerCase();
  const start = Number(m?.[1]);
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  if (!m || start < 1 || end > 65535 || end < start) throw parseError(`invalid containerPort: ${spec}`);
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw parseError(`invalid proto: ${proto}`);
  const keys: string[] = [];
  for (let p = start; p <= end; p++) keys.push(`${p}/${proto}`);
  return keys;
}

function isSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) >= 1 && Number(s) <= 64;
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  return name in constants.signals || /^SIGRTM(IN|AX)([+-]\d+)?$/.test(name);
}
