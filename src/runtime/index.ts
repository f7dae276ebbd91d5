/**
 * runtime/: OCI runtime specs, and containers run through conmon + crun or runc.
 * The folder's only entrance.
 *
 * On disk, under `<execRoot>/runtime/`:
 * - `exits/<id>`: exit codes written by conmon (watched with inotify);
 * - `state/<runtime>/`: the runtimes' `--root`, private to berth;
 * - `<id>/`: per container: `conmon.pid`, `pidfile` (init pid), `runtime.log` (the
 *   runtime's JSON log), `runtime` (its name), `exit` and `oom` (conmon's persist dir).
 * In the bundle directory conmon adds `attach`, `ctl` and `winsz` (see conmonBundleFiles).
 */
import { access, mkdir } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';
import { ensureCgroupsUsable } from './cgroups.js';
import { ExitWatcher } from './exits.js';
import type { OciBinary } from './oci.js';
import { ConmonRuntime, type Runtime } from './runtime.js';

export { buildSpec, DEFAULT_SHM_SIZE, type ContainerSpecInput } from './spec.js';
export { hostResources, parseCpuList, toOciResources, type HostResources, type ResourceLimits } from './resources.js';
export { hostLimits, parseProcLimits, type HostLimits, type Limit, type Ulimit } from './rlimits.js';
export { parseSeccompProfile, seccompForContainer, type SeccompProfile } from './seccomp.js';
export { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
export { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, resolveCapabilities } from './caps.js';
export { parseCgroupLayout, type CgroupLayout, type CgroupMode } from './cgroups.js';
export { readLog, parseLogLine, type LogRecord, type ReadLogOptions } from './logs.js';
export { conmonBundleFiles } from './conmon.js';
export { BACKSTOP_BYTES, LogRotator, keptPath, type RotationTarget } from './log-rotation.js';
export { connectAttachSocket, resizeTerminal, type AttachSocket } from './attach-socket.js';
export type { ExecOptions, ExecSession } from './exec.js';
export type { RunOnceOptions } from './run-once.js';
export { cgroupPids, psTable } from './top.js';
export { parseNetDev, sampleCgroup, type CgroupSample, type NetworkCounters } from './stats.js';
export type { CreateOptions, ProbeResult, Runtime, RuntimeStatus } from './runtime.js';
export type { ExitListener } from './exits.js';

export interface RuntimeConfig {
  /** The daemon's run directory, e.g. /run/berth; this module owns `<execRoot>/runtime/`. */
  execRoot: string;
  /** Default 'crun'; becomes 'runc' with a warning when the host's cgroups keep crun from working. */
  defaultRuntime?: string;
  /** name → binary; merged over crun → /usr/bin/crun and runc → /usr/sbin/runc (built-ins that are absent are skipped). */
  runtimes?: Record<string, string>;
  conmonPath?: string;
  /** conmon's log level: debug, info, warn or error (default). */
  logLevel?: string;
  /** How long create waits for conmon's answer; default 60 s. */
  createTimeoutMs?: number;
  /** fsync each container's log before its exit is reported (conmon's default); default false. */
  syncLogs?: boolean;
}

const BUILT_IN: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/sbin/runc' };

const executable = (path: string): Promise<boolean> => access(path, fsConstants.X_OK).then(() => true, () => false);

/** A crun binary, by name or file name; only crun trips over hybrid cgroups. */
const isCrun = (rt: OciBinary): boolean => rt.name === 'crun' || basename(rt.path) === 'crun';

/**
 * Checks the host and prepares `<execRoot>/runtime/`. Makes a hybrid-cgroup host
 * usable by crun (see cgroups.ts); when that fails it warns and, if crun was to be
 * the default and runc is available, makes runc the default instead.
 */
export async function openRuntime(cfg: RuntimeConfig): Promise<Runtime> {
  if (!isAbsolute(cfg.execRoot)) throw invalidArgument(`exec root must be an absolute path: "${cfg.execRoot}"`);
  const base = join(cfg.execRoot, 'runtime');
  const binaries = new Map<string, OciBinary>();
  for (const [name, path] of Object.entries({ ...BUILT_IN, ...cfg.runtimes })) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw invalidArgument(`invalid runtime name "${name}"`);
    if (!(await executable(path))) {
      if (cfg.runtimes?.[name] !== undefined) throw invalidArgument(`runtime "${name}": ${path} is not an executable file`);
      continue;
    }
    binaries.set(name, { name, path, root: join(base, 'state', name) });
  }
  let defaultRuntime = cfg.defaultRuntime ?? 'crun';
  if (!binaries.has(defaultRuntime)) {
    throw invalidArgument(`default runtime "${defaultRuntime}" is not available (found: ${[...binaries.keys()].join(', ') || 'none'})`);
  }
  const conmonPath = cfg.conmonPath ?? '/usr/bin/conmon';
  if (!(await executable(conmonPath))) throw invalidArgument(`conmon not found at ${conmonPath}`);

  await Promise.all([
    mkdir(join(base, 'exits'), { recursive: true }),
    ...[...binaries.values()].map((b) => mkdir(b.root, { recursive: true })),
  ]);

  const cgroups = await ensureCgroupsUsable();
  if (cgroups.mounted.length) log.info('bound cgroup controllers to v1 so crun can run containers', { controllers: cgroups.mounted });
  if (cgroups.crunBlocker) {
    const crunDefault = isCrun(binaries.get(defaultRuntime)!);
    const runc = binaries.get('runc');
    if (crunDefault && runc) {
      log.warn(`crun cannot run containers here: ${cgroups.crunBlocker}; using runc as the default runtime`);
      defaultRuntime = runc.name;
    } else {
      log.warn(`crun cannot run containers here: ${cgroups.crunBlocker}`);
    }
  }

  const exits = new ExitWatcher(join(base, 'exits'));
  exits.start();
  return new ConmonRuntime(
    {
      base,
      binaries,
      defaultRuntime,
      conmonPath,
      logLevel: cfg.logLevel ?? 'error',
      createTimeoutMs: cfg.createTimeoutMs ?? 60_000,
      syncLogs: cfg.syncLogs ?? false,
    },
    exits,
  );
}
