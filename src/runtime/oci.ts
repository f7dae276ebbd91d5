import { readFile } from 'node:fs/promises';
import { ExecError, execFileText } from '../util/exec.js';
import { EngineError, hasCode, type ErrorKind } from '../util/errors.js';
import type { OciState } from '../spec/oci-runtime.js';

/**
 * A thin wrapper around one OCI runtime binary (crun or runc: same command line).
 * Every call passes berth's own `--root`, so berth never sees or touches the
 * containers of another engine on the host. `create` is not here: conmon runs it.
 */
export interface OciBinary {
  /** The name users pick it by (`--runtime crun`). */
  name: string;
  path: string;
  /** The runtime's state directory, under berth's exec root. */
  root: string;
}

const CALL_TIMEOUT_MS = 30_000;

/** Global flags conmon must pass before `create` so the runtime's errors land in `logFile` as JSON lines. */
export function createRuntimeArgs(rt: OciBinary, logFile: string): string[] {
  return [`--root=${rt.root}`, '--log-format=json', `--log=${logFile}`];
}

/**
 * The runtime's own words from its stderr or its JSON log: crun prints plain lines
 * or `{"msg": ...}`, runc prints logrus (`level=error msg="..."`) or `{"msg": ...}`.
 */
export function runtimeMessage(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const msgs = lines.map((line) => {
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line) as { msg?: unknown; level?: unknown };
        if (typeof j.msg === 'string') return { msg: j.msg, level: String(j.level ?? 'error') };
      } catch {
        // not JSON after all: keep the line
      }
    }
    const logrus = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (logrus) return { msg: logrus[2].replace(/\\(.)/g, '$1'), level: logrus[1] };
    return { msg: line, level: 'error' };
  });
  const errors = msgs.filter((m) => m.level === 'error' || m.level === 'fatal');
  return (errors.length ? errors : msgs).map((m) => m.msg).join('; ');
}

/** The runtime's error lines from its `--log` file; empty when there is none. */
export async function readRuntimeLog(logFile: string): Promise<string> {
  try {
    return runtimeMessage(await readFile(logFile, 'utf8'));
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return '';
    throw err;
  }
}

/**
 * True when the runtime says the container is unknown to it: runc says "container
 * does not exist"; crun fails to open the container's directory under its root.
 */
const isMissing = (rt: OciBinary, text: string): boolean =>
  /container does not exist/i.test(text) || (text.includes(rt.root) && /No such file or directory/.test(text));

function runtimeError(rt: OciBinary, verb: string, id: string, err: unknown): EngineError {
  if (!(err instanceof ExecError)) return new EngineError('Internal', `${rt.name} ${verb} ${id}: ${String(err)}`, { cause: err });
  const text = runtimeMessage(err.stderr || err.stdout) || err.message;
  let kind: ErrorKind = 'Internal';
  if (isMissing(rt, text)) kind = 'NotFound';
  else if (/not running|is running|is paused|not paused|not stopped|No such process|cannot (kill|delete|start)|already/i.test(text)) kind = 'Conflict';
  return new EngineError(kind, `OCI runtime ${verb} failed: ${rt.name}: ${text}`, { cause: err });
}

async function call(rt: OciBinary, verb: string, id: string, args: string[]): Promise<string> {
  try {
    const r = await execFileText(rt.path, [`--root=${rt.root}`, ...args], { timeoutMs: CALL_TIMEOUT_MS });
    return r.stdout;
  } catch (err) {
    throw runtimeError(rt, verb, id, err);
  }
}

export async function ociStart(rt: OciBinary, id: string): Promise<void> {
  await call(rt, 'start', id, ['start', id]);
}

/** `signal` is a number: names are resolved by the caller, which knows the valid set. */
export async function ociKill(rt: OciBinary, id: string, signal: number, all = false): Promise<void> {
  await call(rt, 'kill', id, ['kill', ...(all ? ['--all'] : []), id, String(signal)]);
}

/** Resolves quietly when the runtime no longer knows the container. */
export async function ociDelete(rt: OciBinary, id: string, force: boolean): Promise<void> {
  try {
    await call(rt, 'delete', id, ['delete', ...(force ? ['--force'] : []), id]);
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'NotFound') return;
    throw err;
  }
}

/** null when the runtime does not know the container. */
export async function ociState(rt: OciBinary, id: string): Promise<OciState | null> {
  try {
    return JSON.parse(await call(rt, 'state', id, ['state', id])) as OciState;
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'NotFound') return null;
    throw err;
  }
}

export async function ociPause(rt: OciBinary, id: string): Promise<void> {
  await call(rt, 'pause', id, ['pause', id]);
}

export async function ociResume(rt: OciBinary, id: string): Promise<void> {
  await call(rt, 'resume', id, ['resume', id]);
}

/** Applies the OCI `linux.resources` in `resourcesFile` to a created, running or paused container. */
export async function ociUpdate(rt: OciBinary, id: string, resourcesFile: string): Promise<void> {
  await call(rt, 'update', id, ['update', `--resources=${resourcesFile}`, id]);
}
