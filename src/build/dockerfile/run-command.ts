/**
 * What a RUN, CMD or ENTRYPOINT executes, given the stage's SHELL, as docker
 * composes it.
 */
import { parseHeredocWord } from './heredoc.js';
import type { CommandForm, RunInstruction } from './types.js';

/** The default SHELL on Linux. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/**
 * Exec form as written; shell form as `[...shell, text]`, also for an empty
 * text (a bare `CMD` is `["/bin/sh", "-c", ""]` in docker).
 */
export function shellCommandArgs(command: CommandForm, shell: readonly string[] = DEFAULT_SHELL): string[] {
  if (command.form === 'exec') return [...command.args];
  return [...shell, command.text];
}

export interface RunCommandLine {
  /** The process to start. */
  args: string[];
  /**
   * A script file the builder must provide, read-only, at `path` with `mode`
   * while the step runs (docker mounts it under /dev/pipes/).
   */
  inlineFile?: { path: string; content: string; mode: number };
}

/**
 * The process for a RUN step, heredocs included, as BuildKit runs them:
 * - `RUN <<EOF` alone: a body starting with `#!` is written to a file and
 *   executed directly; any other body runs as `[...shell, body]`;
 * - `RUN cmd <<EOF ...` (anything else): the line and the bodies are given to
 *   the shell together, which then does the redirection itself.
 */
export function runCommandLine(run: RunInstruction, shell: readonly string[] = DEFAULT_SHELL): RunCommandLine {
  const { command, heredocs } = run;
  if (heredocs.length === 0 || command.form === 'exec') return { args: shellCommandArgs(command, shell) };
  if (parseHeredocWord(command.text)) {
    const doc = heredocs[0];
    if (doc.content.startsWith('#!')) {
      const path = `/dev/pipes/${doc.name}`;
      return { args: [path], inlineFile: { path, content: doc.content, mode: 0o755 } };
    }
    return { args: [...shell, doc.content] };
  }
  let script = command.text;
  for (const doc of heredocs) script += `\n${doc.content}${doc.name}`;
  return { args: [...shell, script] };
}
