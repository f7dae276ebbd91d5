/**
 * `berth build` (docker's legacy builder client) and `berth builder prune`.
 * The context is a directory (packed here, without what .dockerignore
 * leaves out), a tarball, or stdin (`-`: a tar,
 * or a Dockerfile with no context); `-f -` reads the Dockerfile from stdin.
 * On a terminal each finished step shows its time, or CACHED; piped output is
 * the daemon's stream as it is.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { ClientError, readJsonLines } from '../../client/index.js';
import type { Command, Io } from '../command.js';
import { CliError, println } from '../command.js';
import { packContext, type ExtraFile } from '../build-context.js';
import { contextFilter } from '../build-ignore.js';
import { confirm, parseFilterFlags, printPruneReport } from '../output.js';
import { registryConfigHeader } from './registry.js';
import { parseBytes } from './resource-flags.js';

export const buildCommand: Command = {
  name: 'build',
  usage: 'build [OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  aliases: ['berth image build', 'berth build', 'berth builder build'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'add-host', type: 'stringArray', valueName: 'list', description: 'Add a custom host-to-IP mapping ("host:ip")' },
    { name: 'build-arg', type: 'stringArray', valueName: 'list', description: 'Set build-time variables' },
    { name: 'cache-from', type: 'stringArray', valueName: 'strings', description: 'Images to consider as cache sources' },
    { name: 'file', short: 'f', description: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { name: 'force-rm', type: 'bool', description: 'Always remove intermediate containers' },
    { name: 'iidfile', description: 'Write the image ID to the file' },
    { name: 'label', type: 'stringArray', valueName: 'list', description: 'Set metadata for an image' },
    { name: 'network', description: 'Set the networking mode for the RUN instructions during build', default: 'default' },
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'platform', description: 'Set platform if server is multi-platform capable' },
    { name: 'progress', description: 'Set type of progress output (auto, plain, tty)', default: 'auto' },
    { name: 'pull', type: 'bool', description: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'rm', type: 'bool', default: true, description: 'Remove intermediate containers after a successful build' },
    { name: 'secret', type: 'stringArray', valueName: 'list', description: 'Secret to expose to the build (id=mysecret,src=/local/secret or env=VAR)' },
    { name: 'tag', short: 't', type: 'stringArray', valueName: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'target', description: 'Set the target build stage to build.' },
  ],
  async run(flags, env) {
    const source = flags.positionals[0];
    const file = flags.string('file') || undefined;
    const { context, dockerfile } = await contextFor(source, file, env.io);
    const buildArgs: Record<string, string | null> = {};
    for (const a of flags.array('build-arg')) {
      const i = a.indexOf('=');
      if (i > 0) buildArgs[a.slice(0, i)] = a.slice(i + 1);
      else if (process.env[a] !== undefined) buildArgs[a] = process.env[a] as string;
    }
    if (buildArgs.SOURCE_DATE_EPOCH === undefined && process.env.SOURCE_DATE_EPOCH) buildArgs.SOURCE_DATE_EPOCH = process.env.SOURCE_DATE_EPOCH;
    const labels: Record<string, string> = {};
    for (const l of flags.array('label')) {
      const i = l.indexOf('=');
      labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
    }
    const quiet = flags.bool('quiet');
    const client = await env.client();
    let body: Readable;
    try {
      body = await client.build(context, {
        t: flags.array('tag'),
        dockerfile,
        buildargs: JSON.stringify(buildArgs),
        labels: JSON.stringify(labels),
        nocache: flags.bool('no-cache'),
        pull: flags.bool('pull'),
        q: quiet,
        target: flags.string('target') || undefined,
        networkmode: flags.string('network'),
        extrahosts: flags.array('add-host'),
        platform: flags.string('platform') || undefined,
        rm: flags.bool('rm'),
        forcerm: flags.bool('force-rm'),
        cachefrom: flags.array('cache-from').length > 0 ? JSON.stringify(flags.array('cache-from')) : undefined,
        secrets: secretsOf(flags.array('secret')),
        registryConfig: await registryConfigHeader(),
      });
    } catch (err) {
      if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
      throw err;
    }
    const progress = flags.string('progress');
    const tty = progress === 'tty' || (progress !== 'plain' && (env.io.out as { isTTY?: boolean }).isTTY === true);
    const view = tty && !quiet ? new TerminalView(env.io) : undefined;
    let imageId = '';
    for await (const m of readJsonLines(body) as AsyncIterable<{ stream?: string; aux?: { ID?: string }; error?: string; errorDetail?: { message?: string } }>) {
      if (m.error !== undefined || m.errorDetail) {
        view?.end();
        throw new CliError(m.errorDetail?.message ?? m.error ?? 'build failed', 1);
      }
      if (m.aux?.ID) imageId = m.aux.ID;
      else if (m.stream !== undefined && !quiet) {
        if (view) view.write(m.stream);
        else env.io.out.write(m.stream);
      }
    }
    view?.end();
    if (!imageId) throw new CliError('the daemon ended the build without an image ID', 1);
    if (quiet) println(env.io.out, imageId);
    const iidfile = flags.string('iidfile');
    if (iidfile) writeFileSync(iidfile, imageId);
    return 0;
  },
};

/** Adds to the daemon's lines, on a terminal, how each step ended: its time, or CACHED. */
class TerminalView {
  private started = 0;
  private cached = false;
  private open = false;

  constructor(private readonly io: Io) {}

  write(text: string): void {
    if (text.startsWith('Step ')) {
      this.end();
      this.open = true;
      this.started = performance.now();
      this.cached = false;
      this.io.out.write(`\x1b[1m${text}\x1b[0m`);
      return;
    }
    if (text === ' ---> Using cache\n') {
      this.cached = true;
      return;
    }
    if (text.startsWith('Successfully')) this.end();
    this.io.out.write(text);
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    const took = ((performance.now() - this.started) / 1000).toFixed(2);
    this.io.out.write(this.cached ? '\x1b[36m ---> CACHED\x1b[0m\n' : `\x1b[2m ---> done in ${took}s\x1b[0m\n`);
  }
}

/** The context stream and the Dockerfile's name in it, from the PATH | - argument and -f. */
async function contextFor(source: string, file: string | undefined, io: Io): Promise<{ context: Readable; dockerfile?: string }> {
  if (/^(https?|git):\/\/|^git@/.test(source)) throw new CliError(`building from a URL is not supported: ${source}`, 1);
  const fromStdin = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of io.in as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  };
  if (source === '-') {
    if (file === '-') throw new CliError('invalid argument: can\'t use stdin for both build context and dockerfile', 1);
    const data = await fromStdin();
    const isTar = data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar';
    const isGzip = data[0] === 0x1f && data[1] === 0x8b;
    if (isTar || isGzip) return { context: Readable.from([data]), dockerfile: file };
    // Not an archive: stdin is a Dockerfile and there is no context.
    return { context: packContext(undefined, [{ name: 'Dockerfile', data }]), dockerfile: 'Dockerfile' };
  }
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new CliError(`unable to prepare context: path "${source}" not found`, 1);
  }
  if (st.isFile()) return { context: createReadStream(source), dockerfile: file };
  const dir = resolve(source);
  const extra: ExtraFile[] = [];
  let dockerfile: string | undefined;
  // What .dockerignore may not keep out, and the Dockerfile's own ignore file (the daemon chooses the same).
  let keep = ['Dockerfile', 'dockerfile', 'Dockerfile.dockerignore'];
  let specific: string | undefined = join(dir, 'Dockerfile.dockerignore');
  if (file === '-') {
    keep = [];
    specific = undefined;
    const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra.push({ name, data: await fromStdin() });
    dockerfile = name;
  } else if (file !== undefined) {
    const abs = isAbsolute(file) ? file : resolve(file);
    const rel = relative(dir, abs);
    let data: Buffer;
    try {
      data = readFileSync(abs);
    } catch {
      throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`, 1);
    }
    specific = `${abs}.dockerignore`;
    if (rel.startsWith('..') || isAbsolute(rel)) {
      keep = [];
      const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra.push({ name, data });
      const ignore = (() => {
        try {
          return readFileSync(`${abs}.dockerignore`);
        } catch {
          return undefined;
        }
      })();
      if (ignore) extra.push({ name: `${name}.dockerignore`, data: ignore });
      dockerfile = name;
    } else {
      dockerfile = rel.split('\\').join('/');
      keep = [dockerfile, `${dockerfile}.dockerignore`];
    }
  }
  return { context: packContext(dir, extra, contextFilter({ dir, keep, specific })), dockerfile };
}

function secretsOf(specs: string[]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const spec of specs) {
    const fields = Object.fromEntries(spec.split(',').map((f) => {
      const i = f.indexOf('=');
      return i < 0 ? [f, ''] : [f.slice(0, i), f.slice(i + 1)];
    }));
    const id = fields.id;
    if (!id) throw new CliError(`invalid secret ${spec}: id is required`, 1);
    const src = fields.src ?? fields.source;
    if (src) out[id] = readFileSync(src);
    else if (fields.env) out[id] = Buffer.from(process.env[fields.env] ?? '');
    else if (process.env[id] !== undefined) out[id] = Buffer.from(process.env[id] as string);
    else throw new CliError(`invalid secret ${spec}: src or env is required`, 1);
  }
  return out;
}

export const builderPruneCommand: Command = {
  name: 'prune',
  usage: 'builder prune',
  description: 'Remove build cache',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused build cache, not just dangling ones' },
    { name: 'filter', type: 'stringArray', valueName: 'filter', description: 'Provide filter values (e.g. "until=24h")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'keep-storage', valueName: 'bytes', description: 'Amount of disk space to keep for cache' },
  ],
  async run(flags, env) {
    const all = flags.bool('all');
    const keep = flags.string('keep-storage');
    const keepStorage = keep ? parseBytes('keep-storage', keep) : undefined;
    if (!flags.bool('force')) {
      const what = all ? 'all build cache' : 'all dangling build cache';
      if (!(await confirm(env.io, `WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const client = await env.client();
    const res = await client.buildPrune({ all, filters: parseFilterFlags(flags.array('filter')), keepStorage });
    printPruneReport(env.io, 'Deleted build cache objects:', res.CachesDeleted ?? [], res.SpaceReclaimed);
    return 0;
  },
};
