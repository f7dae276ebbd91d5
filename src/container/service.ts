import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { ContainerCreateBody, ContainerWaitResponse, Filters } from '../spec/docker-container.js';
import { conflict, invalidArgument, notModified, isEngineError } from '../util/errors.js';
import { log } from '../util/log.js';
import { newContainerRecord } from './create.js';
import { createResources } from './limits.js';
import { type UpdateBody, updateContainer } from './update.js';
import { validateName } from './names.js';
import { ContainerRepository } from './repository.js';
import { type ContainerRecord, isRunningStatus, nowRfc3339Nano } from './record.js';
import type { ContainerImages, ContainerRuntime, LogRecord } from './ports.js';
import { Launcher } from './launcher.js';
import { setPaused } from './pause.js';
import { RestartPolicies, endRestarting } from './restart.js';
import { parseSignal } from './signals.js';
import { killAndWait, stopRunning, type StopDeps } from './stopping.js';
import { matchesFilters, validateFilters } from './filters.js';
import { toInspect, toSummary } from './views.js';
import { Locks } from './locks.js';
import { recoverContainers } from './recovery.js';
import { ExitWaiters, type WaitCondition } from './waiters.js';
import { type ContainerVolumes, anonymousVolumes } from './mounts.js';
import { type Change, containerChanges } from './changes.js';
import type { NetworkAttach } from './network-attach.js';
import { HealthMonitor, type ProbeExec } from './health.js';
import { containerLogs, type LogsOptions } from './logs.js';
import type { InitOptions } from './init.js';

export type { WaitCondition } from './waiters.js';


export interface ContainerEvent {
  action: string;
  id: string;
  name: string;
  image: string;
  attributes?: Record<string, string>;
}

export interface ContainerServiceOptions {
  dataRoot: string;
  execRoot: string;
  images: ContainerImages;
  runtime: ContainerRuntime;
  /** Named volumes; without it, only bind and tmpfs mounts work. */
  volumes?: ContainerVolumes;
  network?: NetworkAttach;
  onEvent?: (event: ContainerEvent) => void;
  /** berthd --init and --init-path (see init.ts). */
  init?: InitOptions;
  /** berthd --log-driver/--log-opt: the log config of containers that name no driver. */
  defaultLogConfig?: { Type: string; Config: Record<string, string> };
  /** Runs healthcheck probes (the exec service's run); without it every probe fails. */
  probe?: ProbeExec;
}

/**
 * Containers: the lifecycle state machine (created → running → exited, and
 * removal) over the repository, the image store and the OCI runtime. Every verb
 * takes the container's lock, checks the transition, then acts.
 */
export class ContainerService {
  private readonly waiters = new ExitWaiters();
  private readonly locks = new Locks();
  private readonly launcher: Launcher;
  private readonly restarts: RestartPolicies;
  private readonly health: HealthMonitor;

  private constructor(
    private readonly repo: ContainerRepository,
    private readonly opts: ContainerServiceOptions,
  ) {
    this.launcher = new Launcher({ ...opts, dirOf: (id) => repo.dirOf(id) });
    this.restarts = new RestartPolicies({ start: (id) => this.start(id, { byPolicy: true }), find: (id) => repo.tryFind(id), save: (r) => repo.save(r) });
    this.health = new HealthMonitor({
      find: (id) => repo.tryFind(id),
      save: (r) => repo.save(r),
      exec: (id, cmd, o) => (opts.probe ? opts.probe(id, cmd, o) : Promise.reject(new Error('healthchecks are not available'))),
      emit: (rec, action) => this.emit(action, rec),
    });
  }

  static async open(opts: ContainerServiceOptions): Promise<ContainerService> {
    const repo = await ContainerRepository.open(opts.dataRoot);
    await mkdir(join(opts.execRoot, 'bundles'), { recursive: true });
    const svc = new ContainerService(repo, opts);
    opts.runtime.onExit((id, code) => void svc.handleExit(id, code));
    await recoverContainers({
      repo,
      runtime: opts.runtime,
      launcher: svc.launcher,
      restarts: svc.restarts,
      health: svc.health,
      recordExit: (rec, code) => svc.recordExit(rec, code),
      remove: (id) => svc.remove(id, { force: true }),
    });
    return svc;
  }

  // ---- queries -------------------------------------------------------------

  find(ref: string): ContainerRecord {
    return this.repo.find(ref);
  }

  list(o: { all?: boolean; limit?: number; filters?: Filters }): ReturnType<typeof toSummary>[] {
    const filters = o.filters ?? {};
    validateFilters(filters);
    let rows = this.repo.all().sort((a, b) => (a.created < b.created ? 1 : -1));
    const showAll = o.all || (o.limit !== undefined && o.limit > 0) || filters.status !== undefined || filters.exited !== undefined;
    if (!showAll) rows = rows.filter((r) => isRunningStatus(r.state.status));
    rows = rows.filter((r) => matchesFilters(r, filters, (ref) => this.repo.tryFind(ref)));
    if (o.limit !== undefined && o.limit > 0) rows = rows.slice(0, o.limit);
    return rows.map((r) => toSummary(r));
  }

  inspect(ref: string): ReturnType<typeof toInspect> {
    const r = this.repo.find(ref);
    return toInspect(r, this.repo.dirOf(r.id), this.opts.execRoot);
  }

  /** The container using an image, preferring a running one (for rmi). */
  imageUser(imageId: string): { containerId: string; running: boolean } | undefined {
    const users = this.repo.all().filter((r) => r.imageId === imageId);
    const running = users.find((r) => isRunningStatus(r.state.status));
    const any = running ?? users[0];
    return any ? { containerId: any.id, running: running !== undefined } : undefined;
  }

  // ---- create / remove / rename ---------------------------------------------

  async create(body: ContainerCreateBody, name?: string): Promise<{ Id: string; Warnings: string[] }> {
    const { hostConfig, warnings } = await createResources(body?.HostConfig);
    const record = await newContainerRecord({ ...this.opts, repo: this.repo }, body && { ...body, HostConfig: hostConfig }, name);
    await this.repo.add(record);
    this.launcher.prepare(record);
    this.emit('create', record);
    return { Id: record.id, Warnings: warnings };
  }

  async remove(ref: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      if (isRunningStatus(rec.state.status)) {
        if (!o.force) {
          const what = rec.state.status === 'restarting' ? 'restarting' : 'running';
          throw conflict(
            `cannot remove container "/${rec.name}": container is ${what}: stop the container before removing or force remove`,
          );
        }
        this.restarts.stoppedByUser(rec);
        endRestarting(rec);
        await this.killAndWait(rec, 'SIGKILL', 10_000);
      }
      if (rec.state.status === 'removing') throw conflict(`removal of container ${rec.id} is already in progress`);
      rec.state.status = 'removing';
      this.restarts.removed(rec.id);
      this.health.removed(rec.id);
      await this.launcher.settled(rec.id);
      const moved = await this.repo.remove(rec);
      // The container is gone for clients now; its runtime state and mount go next.
      void this.launcher.destroy(rec, moved).then(() => this.repo.purge(moved), (err) =>
        log.warn('could not release removed container', { id: rec.id, error: String(err) }),
      );
    });
    if ((o.volumes || rec.hostConfig.AutoRemove) && this.opts.volumes) {
      // A volume another container shares (--volumes-from) stays: remove refuses it.
      for (const name of anonymousVolumes(rec.mounts)) await this.opts.volumes.remove(name).catch(() => undefined);
    }
    this.emit('destroy', rec);
    this.waiters.settle(rec.id, 'removed', rec.state.exitCode);
  }

  /** Runs `fn` on the container's mounted rootfs (cp); see Launcher.withRootfs. */
  withRootfs<T>(rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
    return this.launcher.withRootfs(rec, fn);
  }

  /** GET /containers/{id}/changes, or null when nothing changed (as docker answers). */
  async changes(ref: string): Promise<Change[] | null> {
    const rec = this.repo.find(ref);
    const changes = await containerChanges({
      upper: join(this.repo.dirOf(rec.id), 'upper'),
      lowers: await this.opts.images.layerDirs(rec.imageId),
      mountPoints: (rec.mounts ?? []).map((m) => m.Destination),
    });
    return changes.length ? changes : null;
  }

  /** Changes a record under the container's lock and persists it (network connect and disconnect). */
  async update(ref: string, fn: (rec: ContainerRecord) => Promise<void>): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      await fn(rec);
      await this.repo.save(rec);
    });
  }

  /** Ids of the containers whose mounts name the volume. */
  volumeUsers(name: string): string[] {
    return this.repo.all().filter((r) => (r.mounts ?? []).some((m) => m.Type === 'volume' && m.Name === name)).map((r) => r.id);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.repo.find(ref);
    if (!newName) throw invalidArgument('Neither old nor new names may be empty');
    const name = validateName(newName);
    if (name === rec.name) throw conflict(`Renaming a container with the same name as its current name`);
    const old = rec.name;
    await this.repo.rename(rec, name);
    this.emit('rename', rec, { oldName: `/${old}` });
  }

  async prune(filters: Filters = {}): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const allowed = new Set(['label', 'label!', 'until']);
    for (const key of Object.keys(filters)) {
      if (!allowed.has(key)) throw invalidArgument(`Invalid filter '${key}'`);
    }
    const victims = this.repo
      .all()
      .filter((r) => r.state.status === 'exited' || r.state.status === 'created' || r.state.status === 'dead')
      .filter((r) => matchesFilters(r, filters, (x) => this.repo.tryFind(x)));
    const deleted: string[] = [];
    for (const r of victims) {
      try {
        await this.remove(r.id);
        deleted.push(r.id);
      } catch (err) {
        log.warn('prune could not remove container', { id: r.id, error: String(err) });
      }
    }
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 };
  }

  // ---- start / stop / kill / restart --------------------------------------

  /** `byPolicy`: the restart policy's start, the one start a "restarting" container takes. */
  async start(ref: string, o: { byPolicy?: boolean } = {}): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      if (isRunningStatus(rec.state.status) && !(o.byPolicy && rec.state.status === 'restarting')) throw notModified();
      if (rec.state.status === 'removing' || rec.state.status === 'dead') {
        throw conflict(`cannot start container ${rec.id}: container is marked for removal`);
      }
      this.restarts.started(rec);
      try {
        await this.launcher.launch(rec, () => this.emit('start', rec));
      } catch (err) {
        await this.repo.save(rec).catch(() => undefined);
        if (rec.hostConfig.AutoRemove) void this.remove(rec.id, { force: true }).catch(() => undefined);
        throw err;
      }
      this.health.started(rec);
      await this.repo.save(rec);
    });
  }

  async stop(ref: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      this.restarts.stoppedByUser(rec);
      if (endRestarting(rec)) return void (await this.repo.save(rec));
      if (!isRunningStatus(rec.state.status)) throw notModified();
      await this.stopRunning(rec, o);
    });
    this.emit('stop', rec);
  }

  private stopRunning(rec: ContainerRecord, o: { timeout?: number; signal?: string }): Promise<void> {
    return stopRunning(this.stopDeps, rec, o);
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.repo.find(ref);
    const sig = parseSignal(signal);
    if (!isRunningStatus(rec.state.status)) {
      throw conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`);
    }
    this.restarts.stoppedByUser(rec);
    // Restarting: there is no process; the kill just ends the backoff, as in Docker.
    if (endRestarting(rec)) await this.repo.save(rec);
    else await this.opts.runtime.kill(rec.id, sig, rec.runtime);
    this.emit('kill', rec, { signal: sig });
  }

  /** docker update (see update.ts), under the container's lock, persisted; returns the warnings. */
  async updateResources(ref: string, body: UpdateBody): Promise<{ Warnings: string[] }> {
    const rec = this.repo.find(ref);
    return this.locks.run(rec.id, async () => {
      const warnings = await updateContainer(rec, body, {
        applyResources: (r, resources) => this.opts.runtime.update(r.id, resources, r.runtime),
        discardPrepared: (r) => this.launcher.unprepare(r),
      });
      await this.repo.save(rec);
      this.emit('update', rec);
      return { Warnings: warnings };
    });
  }

  /** pause / unpause (see pause.ts), under the container's lock, persisted, with the event. */
  async setPaused(ref: string, paused: boolean): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      await setPaused(rec, paused, this.opts.runtime);
      if (paused) this.health.paused(rec);
      else this.health.resumed(rec);
      await this.repo.save(rec);
    });
    this.emit(paused ? 'pause' : 'unpause', rec);
  }

  async restart(ref: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.repo.find(ref);
    await this.locks.run(rec.id, async () => {
      this.restarts.stoppedByUser(rec); // the stop half must not trigger the policy
      endRestarting(rec);
      if (isRunningStatus(rec.state.status)) await this.stopRunning(rec, o);
      this.restarts.started(rec);
      await this.launcher.launch(rec, () => this.emit('start', rec));
      this.health.started(rec);
      await this.repo.save(rec);
    });
    this.emit('restart', rec);
  }

  private killAndWait(rec: ContainerRecord, signal: string, ms: number): Promise<boolean> {
    return killAndWait(this.stopDeps, rec, signal, ms);
  }

  private get stopDeps(): StopDeps {
    return { runtime: this.opts.runtime, waiters: this.waiters, recordExit: (rec, code) => this.recordExit(rec, code) };
  }

  // ---- exits and waiting ----------------------------------------------------

  /**
   * Registers a waiter synchronously (before any await), so a client that sends
   * wait before start cannot miss the exit; resolves with the exit code.
   */
  wait(ref: string, condition: WaitCondition = 'not-running'): Promise<ContainerWaitResponse> {
    const rec = this.repo.find(ref);
    if (!['not-running', 'next-exit', 'removed', 'healthy'].includes(condition)) {
      throw invalidArgument(`invalid condition: "${condition}"`);
    }
    if (condition === 'healthy') {
      if (!['created', 'running', 'paused', 'restarting'].includes(rec.state.status)) throw conflict(`container ${rec.id} is not running`);
      return this.health.waitHealthy(rec);
    }
    if (condition === 'not-running' && !isRunningStatus(rec.state.status)) {
      return Promise.resolve({ StatusCode: rec.state.exitCode, Error: null });
    }
    return this.waiters.waitFor(rec.id, condition);
  }

  private async handleExit(id: string, exitCode: number): Promise<void> {
    log.debug('exit noticed', { id, exitCode });
    const rec = this.repo.tryFind(id);
    if (!rec) return;
    await this.launcher.settled(id); // a start in flight records "running" first
    if (!isRunningStatus(rec.state.status)) return;
    await this.recordExit(rec, exitCode);
  }

  private async recordExit(rec: ContainerRecord, exitCode: number): Promise<void> {
    if (!isRunningStatus(rec.state.status)) return;
    // The OOM count lives in the cgroup, which the release below deletes: read it first.
    const oomKilled = await this.opts.runtime.oomKilled(rec.id, `/berth/${rec.id}`).catch(() => false);
    if (!isRunningStatus(rec.state.status)) return;
    if (oomKilled) this.emit('oom', rec);
    rec.state.oomKilled = oomKilled;
    rec.state.status = 'exited';
    rec.state.exitCode = exitCode;
    rec.state.pid = 0;
    rec.state.finishedAt = nowRfc3339Nano();
    rec.state.exits += 1;
    this.health.stopped(rec);
    const autoRemove = rec.hostConfig.AutoRemove === true;
    let saved: Promise<void> | undefined;
    if (!autoRemove) {
      this.restarts.afterExit(rec); // may make it "restarting" before the save
      saved = this.repo.save(rec).catch((err) => log.error('could not save exit', { id: rec.id, error: String(err) }));
      // Tracked before any waiter wakes: a restart waiting for this exit starts after the release.
      // The release waits for the save: until then the runtime's exit file is what a crashed
      // daemon's successor would read the exit code from.
      this.launcher.releaseInBackground(rec, saved);
    }
    this.emit('die', rec, { exitCode: String(exitCode) });
    this.waiters.settle(rec.id, 'exit', exitCode);
    if (saved) {
      await saved;
    } else {
      await this.remove(rec.id, { force: true }).catch((err) => {
        if (!isEngineError(err, 'NotFound')) log.warn('auto-remove failed', { id: rec.id, error: String(err) });
      });
    }
  }

  // ---- logs -------------------------------------------------------------------

  /** Log records of a container (see containerLogs). */
  logs(ref: string, o: LogsOptions): { tty: boolean; records: AsyncIterable<LogRecord> } {
    return containerLogs({ repo: this.repo, waiters: this.waiters, runtime: this.opts.runtime, logPath: (id) => this.launcher.logPath(id) }, ref, o);
  }

  private emit(action: string, rec: ContainerRecord, attributes: Record<string, string> = {}): void {
    this.opts.onEvent?.({ action, id: rec.id, name: rec.name, image: rec.config.Image ?? '', attributes });
  }
}
