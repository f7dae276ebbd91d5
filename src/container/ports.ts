/**
 * What the container service needs from the image store and the OCI runtime,
 * declared by role so this folder depends on small contracts; engine/ passes
 * the real implementations (image/ and runtime/) in.
 */
import type { ImageDefaults } from './config.js';
import type { ContainerSpecInput, LogRecord, ReadLogOptions } from '../runtime/index.js';

export interface ContainerImages {
  /** Throws NotFound "No such image: x". */
  resolve(nameOrId: string): Promise<{ id: string; config: { config?: ImageDefaults } }>;
  /** Unpacked layer dirs, topmost first. */
  layerDirs(id: string): Promise<string[]>;
  mountOverlay(o: { lowerDirs: string[]; upperDir: string; workDir: string; target: string }): Promise<void>;
  unmountOverlay(target: string): Promise<void>;
}

export type { LogRecord, ReadLogOptions as LogReadOptions, ContainerSpecInput as SpecInput } from '../runtime/index.js';

export interface ContainerRuntime {
  readonly names: string[];
  readonly defaultRuntime: string;
  buildSpec(input: ContainerSpecInput): unknown;
  create(o: { id: string; bundleDir: string; spec: unknown; logPath: string; logSizeMax?: number; runtime?: string; stdin?: boolean; stdinOnce?: boolean }): Promise<{ pid: number }>;
  start(id: string, runtime?: string): Promise<void>;
  kill(id: string, signal: string | number, runtime?: string): Promise<void>;
  delete(id: string, runtime?: string, opts?: { force?: boolean }): Promise<void>;
  onExit(listener: (id: string, exitCode: number) => void): () => void;
  probe(id: string): Promise<{ conmonAlive: boolean; exitCode: number | null; pid: number | null }>;
  readLog(path: string, opts: ReadLogOptions): AsyncIterable<LogRecord>;
  pause(id: string, runtime?: string): Promise<void>;
  resume(id: string, runtime?: string): Promise<void>;
  /** Applies OCI `linux.resources` to a created, running or paused container. */
  update(id: string, resources: object, runtime?: string): Promise<void>;
  /** Whether the OOM killer acted in the container; read after its exit, before delete. */
  oomKilled(id: string, cgroupsPath: string): Promise<boolean>;
}
