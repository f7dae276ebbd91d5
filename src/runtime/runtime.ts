import { constants as osConstants } from 'node:os';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EngineError, hasCode, invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';
import type { OciResources, OciRuntimeSpec } from '../spec/oci-runtime.js';
import { cgroupOomKills } from './oom.js';
import { liftPidsLimit } from './resources.js';
import { liveConmonPid, runConmon } from './conmon.js';
import { SeccompFilterCache } from './seccomp-cache.js';
import { ExitWatcher, ID_PATTERN, readExitFile, type ExitListener } from './exits.js';
import { startExec, type ExecOptions, type ExecSession } from './exec.js';
import { runOnce, type RunOnceOptions } from './run-once.js';
import {
  createRuntimeArgs, ociDelete, ociKill, ociPause, ociResume, ociStart, ociState, ociUpdate, readRuntimeLog, type OciBinary,
} from './oci.js';

export interface CreateOptions {
  id: string;
  /** The bundle directory: config.json is written here; conmon also puts `attach`, `ctl` and `winsz` here. */
  bundleDir: string;
  spec: OciRuntimeSpec;
  /** conmon's k8s-file log; its directory is created if needed. */
  logPath: string;
  /** conmon replaces the log with an empty file when it would pass this size (see log-rotation.ts). */
  logSizeMax?: number;
  /** A name from `Runtime.names`; the default runtime otherwise. Remembered for later calls on this id. */
  runtime?: string;
  /** Keep a stdin pipe open to the container (Docker's OpenStdin). */
  stdin?: boolean;
  /** Close stdin when the first attached client leaves (Docker's StdinOnce). */
  stdinOnce?: boolean;
}

export type RuntimeStatus = 'created' | 'running' | 'stopped' | 'paused';

export interface ProbeResult {
  /** The container's conmon is still running: the container may be too, and its exit will be reported. */
  conmonAlive: boolean;
  conmonPid: number | null;
  /** From conmon's exit file; null while the container runs, or if conmon died without writing it. */
  exitCode: number | null;
  /** The container's init pid as the runtime recorded it. */
  pid: number | null;
  /** conmon saw the kernel's OOM killer act in the container's cgroup. */
  oomKilled: boolean;
  runtime: string;
}

/**
 * Runs containers through conmon and an OCI runtime. Lifecycle of one id:
 * create (conmon runs `<runtime> create`; the process waits) → start → the process
 * exits (listeners of onExit hear it once, after its output is in the log) →
 * delete. kill/pause/resume act in between; state/probe/exitCode read at any time.
 * Containers outlive the daemon: a new Runtime on the same exec root finds them
 * with probe(). Calls on one id are not serialized here: the container layer
 * owns the state machine and calls one verb at a time.
 */
export interface Runtime {
  readonly names: string[];
  readonly defaultRuntime: string;
  create(o: CreateOptions): Promise<{ pid: number }>;
  start(id: string, runtime?: string): Promise<void>;
  /** `signal`: a number, or a name with or without SIG (`TERM`, `SIGKILL`). */
  kill(id: string, signal: string | number, runtime?: string): Promise<void>;
  /** Removes the runtime's record and berth's per-container files; quiet if already gone. `force` kills a live container first. */
  delete(id: string, runtime?: string, opts?: { force?: boolean }): Promise<void>;
  state(id: string, runtime?: string): Promise<{ status: RuntimeStatus; pid: number } | null>;
  pause(id: string, runtime?: string): Promise<void>;
  resume(id: string, runtime?: string): Promise<void>;
  /** Changes the cgroup limits of a created, running or paused container (`<runtime> update`); a pids limit of -1 lifts it. */
  update(id: string, resources: OciResources, runtime?: string): Promise<void>;
  /**
   * Whether the kernel's OOM killer acted in the container: conmon's `oom` file or the
   * memory cgroup's count. Only meaningful between the exit and delete.
   */
  oomKilled(id: string, cgroupsPath: string): Promise<boolean>;
  exitCode(id: string): Promise<number | null>;
  onExit(listener: ExitListener): () => void;
  probe(id: string): Promise<ProbeResult>;
  /** Runs a further process in a running container under its own conmon (see exec.ts). */
  exec(o: ExecOptions): Promise<ExecSession>;
  /** Runs a short-lived container in the foreground without conmon (see run-once.ts); resolves with its exit code. */
  runOnce(o: RunOnceOptions & { runtime?: string }): Promise<number>;
  /** Stops watching for exits. Containers and their conmons keep running. */
  close(): void;
}

export interface RuntimeSettings {
  /** `<execRoot>/runtime`: berth's runtime directory. */
  base: string;
  binaries: Map<string, OciBinary>;
  defaultRuntime: string;
  conmonPath: string;
  logLevel: string;
  createTimeoutMs: number;
  syncLogs: boolean;
}

/** Names under `base` that are not container directories. */
export const RESERVED = new Set(['exits', 'state', 'seccomp-cache']);
const DRAIN_WAIT_MS = 10_000;

export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || RESERVED.has(id)) {
    throw invalidArgument(`invalid container id "${id}": use letters, digits, "_" and "-" (at most 128)`);
  }
}

function signalNumber(signal: string | number): number {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (Number.isInteger(n) && n > 0 && n <= 64) return n;
  } else {
    const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
    const n = (osConstants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw invalidArgument(`invalid signal: ${signal}`);
}

export class ConmonRuntime implements Runtime {
  readonly names: string[];
  readonly defaultRuntime: string;
  private readonly exitDir: string;
  private readonly filters: SeccompFilterCache;

  constructor(private readonly s: RuntimeSettings, private readonly exits: ExitWatcher) {
    this.names = [...s.binaries.keys()];
    this.defaultRuntime = s.defaultRuntime;
    this.exitDir = join(s.base, 'exits');
    this.filters = new SeccompFilterCache(join(s.base, 'seccomp-cache'));
  }

  private dir(id: string): string {
    return join(this.s.base, id);
  }

  private binary(name: string): OciBinary {
    const rt = this.s.binaries.get(name);
    if (!rt) throw invalidArgument(`unknown runtime "${name}" (configured: ${this.names.join(', ')})`);
    return rt;
  }

  /** The runtime named by the caller, else the one the container was created with, else the default. */
  private async pick(id: string, runtime?: string): Promise<OciBinary> {
    checkId(id);
    if (runtime) return this.binary(runtime);
    try {
      const recorded = (await readFile(join(this.dir(id), 'runtime'), 'utf8')).trim();
      return this.binary(recorded || this.s.defaultRuntime); // empty: a crash cut the write short
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return this.binary(this.s.defaultRuntime);
      throw err;
    }
  }

  async create(o: CreateOptions): Promise<{ pid: number }> {
    checkId(o.id);
    const rt = this.binary(o.runtime ?? this.s.defaultRuntime);
    const dir = this.dir(o.id);
    const runtimeLog = join(dir, 'runtime.log');
    await this.replaceLeftover(o.id);
    await Promise.all([rm(dir, { recursive: true, force: true }), rm(join(this.exitDir, o.id), { force: true })]);
    this.exits.rearm(o.id);
    await Promise.all([
      mkdir(dir, { recursive: true }),
      mkdir(o.bundleDir, { recursive: true }),
      mkdir(dirname(o.logPath), { recursive: true }),
    ]);
    // Written fresh for every create and read only by the runtime right after, so a
    // rename (never a half file) suffices; an fsync would only slow the start down.
    const filterKey = await this.filters.keyFor(rt, o.spec);
    const { spec, hit } = filterKey ? await this.filters.attach(filterKey, o.spec) : { spec: o.spec, hit: false };
    const tmp = join(o.bundleDir, `.config.json-${randomBytes(4).toString('hex')}`);
    await Promise.all([writeFile(tmp, JSON.stringify(spec)), writeFile(join(dir, 'runtime'), rt.name)]);
    await rename(tmp, join(o.bundleDir, 'config.json'));

    const outcome = await runConmon({
      conmonPath: this.s.conmonPath,
      runtimePath: rt.path,
      runtimeArgs: createRuntimeArgs(rt, runtimeLog),
      id: o.id,
      bundleDir: o.bundleDir,
      pidFile: join(dir, 'pidfile'),
      conmonPidFile: join(dir, 'conmon.pid'),
      exitDir: this.exitDir,
      persistDir: dir,
      socketDir: dir,
      logPath: o.logPath,
      logSizeMax: o.logSizeMax,
      logLevel: this.s.logLevel,
      terminal: o.spec.process.terminal,
      stdin: o.stdin === true,
      leaveStdinOpen: o.stdinOnce !== true,
      syncLog: this.s.syncLogs,
      timeoutMs: this.s.createTimeoutMs,
    });
    if (outcome.ok) {
      if (filterKey && !hit) await this.filters.remember(filterKey, rt, o.id);
      return { pid: outcome.pid };
    }

    const detail = (await readRuntimeLog(runtimeLog)) || outcome.message || 'no error message from the runtime or conmon';
    await this.discard(rt, o.id);
    throw new EngineError('Internal', `OCI runtime create failed: ${rt.name}: ${detail}`);
  }

  /**
   * A directory from an earlier container with this id means it was never deleted:
   * refuse while its conmon lives; otherwise drop the runtime's record of it, so the
   * new create neither fails on "already exists" nor leaves the old one behind.
   */
  private async replaceLeftover(id: string): Promise<void> {
    const dir = this.dir(id);
    if (!(await stat(dir).then(() => true, () => false))) return;
    if ((await liveConmonPid(join(dir, 'conmon.pid'), id)) !== null) {
      throw new EngineError('Conflict', `container ${id} already exists and is still monitored by its conmon`);
    }
    await ociDelete(await this.pick(id), id, true);
  }

  /** After a failed create: stop a stuck conmon, drop whatever the runtime kept, remove our files. */
  private async discard(rt: OciBinary, id: string): Promise<void> {
    const conmon = await liveConmonPid(join(this.dir(id), 'conmon.pid'), id);
    if (conmon !== null) {
      try {
        process.kill(conmon, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await ociDelete(rt, id, true).catch((err: Error) => log.warn('cleanup after failed create', { id, error: err.message }));
    await Promise.all([rm(this.dir(id), { recursive: true, force: true }), rm(join(this.exitDir, id), { force: true })]);
  }

  async start(id: string, runtime?: string): Promise<void> {
    await ociStart(await this.pick(id, runtime), id);
  }

  async kill(id: string, signal: string | number, runtime?: string): Promise<void> {
    const n = signalNumber(signal);
    await ociKill(await this.pick(id, runtime), id, n);
  }

  async delete(id: string, runtime?: string, opts: { force?: boolean } = {}): Promise<void> {
    const rt = await this.pick(id, runtime);
    const conmonPidFile = join(this.dir(id), 'conmon.pid');
    const conmon = await liveConmonPid(conmonPidFile, id);
    await ociDelete(rt, id, opts.force === true);
    if (conmon !== null) {
      // conmon writes the exit file after draining the output; removing our files
      // before that would leave a stale exit file and a late exit report.
      const code = await this.exits.waitFor(id, DRAIN_WAIT_MS);
      if (code === null && (await liveConmonPid(conmonPidFile, id)) !== null) {
        log.warn('conmon did not finish after its container was deleted; killing it', { id, pid: conmon });
        try {
          process.kill(conmon, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    await Promise.all([rm(this.dir(id), { recursive: true, force: true }), rm(join(this.exitDir, id), { force: true })]);
    this.exits.rearm(id);
  }

  async state(id: string, runtime?: string): Promise<{ status: RuntimeStatus; pid: number } | null> {
    const st = await ociState(await this.pick(id, runtime), id);
    if (!st) return null;
    const status: RuntimeStatus = st.status === 'creating' ? 'created' : st.status;
    return { status, pid: st.pid };
  }

  async pause(id: string, runtime?: string): Promise<void> {
    await ociPause(await this.pick(id, runtime), id);
  }

  async resume(id: string, runtime?: string): Promise<void> {
    await ociResume(await this.pick(id, runtime), id);
  }

  async update(id: string, resources: OciResources, runtime?: string): Promise<void> {
    const rt = await this.pick(id, runtime);
    const { pids, ...rest } = resources;
    const lift = pids !== undefined && pids.limit <= 0;
    const file = join(this.dir(id), `resources-${randomBytes(4).toString('hex')}.json`);
    await writeFile(file, JSON.stringify(lift ? rest : resources));
    try {
      await ociUpdate(rt, id, file);
    } finally {
      await rm(file, { force: true });
    }
    if (lift) {
      const st = await ociState(rt, id);
      if (st && st.pid > 0) await liftPidsLimit(st.pid);
    }
  }

  async oomKilled(id: string, cgroupsPath: string): Promise<boolean> {
    checkId(id);
    const [conmonSaw, kills] = await Promise.all([
      readFile(join(this.dir(id), 'oom')).then(() => true, () => false),
      cgroupOomKills(cgroupsPath),
    ]);
    return conmonSaw || kills > 0;
  }

  async exitCode(id: string): Promise<number | null> {
    checkId(id);
    return readExitFile(join(this.exitDir, id));
  }

  onExit(listener: ExitListener): () => void {
    return this.exits.on(listener);
  }

  async probe(id: string): Promise<ProbeResult> {
    const rt = await this.pick(id);
    const dir = this.dir(id);
    const [conmon, exitCode, pidText, oom] = await Promise.all([
      liveConmonPid(join(dir, 'conmon.pid'), id),
      readExitFile(join(this.exitDir, id)),
      readFile(join(dir, 'pidfile'), 'utf8').catch(() => ''),
      readFile(join(dir, 'oom')).then(() => true, () => false),
    ]);
    const pid = Number.parseInt(pidText.trim(), 10);
    return { conmonAlive: conmon !== null, conmonPid: conmon, exitCode, pid: pid > 0 ? pid : null, oomKilled: oom, runtime: rt.name };
  }

  async exec(o: ExecOptions): Promise<ExecSession> {
    const rt = await this.pick(o.containerId);
    return startExec({ conmonPath: this.s.conmonPath, runtime: rt, logLevel: this.s.logLevel }, o);
  }

  /**
   * A foreground run (build steps). A seccomp filter kept by an earlier create
   * is handed over; `run` deletes its state as the process ends, so a filter it
   * compiles is not kept.
   */
  async runOnce(o: RunOnceOptions & { runtime?: string }): Promise<number> {
    checkId(o.id);
    const rt = this.binary(o.runtime ?? this.s.defaultRuntime);
    const key = await this.filters.keyFor(rt, o.spec);
    const spec = key ? (await this.filters.attach(key, o.spec)).spec : o.spec;
    return runOnce(rt, { ...o, spec });
  }

  close(): void {
    this.exits.close();
  }
}
