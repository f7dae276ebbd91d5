/**
 * The two instructions with flags and heredocs: RUN (`--mount`, `--network`,
 * `--security`, `RUN <<EOF`) and COPY/ADD (`--from --chown --chmod --link
 * --parents --exclude`, ADD's `--keep-git-dir --checksum --unpack`,
 * `COPY <<EOF /dest`).
 */
import { InstructionError } from './errors.js';
import { parseFlags, type FlagSpec } from './flags.js';
import { parseHeredocWord } from './heredoc.js';
import type { HeredocBody } from './lexer.js';
import { parseMount } from './mounts.js';
import type { CopyInstruction, Heredoc, RunInstruction } from './types.js';
import { parseJSONArray, splitWhitespace, type CommandLine } from './words.js';

type Base = Pick<RunInstruction, 'loc' | 'original'>;

const NETWORKS = ['default', 'none', 'host'] as const;
const SECURITY = ['sandbox', 'insecure'] as const;

export function toHeredoc(body: HeredocBody): Heredoc {
  const doc: Heredoc = { name: body.name, content: body.content, expand: body.expand, chomp: body.chomp };
  if (body.fileDescriptor !== 0) doc.fileDescriptor = body.fileDescriptor;
  return doc;
}

export function parseRun(parts: CommandLine, base: Base, heredocs: HeredocBody[]): RunInstruction {
  const flags = parseFlags(parts.flags, { mount: 'strings', network: 'string', security: 'string' });
  const mountSpecs = flags.lists.get('mount') ?? [];
  const exec = parseJSONArray(parts.args);
  const run: RunInstruction = {
    ...base,
    kind: 'RUN',
    command: exec ? { form: 'exec', args: exec } : { form: 'shell', text: parts.args },
    mounts: mountSpecs.map((spec) => parseMount(spec)),
    heredocs: heredocs.map(toHeredoc),
  };
  if (mountSpecs.length > 0) run.mountSpecs = mountSpecs;
  const network = flags.strings.get('network');
  if (network !== undefined) {
    if (!(NETWORKS as readonly string[]).includes(network)) throw new InstructionError(`invalid network mode ${JSON.stringify(network)}`);
    run.network = network as RunInstruction['network'];
  }
  const security = flags.strings.get('security');
  if (security !== undefined) {
    if (!(SECURITY as readonly string[]).includes(security)) throw new InstructionError(`security ${JSON.stringify(security)} is not valid`);
    run.security = security as RunInstruction['security'];
  }
  return run;
}

const COPY_FLAGS: FlagSpec = { chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' };
const ADD_FLAGS: FlagSpec = {
  chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool', exclude: 'strings',
};

export function parseCopy(kind: 'COPY' | 'ADD', parts: CommandLine, base: Base, heredocs: HeredocBody[]): CopyInstruction {
  const args = parseJSONArray(parts.args) ?? splitWhitespace(parts.args);
  if (args.length < 2) {
    throw new InstructionError(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const flags = parseFlags(parts.flags, kind === 'COPY' ? COPY_FLAGS : ADD_FLAGS);
  const dest = args[args.length - 1];
  if (parseHeredocWord(dest)) throw new InstructionError(`${kind} cannot accept a heredoc as a destination`);
  const byName = new Map(heredocs.map((doc) => [doc.name, doc]));
  const sources: string[] = [];
  const inline: Heredoc[] = [];
  for (const source of args.slice(0, -1)) {
    const word = parseHeredocWord(source);
    if (!word) {
      sources.push(source);
      continue;
    }
    const body = byName.get(word.name);
    inline.push(toHeredoc(body ?? { ...word, content: '' }));
  }
  const copy: CopyInstruction = {
    ...base,
    kind,
    sources,
    dest,
    link: flags.bools.get('link') ?? false,
    excludes: flags.lists.get('exclude') ?? [],
    heredocs: inline,
  };
  const strings: Array<[string, 'from' | 'chown' | 'chmod' | 'checksum']> = [
    ['from', 'from'], ['chown', 'chown'], ['chmod', 'chmod'], ['checksum', 'checksum'],
  ];
  for (const [flag, field] of strings) {
    const value = flags.strings.get(flag);
    if (value !== undefined) copy[field] = value;
  }
  const keepGitDir = flags.bools.get('keep-git-dir');
  if (keepGitDir !== undefined) copy.keepGitDir = keepGitDir;
  const unpack = flags.bools.get('unpack');
  if (unpack !== undefined) copy.unpack = unpack;
  const parents = flags.bools.get('parents');
  if (parents !== undefined) copy.parents = parents;
  return copy;
}
