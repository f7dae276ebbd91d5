/**
 * What every step of a build shares: the cache, the context, the output, the
 * runner session, and lookups of other stages and images. Built once per
 * build by builder.ts; stage.ts and the step modules only read it.
 */
import type { BuildCache } from './cache.js';
import type { BuildContext } from './context.js';
import type { EscapeChar } from './dockerfile/index.js';
import type { ImageState } from './state.js';
import type { BuilderDeps, StepSession } from './types.js';

export interface StepEnv {
  deps: BuilderDeps;
  cache: BuildCache;
  noCache: boolean;
  context: BuildContext;
  escape: EscapeChar;
  /** The Dockerfile's name in the context, for error messages. */
  file: string;
  /** --build-arg values; null means "take it from the client's environment", which the client already did. */
  buildArgs: Map<string, string>;
  /** Build args some ARG consumed (for the "not consumed" warning). */
  usedArgs: Set<string>;
  /** SOURCE_DATE_EPOCH, seconds. */
  epoch?: number;
  secrets: Record<string, Buffer>;
  signal?: AbortSignal;
  /** A fresh directory under the build's temp dir. */
  tempDir(prefix: string): Promise<string>;
  /** A directory with one empty placeholder for each runtime mount point, the top lower of every RUN. */
  initLayer(): Promise<string>;
  session(): Promise<StepSession>;
  /** The result of the stage named or numbered `ref`, or undefined when no stage has that name. */
  stage(ref: string): Promise<ImageState> | undefined;
  /** A local image (pulled if missing or with --pull) as a state. */
  image(ref: string, platform?: string): Promise<ImageState>;
  /** The context materialised as a directory (RUN --mount=type=bind without from). */
  contextDir(): Promise<string>;
  out(text: string): void;
  /** --cache-from images, whose history stands in for the cache on a miss. */
  cacheFrom: ImageState[];
  /** Layer chains found stored during this build (the cache checks each once). */
  verified: Set<string>;
}
