import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { EngineError, messageOf } from '../util/errors.js';
import { log } from '../util/log.js';
import type { ContainerRecord } from './record.js';
import { nowRfc3339Nano } from './record.js';
import type { ContainerImages, ContainerRuntime, SpecInput } from './ports.js';
import { resolveUser } from './user.js';
import { writeEtcFiles } from './etc-files.js';
import { type ContainerVolumes, prepareMounts, releaseMounts } from './mounts.js';
import { isRunningStatus } from './record.js';
import { parseSecurityOpts } from './security-opts.js';
import { applyInit, wantsInit, type InitOptions } from './init.js';
import { resourceLimits } from './limits.js';
import { rotationOf } from './log-config.js';
import { BACKSTOP_BYTES, LogRotator, conmonBundleFiles } from '../runtime/index.js';
import { needsEndpoint, resolveExtraHosts, type AttachedNetwork, type NetworkAttach } from './network-attach.js';

/** How long a prepared (created in the runtime, not started) container may wait for its start. */
const PREPARED_TTL_MS = 30_000;

const ms = (x: number) => Math.round(x * 10) / 10;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface LauncherOptions {
  execRoot: string;
  images: ContainerImages;
  runtime: ContainerRuntime;
  dirOf: (id: string) => string;
  volumes?: ContainerVolumes;
  network?: NetworkAttach;
  init?: InitOptions;
}

/**
 * Turns a container record into a running process and back: mounts the
 * overlay rootfs, writes /etc files, builds the OCI spec, starts it under the
 * monitor; after an exit, releases the runtime state and the mount (off the
 * caller's critical path, but always finished before the next start).
 */
export class Launcher {
  private readonly mounted = new Set<string>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly prepared = new Map<string, { promise: Promise<{ pid: number }>; timer: NodeJS.Timeout }>();
  private mountsScanned = false;
  private readonly rotator = new LogRotator();

  constructor(private readonly o: LauncherOptions) {}

  logPath(id: string): string {
    return join(this.o.dirOf(id), 'ctr.log');
  }

  /** Resolves when no launch or release of this container is in progress. */
  async settled(id: string): Promise<void> {
    await this.inFlight.get(id)?.catch(() => undefined);
  }

  private track<T>(id: string, p: Promise<T>): Promise<T> {
    this.inFlight.set(id, p);
    const clear = () => {
      if (this.inFlight.get(id) === p) this.inFlight.delete(id);
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * Prepares a new container in the background as soon as it is created:
   * mounts its rootfs and has the monitor create it in the OCI runtime, whose
   * init then waits for `start`. A client that creates, then attaches and
   * waits, then starts (docker run) gets that work done during its round
   * trips, and start only execs the process. A preparation not claimed by a
   * start within PREPARED_TTL_MS is undone, so created containers hold no
   * processes for long. Failures are reported by the start that claims it.
   */
  prepare(rec: ContainerRecord): void {
    const promise = this.track(rec.id, this.createInRuntime(rec));
    promise.catch(() => undefined);
    const timer = setTimeout(() => void this.unprepare(rec), PREPARED_TTL_MS);
    timer.unref();
    this.prepared.set(rec.id, { promise, timer });
  }

  /** Undoes an unclaimed preparation (its spec is stale after an update); the container stays "created". */
  async unprepare(rec: ContainerRecord): Promise<void> {
    const prepared = this.prepared.get(rec.id);
    if (!prepared) return;
    this.prepared.delete(rec.id);
    clearTimeout(prepared.timer);
    this.rotator.unwatch(rec.id);
    const ok = await prepared.promise.then(() => true, () => false);
    if (ok) await this.o.runtime.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined);
    await this.detachNetwork(rec);
  }

  /** Tears the container's endpoint down; the namespace stays until this resolves. */
  private async detachNetwork(rec: ContainerRecord): Promise<void> {
    rec.network = undefined;
    await this.o.network?.detach(rec.id).catch((err) => log.warn('network teardown failed', { id: rec.id, error: messageOf(err) }));
  }

  /**
   * Starts the container; on success rec.state is "running" (caller persists).
   * `onStarted` runs the moment the process runs, before its exit can be seen.
   */
  async launch(rec: ContainerRecord, onStarted?: () => void): Promise<void> {
    const prepared = this.prepared.get(rec.id);
    this.prepared.delete(rec.id);
    if (prepared) clearTimeout(prepared.timer);
    await this.settled(rec.id);
    return this.track(rec.id, this.doLaunch(rec, prepared?.promise, onStarted));
  }

  private async doLaunch(rec: ContainerRecord, prepared: Promise<{ pid: number }> | undefined, onStarted?: () => void): Promise<void> {
    const t0 = performance.now();
    try {
      // A failed preparation is retried once from scratch: it may have met a passing condition.
      const created = (prepared ? await prepared.catch(() => undefined) : undefined) ?? (await this.createInRuntime(rec));
      const t1 = performance.now();
      try {
        await this.o.runtime.start(rec.id, rec.runtime);
      } catch (err) {
        await this.o.runtime.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined);
        throw err;
      }
      log.debug('container started', { id: rec.id, prepared: prepared !== undefined, createMs: ms(t1 - t0), startMs: ms(performance.now() - t1) });
      rec.state.status = 'running';
      rec.state.pid = created.pid;
      rec.state.error = '';
      rec.state.exitCode = 0;
      rec.state.startedAt = nowRfc3339Nano();
      rec.state.oomKilled = false;
      onStarted?.();
    } catch (err) {
      const failure = startFailure(err, rec.path);
      rec.state.error = failure.message;
      rec.state.exitCode = failure.exitCode;
      this.rotator.unwatch(rec.id);
      await this.unmount(rec.id).catch(() => undefined);
      await releaseMounts(rec.mounts ?? [], rec.id, this.o.volumes);
      await this.detachNetwork(rec);
      throw failure.error;
    }
  }

  /**
   * Mounts the rootfs, writes the /etc files and the spec, and creates the
   * container in the runtime. The network endpoint is begun first: its
   * namespace is made alongside the mount, and netavark brings the interfaces
   * up while the monitor creates the container; the start waits for both.
   */
  private async createInRuntime(rec: ContainerRecord): Promise<{ pid: number }> {
    const t0 = performance.now();
    const dir = this.o.dirOf(rec.id);
    const rootfs = join(dir, 'merged');
    const hc = rec.hostConfig;
    const networkMode = hc.NetworkMode ?? 'bridge';
    const staging = this.o.network && needsEndpoint(networkMode) ? this.o.network.attach(rec) : undefined;
    staging?.catch(() => undefined);
    await this.ensureMounted(rec);
    const tMount = performance.now();
    const hostname = rec.config.Hostname || (networkMode === 'host' ? await hostHostname() : rec.id.slice(0, 12));
    const staged = await staging;
    const tStaged = performance.now();
    const net = staged?.network;
    rec.network = net;
    const etcInput = (n: AttachedNetwork | undefined) => ({
      hostname, domainname: rec.config.Domainname, networkMode,
      extraHosts: [...resolveExtraHosts((hc.ExtraHosts as string[] | null) ?? [], n), ...(this.o.network?.linkHosts((hc.Links as string[] | null) ?? []) ?? [])],
      ipAddress: n?.networks[0]?.ip,
      ipAddress6: n?.networks[0]?.ip6,
      dns: { servers: hc.Dns?.length ? hc.Dns : n?.dnsServers ?? [], search: hc.DnsSearch?.length ? hc.DnsSearch : n?.dnsSearch ?? [], options: hc.DnsOptions ?? [] },
    });
    const [user, etc, mounts] = await Promise.all([
      resolveUser(rootfs, rec.config.User ?? '', (hc.GroupAdd as string[] | null) ?? []),
      writeEtcFiles(dir, etcInput(net)),
      prepareMounts(rec.mounts ?? [], { rootfs, holder: rec.id, volumes: this.o.volumes }),
    ]);
    const input = this.specInput(rec, rootfs, user, hostname, etc, net);
    input.mounts.push(...mounts);
    if (wantsInit(rec.hostConfig, this.o.init)) await applyInit(input, this.o.init);
    const spec = this.o.runtime.buildSpec(input);
    const bundleDir = join(this.o.execRoot, 'bundles', rec.id);
    await mkdir(bundleDir, { recursive: true });
    const tSpec = performance.now();
    const creating = this.o.runtime.create({
      id: rec.id, bundleDir, spec, logPath: this.logPath(rec.id), logSizeMax: rotationOf(rec.hostConfig.LogConfig).maxBytes + BACKSTOP_BYTES, runtime: rec.runtime,
      stdin: rec.config.OpenStdin === true, stdinOnce: rec.config.StdinOnce === true,
    });
    let tCreated = 0;
    let tReady = 0;
    const [created, ready] = await Promise.allSettled([
      creating.finally(() => (tCreated = performance.now())),
      staged?.ready.finally(() => (tReady = performance.now())),
    ]);
    if (ready.status === 'rejected') {
      if (created.status === 'fulfilled') await this.o.runtime.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined);
      throw ready.reason;
    }
    if (created.status === 'rejected') throw created.reason;
    await this.watchLog(rec); // before the process can write: the first check links the live log
    if (ready.value) {
      rec.network = ready.value;
      // netavark may name DNS servers other than the gateways foreseen: the file is rewritten before the start.
      if (ready.value.dnsServers.join() !== net?.dnsServers.join()) await writeEtcFiles(dir, etcInput(ready.value));
    }
    log.debug('container created in the runtime', {
      id: rec.id, mountMs: ms(tMount - t0), networkMs: staged ? ms(tStaged - t0) : undefined, specMs: ms(tSpec - tMount),
      runtimeMs: ms(tCreated - tSpec), networkReadyMs: staged ? ms(tReady - t0) : undefined, totalMs: ms(performance.now() - t0),
    });
    return created.value;
  }

  private specInput(
    rec: ContainerRecord,
    rootfs: string,
    user: { uid: number; gid: number; additionalGids: number[]; home: string },
    hostname: string,
    etc: { hostnamePath: string; hostsPath: string; resolvConfPath: string },
    net: AttachedNetwork | undefined,
  ): SpecInput {
    const hc = rec.hostConfig;
    const env = [...(rec.config.Env ?? [])];
    const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
    if (!has('PATH')) env.unshift(`PATH=${DEFAULT_PATH}`);
    if (!has('HOSTNAME')) env.push(`HOSTNAME=${hostname}`);
    if (!has('HOME')) env.push(`HOME=${user.home}`);
    if (rec.config.Tty && !has('TERM')) env.push('TERM=xterm');
    const networkMode = hc.NetworkMode ?? 'bridge';
    const bind = (source: string, destination: string) => ({
      destination, type: 'bind', source, options: ['rbind', 'rprivate'],
    });
    const security = parseSecurityOpts(hc.SecurityOpt);
    return {
      id: rec.id,
      rootfs,
      readonlyRootfs: hc.ReadonlyRootfs === true,
      process: {
        args: [rec.path, ...rec.args],
        env,
        cwd: rec.config.WorkingDir || '/',
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        terminal: rec.config.Tty === true,
        noNewPrivileges: security.noNewPrivileges,
      },
      hostname,
      domainname: rec.config.Domainname || undefined,
      network: networkMode === 'host' ? { mode: 'host' } : net ? { mode: 'netns', path: net.netnsPath }
        : networkMode.startsWith('container:') && this.o.network ? { mode: 'netns', path: this.o.network.sharedNamespace(networkMode.slice(10)) } : { mode: 'none' },
      mounts: [
        bind(etc.hostnamePath, '/etc/hostname'),
        bind(etc.hostsPath, '/etc/hosts'),
        bind(etc.resolvConfPath, '/etc/resolv.conf'),
      ],
      cgroupsPath: `/berth/${rec.id}`,
      resources: resourceLimits(hc),
      oomScoreAdj: hc.OomScoreAdj || undefined,
      ulimits: (hc.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
      capAdd: (hc.CapAdd as string[] | null) ?? undefined,
      capDrop: (hc.CapDrop as string[] | null) ?? undefined,
      privileged: hc.Privileged === true,
      seccomp: security.seccomp,
      unmaskSystemPaths: security.unmaskSystemPaths,
      annotations: (hc.Annotations as Record<string, string> | null) ?? undefined,
      sysctls: (hc.Sysctls as Record<string, string> | null) ?? undefined,
      shmSizeBytes: hc.ShmSize || undefined,
    };
  }

  private async ensureMounted(rec: ContainerRecord): Promise<void> {
    if (!this.mountsScanned) await this.scanMounts();
    const dir = this.o.dirOf(rec.id);
    const target = join(dir, 'merged');
    if (this.mounted.has(target)) return;
    const lowerDirs = await this.o.images.layerDirs(rec.imageId);
    await this.o.images.mountOverlay({ lowerDirs, upperDir: join(dir, 'upper'), workDir: join(dir, 'work'), target });
    this.mounted.add(target);
  }

  /** Learns which container rootfs are still mounted (after a daemon restart). */
  private async scanMounts(): Promise<void> {
    const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const mountPoint = line.split(' ')[4];
      if (mountPoint && mountPoint.endsWith('/merged')) this.mounted.add(mountPoint.replace(/\\040/g, ' '));
    }
    this.mountsScanned = true;
  }

  private async unmount(id: string): Promise<void> {
    const target = join(this.o.dirOf(id), 'merged');
    if (!this.mountsScanned) await this.scanMounts();
    if (!this.mounted.has(target)) return;
    await this.o.images.unmountOverlay(target);
    this.mounted.delete(target);
  }

  /** Rotates the running container's log by its LogConfig (see runtime/log-rotation.ts). */
  private watchLog(rec: ContainerRecord): Promise<void> {
    return this.rotator.watch(rec.id, {
      logPath: this.logPath(rec.id),
      ctlPath: conmonBundleFiles(join(this.o.execRoot, 'bundles', rec.id)).ctl,
      ...rotationOf(rec.hostConfig.LogConfig),
    });
  }

  /** A container found running after a daemon restart: its mount is in use and its log grows. */
  adopt(rec: ContainerRecord): void {
    void this.watchLog(rec);
    this.mounted.add(join(this.o.dirOf(rec.id), 'merged'));
  }

  /** After an exit: delete the runtime's state and unmount, in the background. */
  releaseInBackground(rec: ContainerRecord, after?: Promise<unknown>): void {
    this.rotator.unwatch(rec.id);
    const work = (async () => {
      // The runtime's record of the exit is the only one until the caller's save lands.
      await after;
      await this.o.runtime.delete(rec.id, rec.runtime, { force: true }).catch((err) =>
        log.debug('runtime delete after exit failed', { id: rec.id, error: messageOf(err) }),
      );
      await this.unmount(rec.id).catch((err) => log.warn('unmount failed', { id: rec.id, error: messageOf(err) }));
      await releaseMounts(rec.mounts ?? [], rec.id, this.o.volumes);
    })();
    // Not tracked: a removal need not wait for the teardown (the address stays reserved until it ends,
    // and a new attach of this container waits for it in the network service).
    void this.detachNetwork(rec);
    void this.track(rec.id, work);
  }

  /**
   * After the container's directory moved to `movedDir` (removal): deletes the
   * runtime state and unmounts the rootfs at its new place. The caller deletes
   * the directory once this resolves.
   */
  async destroy(rec: ContainerRecord, movedDir: string): Promise<void> {
    this.rotator.unwatch(rec.id);
    const prepared = this.prepared.get(rec.id);
    if (prepared) clearTimeout(prepared.timer);
    this.prepared.delete(rec.id);
    await this.o.runtime.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined);
    const oldTarget = join(this.o.dirOf(rec.id), 'merged');
    if (this.mounted.delete(oldTarget)) await this.o.images.unmountOverlay(join(movedDir, 'merged'));
    await releaseMounts(rec.mounts ?? [], rec.id, this.o.volumes);
    void this.detachNetwork(rec);
  }

  /**
   * Runs `fn` on the container's merged rootfs (cp, diff). A container that is
   * not running has its overlay mounted for the call only; a start waits for
   * the call through the launcher's in-flight tracking.
   */
  async withRootfs<T>(rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
    await this.settled(rec.id);
    if (!this.mountsScanned) await this.scanMounts();
    const target = join(this.o.dirOf(rec.id), 'merged');
    const wasMounted = this.mounted.has(target);
    if (wasMounted) return fn(target);
    const work = (async () => {
      await this.ensureMounted(rec);
      try {
        return await fn(target);
      } finally {
        if (!isRunningStatus(rec.state.status) && !this.prepared.has(rec.id)) await this.unmount(rec.id).catch(() => undefined);
      }
    })();
    return this.track(rec.id, work);
  }
}

async function hostHostname(): Promise<string> {
  const { hostname } = await import('node:os');
  return hostname();
}

/**
 * Maps a runtime failure to Docker's exit code and wording: the docker CLI
 * reads "executable file not found" / "no such file or directory" as 127 and
 * "permission denied" as 126.
 */
function startFailure(err: unknown, command: string): { error: EngineError; exitCode: number; message: string } {
  const text = messageOf(err);
  if (err instanceof EngineError && err.kind !== 'Internal') return { error: err, exitCode: 128, message: text };
  const lower = text.toLowerCase();
  let exitCode = 128;
  let message = `failed to create task for container: OCI runtime create failed: ${text}`;
  if (/not found|no such file or directory|enoent/.test(lower)) {
    exitCode = 127;
    message = `failed to create task for container: OCI runtime create failed: exec: "${command}": executable file not found in $PATH: ${text}`;
  } else if (/permission denied|eacces/.test(lower)) {
    exitCode = 126;
    message = `failed to create task for container: OCI runtime create failed: exec: "${command}": permission denied: ${text}`;
  }
  return { error: new EngineError('InvalidArgument', message, { cause: err }), exitCode, message };
}
