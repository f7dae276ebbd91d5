/**
 * What the container service needs from the image store and the OCI runtime,
 * declared by role so this folder depends on small contracts; engine/ passes
 * the real implementations (image/ and runtime/) in.
 */
import type { ImageDefaults } from './config.js';

export interface ContainerImages {
  /** Throws NotFound "No such image: x". */
  resolve(nameOrId: string): Promise<{ id: string; config: { config?: ImageDefaults } }>;
  /** Unpacked layer dirs, topmost first. */
  layerDirs(id: string): Promise<string[]>;
  mountOverlay(o: { lowerDirs: string[]; upperDir: string; workDir: string; target: string }): Promise<void>;
  unmountOverlay(target: string): Promise<void>;
}

export interface LogRecord {
  time: string;
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  data: Buffer;
}

export interface LogReadOptions {
  sinceNs?: bigint;
  untilNs?: bigint;
  tail?: number;
  follow?: boolean;
  isRunning?: () => boolean;
  stopWhen?: Promise<unknown>;
  signal?: AbortSignal;
}

export interface SpecInput {
  id: string;
  rootfs: string;
  readonlyRootfs?: boolean;
  process: {
    args: string[];
    env: string[];
    cwd: string;
    user: { uid: number; gid: number; additionalGids?: number[] };
    terminal: boolean;
  };
  hostname: string;
  domainname?: string;
  network: { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string };
  mounts: Array<{ destination: string; type: string; source: string; options: string[] }>;
  cgroupsPath: string;
  resources?: {
    memoryBytes?: number;
    memorySwapBytes?: number;
    cpuShares?: number;
    cpuQuota?: number;
    cpuPeriod?: number;
    cpusetCpus?: string;
    pidsLimit?: number;
  };
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  annotations?: Record<string, string>;
  sysctls?: Record<string, string>;
  shmSizeBytes?: number;
}

export interface ContainerRuntime {
  readonly names: string[];
  readonly defaultRuntime: string;
  buildSpec(input: SpecInput): unknown;
  create(o: { id: string; bundleDir: string; spec: unknown; logPath: string; runtime?: string }): Promise<{ pid: number }>;
  start(id: string, runtime?: string): Promise<void>;
  kill(id: string, signal: string | number, runtime?: string): Promise<void>;
  delete(id: string, runtime?: string, opts?: { force?: boolean }): Promise<void>;
  onExit(listener: (id: string, exitCode: number) => void): () => void;
  probe(id: string): Promise<{ conmonAlive: boolean; exitCode: number | null; pid: number | null }>;
  readLog(path: string, opts: LogReadOptions): AsyncIterable<LogRecord>;
}
