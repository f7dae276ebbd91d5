import type { FlagSpec, ParsedFlags } from './flags.js';
import type { DockerClient } from '../client/index.js';

/** Where a command writes; tests and the main entry pass process streams. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  in: NodeJS.ReadableStream;
}

export interface CommandEnv {
  io: Io;
  /** Connects on first use (and starts the daemon if none answers on the default socket). */
  client: () => Promise<DockerClient>;
}

/**
 * One CLI command: flags into typed options, one call that returns data,
 * then print. `run` returns the process exit code.
 */
export interface Command {
  name: string;
  usage: string;
  description: string;
  aliases?: string[];
  flags: FlagSpec[];
  /** Parsing stops at the first positional (run, create, exec). */
  stopAtFirstPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  run(flags: ParsedFlags, env: CommandEnv): Promise<number>;
}

/** An error the CLI reports as "docker: <message>" style with this exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(text + '\n');
}
