/**
 * The builder's contract with the daemon: what a build is asked to do, how it
 * reports, and the roles it needs from outside build/ (a step runner, which
 * engine/ implements with the container runtime).
 */
import type { ImageService } from '../image/index.js';

export interface BuildRequest {
  /** The tar context (plain or gzip); an empty stream is an empty context. */
  context: AsyncIterable<Buffer | string>;
  /** Path of the Dockerfile in the context; default "Dockerfile". */
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  target?: string;
  /** bridge (default), host, none, or a network name: the default for RUN steps. */
  networkMode?: string;
  /** "name:ip" entries for RUN steps' /etc/hosts. */
  extraHosts: string[];
  platform?: string;
  /** id → content, for RUN --mount=type=secret. */
  secrets: Record<string, Buffer>;
  /** --cache-from: local images whose history may stand in for the cache; names not found are skipped. */
  cacheFrom?: string[];
  /** Registry server → credentials in X-Registry-Auth form, for pulling base images (X-Registry-Config). */
  registryAuth?: Record<string, string>;
  signal?: AbortSignal;
}

/** One line of the legacy build protocol. */
export type BuildMessage =
  | { stream: string }
  | { aux: { ID: string } }
  | { errorDetail: { message: string }; error: string };

export interface BuildResult {
  imageId: string;
}

/** A mount for a step's process, beyond the defaults. */
export type StepMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean }
  | { type: 'tmpfs'; target: string; size?: number };

export interface StepProcess {
  /** The step's short id ("Running in <id>"): its hostname, as docker's intermediate container's. */
  id: string;
  args: string[];
  env: string[];
  cwd: string;
  /** Docker's user syntax (name, uid, name:group, ...), resolved in the rootfs; '' is root. */
  user: string;
  /** 'default' is the build's network (its --network); a name is a network to join. */
  network: string;
  mounts: StepMount[];
  output(chunk: Buffer): void;
  signal?: AbortSignal;
}

/**
 * Runs build steps' processes. A session lasts one build, so the steps share
 * one network endpoint.
 */
export interface StepRunner {
  open(o: { buildId: string; networkMode: string; extraHosts: string[] }): Promise<StepSession>;
}

export interface StepSession {
  /** Runs the process in `rootfs` (a mounted overlay) to its exit; resolves with the exit code. */
  run(rootfs: string, p: StepProcess): Promise<number>;
  close(): Promise<void>;
}

/** Fetches a base image that is not local (FROM, COPY --from), or again with --pull. */
export type ImagePuller = (reference: string, o: { platform?: string; report: (line: string) => void; registryAuth?: Record<string, string> }) => Promise<void>;

export interface BuilderDeps {
  images: ImageService;
  runner: StepRunner;
  pull?: ImagePuller;
  dataRoot: string;
  /** A private directory for the build's temp files, on the data root's filesystem. */
  tmpDir: string;
}
