import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveService, ContainerIo, ContainerService, ExecService, containerStats } from '../container/index.js';
import { VolumeService } from '../volume/index.js';
import { containerVolumes } from './volumes.js';
import type { ContainerRuntime } from '../container/index.js';
import { openImageService, mountOverlay, unmountOverlay, type ImageService } from '../image/index.js';
import { openRuntime, buildSpec, type SeccompProfile, readLog, connectAttachSocket, resizeTerminal, cgroupPids, psTable, sampleCgroup, type Runtime } from '../runtime/index.js';
import { EventBus } from './events.js';
import { NetworkService } from '../network/index.js';
import { networkAttach } from './networks.js';
import { DistributionService } from './distribution.js';
import { RegistryHosts, type RegistryHostsOptions } from '../distribution/index.js';
import { cgroupVersion, goArch, hostFacts, operatingSystem } from './system.js';
import { openBuildService, type BuildService } from './build.js';

export { EventBus } from './events.js';
export { commitContainer, exportContainer, type CommitRequest } from './commit.js';
export { decodeRegistryAuth, type JsonMessage } from '../distribution/index.js';
export type { EngineEvent } from './events.js';
export { parseSignal, normalizeLogConfig } from '../container/index.js';
export { diskUsage, type CreateVolumeOptions } from './df.js';
export type { BuildMessage, BuildRequest, BuildService } from './build.js';
export { connectContainer, disconnectContainer, checkEndpointConfig } from './networks.js';
export type { NetworkCreateBody } from '../network/index.js';
export { parseSeccompProfile } from '../runtime/index.js';

export interface EngineOptions {
  dataRoot: string;
  execRoot: string;
  defaultRuntime?: string;
  logLevel?: string;
  /** The default bridge network's interface (dockerd -b) and gateway/subnet (dockerd --bip). */
  bridge?: string;
  bip?: string;
  /** dockerd --ipv6 and --fixed-cidr-v6: a dual-stack default bridge. */
  ipv6?: boolean;
  fixedCidrV6?: string;
  /** dockerd --seccomp-profile: the filter for containers that name none; absent = built-in. */
  seccompProfile?: 'unconfined' | { profile: SeccompProfile; path: string };
  /** dockerd --init: run an init in containers that do not say (HostConfig.Init null). */
  init?: boolean;
  /** dockerd --init-path: the init binary (default Debian's tini-static). */
  initPath?: string;
  /** --insecure-registry, --registry-mirror, the certs.d directory, the registry timeout. */
  registry?: RegistryHostsOptions;
  /** --builder-gc-keep-storage: the build cache's bound in bytes (0: no automatic GC); absent = the default share of the disk. */
  builderKeepStorage?: number;
  /** dockerd --log-driver/--log-opt: the log config of containers that name no driver (checked by berthd). */
  logConfig?: { Type: string; Config: Record<string, string> };
}

/** Throws InvalidArgument for a malformed --insecure-registry or --registry-mirror (berthd checks before starting). */
export function checkRegistryOptions(o: RegistryHostsOptions): void {
  void new RegistryHosts(o);
}

export const DEFAULT_BRIDGE = 'berth0';
export const DEFAULT_BIP = '172.30.0.1/16';

/**
 * The daemon core: builds every service, wires the small interfaces services
 * declare, owns the event bus, and runs recovery at start.
 */
export class Engine {
  private constructor(
    readonly options: EngineOptions,
    readonly images: ImageService,
    readonly runtime: Runtime,
    readonly containers: ContainerService,
    readonly events: EventBus,
    readonly startedAt: Date,
    readonly execs: ExecService,
    readonly volumes: VolumeService,
    readonly archive: ArchiveService,
    readonly io: ContainerIo,
    readonly networks: NetworkService,
    readonly builds: BuildService,
  ) {}

  private dist: DistributionService | undefined;

  /** Pull, push and login against registries. */
  get distribution(): DistributionService {
    return (this.dist ??= new DistributionService(this.images, this.events, this.options.dataRoot, new RegistryHosts(this.options.registry)));
  }

  static async open(options: EngineOptions): Promise<Engine> {
    await mkdir(options.dataRoot, { recursive: true, mode: 0o710 });
    await mkdir(options.execRoot, { recursive: true, mode: 0o700 });
    const events = new EventBus();
    const images = await openImageService({ dataRoot: options.dataRoot });
    const runtime = await openRuntime({
      execRoot: options.execRoot,
      defaultRuntime: options.defaultRuntime,
      logLevel: options.logLevel === 'debug' ? 'debug' : undefined,
    });
    const containerRuntime: ContainerRuntime = {
      names: runtime.names,
      defaultRuntime: runtime.defaultRuntime,
      buildSpec: (input) => buildSpec(input.seccomp || !options.seccompProfile ? input : { ...input, seccomp: options.seccompProfile }),
      create: (o) => runtime.create(o as Parameters<Runtime['create']>[0]),
      start: (id, rt) => runtime.start(id, rt),
      kill: (id, sig, rt) => runtime.kill(id, sig, rt),
      delete: (id, rt, o) => runtime.delete(id, rt, o),
      onExit: (l) => runtime.onExit(l),
      probe: (id) => runtime.probe(id),
      readLog: (path, o) => readLog(path, o),
      pause: (id, rt) => runtime.pause(id, rt),
      resume: (id, rt) => runtime.resume(id, rt),
      update: (id, resources, rt) => runtime.update(id, resources, rt),
      oomKilled: (id, cgroupsPath) => runtime.oomKilled(id, cgroupsPath),
    };
    // Volumes ask containers who uses them; containers are opened next.
    let containersRef: ContainerService | undefined;
    // Healthcheck probes are execs; the exec service needs the containers, so it comes second.
    let execsRef: ExecService | undefined;
    const networks = await NetworkService.open({
      dataRoot: options.dataRoot, execRoot: options.execRoot,
      bridge: { iface: options.bridge || DEFAULT_BRIDGE, bip: options.bip || DEFAULT_BIP, ipv6: options.ipv6, fixedCidrV6: options.fixedCidrV6 },
    });
    const volumes = await VolumeService.open({ dataRoot: options.dataRoot, users: (name) => containersRef?.volumeUsers(name) ?? [] });
    const containers = await ContainerService.open({
      defaultLogConfig: options.logConfig,
      volumes: containerVolumes(volumes),
      dataRoot: options.dataRoot,
      execRoot: options.execRoot,
      images: {
        resolve: (ref) => images.resolve(ref),
        layerDirs: (id) => images.layerDirs(id as never),
        mountOverlay,
        unmountOverlay,
      },
      runtime: containerRuntime,
      network: networkAttach(networks, () => containersRef),
      onEvent: (e) => events.publish('container', e.action, e.id, { ...e.attributes, name: e.name, image: e.image }),
      init: { byDefault: options.init === true, binary: options.initPath },
      probe: (id, cmd, o) => (execsRef ? execsRef.run(id, cmd, o) : Promise.reject(new Error('the exec service is not ready'))),
    });
    const execs = new ExecService({
      execRoot: options.execRoot,
      find: (ref) => containers.find(ref),
      exec: (o) => runtime.exec(o),
      onEvent: (action, rec, attrs) => events.publish('container', action, rec.id, { ...attrs, name: rec.name, image: rec.config.Image ?? '' }),
    });
    containersRef = containers;
    execsRef = execs;
    await networks.repair((id) => {
      const c = containers.list({ all: true }).find((x) => x.Id === id);
      return c !== undefined && (c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
    });
    const archive = new ArchiveService({
      find: (ref) => containers.find(ref),
      withRootfs: (rec, fn) => containers.withRootfs(rec, fn),
      tmpDir: join(options.dataRoot, 'tmp'),
    });
    const io = new ContainerIo({
      execRoot: options.execRoot, find: (ref) => containers.find(ref), connect: connectAttachSocket, resize: resizeTerminal, pids: cgroupPids, ps: psTable,
    });
    let engineRef: Engine | undefined;
    const builds = await openBuildService({
      dataRoot: options.dataRoot, execRoot: options.execRoot, images, runtime, networks, keepStorage: options.builderKeepStorage,
      distribution: () => (engineRef as Engine).distribution,
    });
    engineRef = new Engine(options, images, runtime, containers, events, new Date(), execs, volumes, archive, io, networks, builds);
    void engineRef.distribution; // checks the registry options now, not at the first pull
    return engineRef;
  }

  /** GET /containers/{id}/stats: Docker's stats readings from the container's cgroup. */
  stats(ref: string, o: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncGenerator<Record<string, unknown>> {
    return containerStats({ find: (r) => this.containers.find(r), sample: sampleCgroup }, ref, o);
  }

  /** Stops watching; containers keep running under their monitors. */
  close(): void {
    this.runtime.close();
  }

  /** GET /version, less the API fields the api layer adds. */
  async versionInfo(engineVersion: string, apiVersion: string, minApiVersion: string): Promise<Record<string, unknown>> {
    const os = await operatingSystem();
    void os;
    return {
      Platform: { Name: 'berth' },
      Components: [
        { Name: 'Engine', Version: engineVersion, Details: { ApiVersion: apiVersion, MinAPIVersion: minApiVersion, Os: 'linux', Arch: goArch() } },
      ],
      Version: engineVersion,
      ApiVersion: apiVersion,
      MinAPIVersion: minApiVersion,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: hostFacts.kernel(),
      BuildTime: '',
    };
  }

  /** GET /info */
  async info(engineVersion: string): Promise<Record<string, unknown>> {
    const all = this.containers.list({ all: true });
    const count = (s: string) => all.filter((c) => c.State === s).length;
    const images = await this.images.list({ all: false });
    const os = await operatingSystem();
    const runtimes: Record<string, { path: string }> = {};
    for (const name of this.runtime.names) runtimes[name] = { path: name };
    return {
      ID: '',
      Containers: all.length,
      // As dockerd: a container waiting out its restart backoff is still Running.
      ContainersRunning: count('running') + count('restarting'),
      ContainersPaused: count('paused'),
      ContainersStopped: all.length - count('running') - count('restarting') - count('paused'),
      Images: images.length,
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'local', 'none'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: this.options.logLevel === 'debug',
      NFd: 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: this.options.logConfig?.Type || 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: await cgroupVersion(),
      NEventsListener: 0,
      KernelVersion: hostFacts.kernel(),
      OperatingSystem: os.name,
      OSVersion: os.version,
      OSType: 'linux',
      Architecture: goArch() === 'amd64' ? 'x86_64' : goArch(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: this.distribution.registryConfig(),
      NCPU: hostFacts.cpus(),
      MemTotal: hostFacts.memory(),
      GenericResources: null,
      DockerRootDir: this.options.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostFacts.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: engineVersion,
      Runtimes: runtimes,
      DefaultRuntime: this.runtime.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: [seccompInfo(this.options.seccompProfile), 'name=cgroupns'],
      Warnings: null,
      ExecRoot: this.options.execRoot,
      DataRoot: join(this.options.dataRoot),
    };
  }
}

/** /info's seccomp entry, as dockerd words it. */
function seccompInfo(profile: EngineOptions['seccompProfile']): string {
  if (!profile) return 'name=seccomp,profile=builtin';
  return profile === 'unconfined' ? 'name=seccomp,profile=unconfined' : `name=seccomp,profile=${profile.path}`;
}
