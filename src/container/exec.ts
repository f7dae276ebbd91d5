import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, EngineError, notFound } from '../util/errors.js';
import { newId } from '../util/ids.js';
import { log } from '../util/log.js';
import type { OciRuntimeSpec, OciProcess } from '../spec/oci-runtime.js';
import { ALL_CAPABILITIES, type AttachSocket, type ExecOptions, type ExecSession } from '../runtime/index.js';
import type { ContainerRecord } from './record.js';
import { isRunningStatus } from './record.js';
import { resolveUser } from './user.js';
import { killTree } from '../util/process-tree.js';
import { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys } from '../util/detach-keys.js';

/** POST /containers/{id}/exec's body, as Docker defines it. */
export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecServiceOptions {
  execRoot: string;
  /** The container service's lookup: throws NotFound "No such container: x". */
  find: (ref: string) => ContainerRecord;
  exec: (o: ExecOptions) => Promise<ExecSession>;
  onEvent?: (action: string, rec: ContainerRecord, attributes: Record<string, string>) => void;
}

interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecCreateBody & { Cmd: string[] };
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  session?: ExecSession;
  /** The caller gave up on it (a probe's timeout): kill the process as soon as it has a pid. */
  abandoned?: boolean;
}

/** Where the output of an exec goes, and its stdin comes from. */
export interface ExecStreams {
  /** The process's stdin; its end closes the process's stdin. */
  input?: NodeJS.ReadableStream;
  /** Output, with Docker's numbering (1 stdout, 2 stderr). */
  write: (stream: 1 | 2, data: Buffer) => void;
}

/** How long to wait for conmon to close the attach socket once the process has exited. */
const DRAIN_MS = 2_000;

/**
 * Exec instances (Docker keeps them in memory, and so do we): created against a
 * running container, started once, then inspectable for their exit code. Each
 * runs as its own conmon session; see runtime/exec.ts.
 */
export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(private readonly o: ExecServiceOptions) {}

  create(ref: string, body: ExecCreateBody): { Id: string } {
    const rec = this.o.find(ref);
    if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status === 'restarting') throw conflict(`Container ${rec.id} is restarting, wait until the container is running`);
    if (!isRunningStatus(rec.state.status)) throw conflict(`container ${rec.id} is not running`);
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0) throw new EngineError('InvalidArgument', 'No exec command specified');
    if (body.DetachKeys) {
      try {
        parseDetachKeys(body.DetachKeys);
      } catch {
        throw new EngineError('InvalidArgument', `Invalid escape keys (${body.DetachKeys}) provided`);
      }
    }
    this.forgetOrphans();
    const id = newId();
    this.execs.set(id, { id, containerId: rec.id, config: { ...body, Cmd: body.Cmd }, running: false, exitCode: null, pid: 0, started: false });
    this.o.onEvent?.(`exec_create: ${body.Cmd.join(' ')}`, rec, { execID: id });
    return { Id: id };
  }

  /** Finished execs of removed containers go (Docker drops them with their container). */
  private forgetOrphans(): void {
    for (const [id, e] of this.execs) {
      if (e.running) continue;
      try {
        this.o.find(e.containerId);
      } catch {
        this.execs.delete(id);
      }
    }
  }

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /** Docker's GET /exec/{id}/json. */
  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const [entrypoint, ...args] = e.config.Cmd;
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.config.Tty === true, entrypoint, arguments: args, privileged: e.config.Privileged === true, user: e.config.User ?? '' },
      OpenStdin: e.config.AttachStdin === true,
      OpenStdout: e.config.AttachStdout === true,
      OpenStderr: e.config.AttachStderr === true,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  /** Whether the exec was created with a terminal (decides raw or multiplexed output). */
  tty(id: string): boolean {
    return this.get(id).config.Tty === true;
  }

  /**
   * Runs the exec. Detached: resolves once the process runs. Attached: resolves
   * when the process has exited and its output was written. A command that
   * cannot run throws, with the exit code (126/127) recorded on the instance.
   */
  async start(id: string, o: { detach: boolean; tty?: boolean; streams?: ExecStreams }): Promise<void> {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.o.find(e.containerId);
    if (!isRunningStatus(rec.state.status)) throw conflict(`container ${rec.id} is not running`);
    e.started = true;
    e.running = true;
    const attach = !o.detach && o.streams !== undefined;
    const dir = join(this.o.execRoot, 'exec', id.slice(0, 16));
    let session: ExecSession;
    try {
      const proc = await this.processFor(rec, e.config, o.tty ?? e.config.Tty === true);
      session = await this.o.exec({ containerId: rec.id, execId: id, dir, process: proc, attach, stdin: attach && e.config.AttachStdin === true });
    } catch (err) {
      e.running = false;
      e.exitCode = (err as { exitCode?: number }).exitCode ?? 126;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    e.session = session;
    e.pid = session.pid;
    if (e.abandoned) killProcess(e.pid);
    this.o.onEvent?.(`exec_start: ${e.config.Cmd.join(' ')}`, rec, { execID: id });
    const finished = session.exited.then(async (code) => {
      e.exitCode = code;
      e.running = false;
      this.o.onEvent?.('exec_die', rec, { execID: id, exitCode: String(code) });
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    });
    if (!attach || !session.io || !o.streams) return;
    // On a terminal the detach keys end the session for the client; the process runs on.
    const detachKeys = (o.tty ?? e.config.Tty === true) ? parseDetachKeys(e.config.DetachKeys || DEFAULT_DETACH_KEYS) : undefined;
    if ((await pipeSession(session.io, o.streams, session.exited, detachKeys)) === 'detached') return;
    await finished;
  }

  /**
   * Runs a command in a running container to its end, stdout and stderr going
   * to `output` together (healthcheck probes). After `timeoutMs` the process is
   * killed and the result says `timedOut`. Throws when the command cannot run.
   * The instance is forgotten once the process has ended.
   */
  async run(ref: string, cmd: string[], o: { timeoutMs: number; output: { write(data: Buffer): void } }): Promise<{ exitCode: number; timedOut: boolean }> {
    const { Id } = this.create(ref, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const e = this.get(Id);
    const done = this.start(Id, { detach: false, tty: false, streams: { write: (_stream, data) => o.output.write(data) } }).then(() => e.exitCode ?? 255);
    void done.then(() => this.execs.delete(Id), () => this.execs.delete(Id));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.timeoutMs)));
    try {
      const outcome = await Promise.race([done, timeout]);
      if (outcome !== 'timeout') return { exitCode: outcome, timedOut: false };
    } finally {
      clearTimeout(timer);
    }
    e.abandoned = true;
    if (e.pid) killProcess(e.pid);
    done.catch(() => undefined);
    return { exitCode: -1, timedOut: true };
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    const e = this.get(id);
    if (!e.session) throw conflict(`Exec ${id} is not running`);
    await e.session.resize(rows, cols);
  }

  /** The process spec: the container's own (caps, rlimits, env) with the exec's command, user, dir and env over it. */
  private async processFor(rec: ContainerRecord, cfg: ExecInstance['config'], tty: boolean): Promise<OciProcess> {
    const spec = JSON.parse(await readFile(join(this.o.execRoot, 'bundles', rec.id, 'config.json'), 'utf8')) as OciRuntimeSpec;
    const base = spec.process;
    const env = [...base.env];
    for (const kv of [...(cfg.Env ?? []), ...(tty ? ['TERM=xterm'] : [])]) {
      const key = kv.split('=')[0];
      const at = env.findIndex((x) => x.split('=')[0] === key);
      if (kv.startsWith('TERM=') && tty && at >= 0 && !(cfg.Env ?? []).includes(kv)) continue;
      if (at >= 0) env[at] = kv;
      else env.push(kv);
    }
    let user = base.user;
    if (cfg.User) {
      const u = await resolveUser(spec.root?.path ?? '', cfg.User, []);
      user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    }
    const proc: OciProcess = { ...base, args: cfg.Cmd, env, cwd: cfg.WorkingDir || base.cwd, user, terminal: tty };
    if (cfg.Privileged) {
      const all = await hostCapabilities();
      proc.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
    }
    if (tty && cfg.ConsoleSize?.[0] && cfg.ConsoleSize[1]) {
      (proc as OciProcess & { consoleSize?: unknown }).consoleSize = { height: cfg.ConsoleSize[0], width: cfg.ConsoleSize[1] };
    }
    return proc;
  }
}

/** Kills a probe and whatever it started (a shell's children would outlive it). */
function killProcess(pid: number): void {
  void killTree(pid).catch(() => undefined);
}

/** Every capability the daemon itself may hand on (root here lacks some, e.g. CAP_SYS_RESOURCE). */
async function hostCapabilities(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8');
  const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  return ALL_CAPABILITIES.filter((_, bit) => (bnd >> BigInt(bit)) & 1n);
}

/**
 * Copies the session's output to the caller and the caller's input to the
 * session. Ends when conmon closes the socket, or a little after the exit when
 * a process left behind keeps the socket open, or ("detached") when the input
 * carries `detachKeys`.
 */
async function pipeSession(io: AttachSocket, streams: ExecStreams, exited: Promise<number>, detachKeys?: Buffer): Promise<'detached' | 'ended'> {
  io.onData((stream, data) => streams.write(stream, data));
  const input = streams.input;
  const watcher = detachKeys?.length ? new DetachWatcher(detachKeys) : undefined;
  let detach: () => void = () => undefined;
  const detached = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')));
  const onInput = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!watcher) return void io.write(data);
    const seen = watcher.feed(data);
    if (seen.forward.length) io.write(seen.forward);
    if (seen.detach) detach();
  };
  const onEnd = () => io.endInput();
  if (input) {
    input.on('data', onInput);
    input.once('end', onEnd);
    input.on('error', () => undefined);
    input.resume(); // a paused stream stays paused when a 'data' listener is added
  }
  const closed = new Promise<'ended'>((resolve) => io.onClose(() => resolve('ended')));
  const drained = exited.then(() => new Promise<'ended'>((r) => setTimeout(() => r('ended'), DRAIN_MS).unref()));
  const how = await Promise.race([closed, drained, detached]);
  if (input) {
    input.off('data', onInput);
    input.off('end', onEnd);
  }
  io.close();
  log.debug('exec output finished', { how });
  return how;
}
