/**
 * The Dockerfile parser: the only entrance to build/dockerfile/.
 *
 * `parseDockerfile` reads the text into stages with words as written;
 * `expandInstruction` substitutes the build's variables into one instruction
 * just before the builder runs it; `runCommandLine`/`shellCommandArgs` give
 * the process a RUN/CMD/ENTRYPOINT starts.
 */
export type * from './types.js';
export { parseDockerfile, parseOnbuildTriggers, type ParseOptions } from './parse.js';
export { expandInstruction, expandWord, expandWords, type ExpandOptions } from './expand.js';
export { DEFAULT_SHELL, runCommandLine, shellCommandArgs, type RunCommandLine } from './run-command.js';
export { parseGoDuration } from './healthcheck.js';
export type { EscapeChar } from './shell-lexer.js';
