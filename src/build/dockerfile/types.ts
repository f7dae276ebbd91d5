/**
 * The parsed shape of a Dockerfile: the contract between the parser
 * (build/dockerfile/) and the builder that executes it.
 *
 * Words are kept as written (unexpanded): docker substitutes variables per
 * instruction at build time, with the ARG and ENV values in force at that step,
 * so the builder calls `expandInstruction` (exported by build/dockerfile/) just
 * before it executes each instruction. RUN, CMD, ENTRYPOINT, SHELL and
 * HEALTHCHECK commands are never expanded by the builder: the shell does that.
 */

/** Where an instruction came from, for error messages ("Dockerfile:12"). Lines are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  endLine: number;
}

/** Shell form keeps the text for `SHELL + [text]`; exec form is a JSON array. */
export type CommandForm = { form: 'shell'; text: string } | { form: 'exec'; args: string[] };

/** A here-document attached to RUN or COPY/ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`). */
export interface Heredoc {
  /** The word after `<<` without quotes or the dash, e.g. `EOF`. */
  name: string;
  /** The body as docker keeps it: every line with its newline ("a\nb\n"), leading tabs already removed for `<<-`. */
  content: string;
  /** False when the delimiter was quoted: the body is then not variable-expanded. */
  expand: boolean;
  /** Whether a `<<-` removed leading tabs. */
  chomp: boolean;
  /** The file descriptor written before `<<` (`3<<EOF`); absent for the default (stdin). */
  fileDescriptor?: number;
}

/** One `RUN --mount=...` option, keys as docker names them. */
export type RunMount =
  | { type: 'bind'; target: string; source?: string; from?: string; readwrite: boolean }
  | { type: 'cache'; target: string; id?: string; sharing: 'shared' | 'private' | 'locked'; from?: string; source?: string; readonly: boolean; mode?: number; uid?: number; gid?: number }
  | { type: 'tmpfs'; target: string; size?: number }
  | { type: 'secret'; id: string; target?: string; required: boolean; mode?: number; uid?: number; gid?: number; /** `env=NAME`: expose the secret as an environment variable. */ env?: string }
  | { type: 'ssh'; id?: string; target?: string; required: boolean; mode?: number; uid?: number; gid?: number };

export interface HealthcheckSpec {
  /** NONE disables the base image's check. */
  test: ['NONE'] | ['CMD', ...string[]] | ['CMD-SHELL', string];
  /** Durations in nanoseconds, as the image config stores them; absent = default. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

interface Base {
  loc: SourceLocation;
  /** The instruction line(s) as written, continuation lines joined, for progress and history. */
  original: string;
}

export interface FromInstruction extends Base { kind: 'FROM'; image: string; stageName?: string; platform?: string }
export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandForm;
  mounts: RunMount[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
  heredocs: Heredoc[];
  /** The `--mount` values as written; `expandInstruction` re-reads `mounts` from them with the build's variables. */
  mountSpecs?: string[];
}
export interface CmdInstruction extends Base { kind: 'CMD'; command: CommandForm }
export interface EntrypointInstruction extends Base { kind: 'ENTRYPOINT'; command: CommandForm }
export interface EnvInstruction extends Base { kind: 'ENV'; pairs: Array<[string, string]> }
export interface ArgInstruction extends Base { kind: 'ARG'; args: Array<{ name: string; defaultValue?: string }> }
export interface LabelInstruction extends Base { kind: 'LABEL'; pairs: Array<[string, string]> }
export interface ExposeInstruction extends Base { kind: 'EXPOSE'; ports: string[] }
export interface CopyInstruction extends Base {
  kind: 'COPY' | 'ADD';
  sources: string[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  /** ADD only: `--keep-git-dir`, `--checksum`. */
  keepGitDir?: boolean;
  checksum?: string;
  /** ADD only: `--unpack` (true/false) overrides whether a local tar archive is extracted. */
  unpack?: boolean;
  /** `--parents`, `--exclude` (newer dockerfile syntax). */
  parents?: boolean;
  excludes: string[];
  /** COPY <<EOF dest: each heredoc becomes a file named after it. */
  heredocs: Heredoc[];
}
export interface WorkdirInstruction extends Base { kind: 'WORKDIR'; path: string }
export interface UserInstruction extends Base { kind: 'USER'; user: string }
export interface VolumeInstruction extends Base { kind: 'VOLUME'; paths: string[] }
export interface OnbuildInstruction extends Base { kind: 'ONBUILD'; /** the trigger as written, e.g. "RUN echo hi" */ trigger: string }
export interface StopsignalInstruction extends Base { kind: 'STOPSIGNAL'; signal: string }
export interface HealthcheckInstruction extends Base { kind: 'HEALTHCHECK'; healthcheck: HealthcheckSpec }
export interface ShellInstruction extends Base { kind: 'SHELL'; shell: string[] }
export interface MaintainerInstruction extends Base { kind: 'MAINTAINER'; name: string }

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | EnvInstruction
  | ArgInstruction
  | LabelInstruction
  | ExposeInstruction
  | CopyInstruction
  | WorkdirInstruction
  | UserInstruction
  | VolumeInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction
  | MaintainerInstruction;

export interface Stage {
  /** 0-based position; `COPY --from=0` names a stage by it. */
  index: number;
  /** From `FROM image AS name`, lower-cased as docker does. */
  name?: string;
  from: FromInstruction;
  /** The instructions after FROM up to the next FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Parser directives from the top of the file. */
  directives: { escape: '\\' | '`'; syntax?: string; check?: string };
  /** ARGs before the first FROM: usable in FROM lines, and redeclared (`ARG NAME`) inside a stage. */
  globalArgs: ArgInstruction[];
  stages: Stage[];
  /**
   * What docker warns about but accepts, e.g. "Empty continuation line found in: RUN a b";
   * the builder prints each as `[WARNING]: <message>`. Absent when there is nothing to say.
   */
  warnings?: Array<{ line: number; message: string }>;
}
