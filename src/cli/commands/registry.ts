/**
 * `berth pull`, `push`, `login`, `logout`. Credentials live client-side in
 * docker's config file (`$DOCKER_CONFIG/config.json`, default
 * `~/.docker/config.json`, `auths.<registry>.auth` = base64 "user:pass") and
 * travel to the daemon as X-Registry-Auth. Nothing here prints a password.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Command, CommandEnv } from '../command.js';
import type { ParsedFlags } from '../flags.js';
import { CliError, println } from '../command.js';
import { isTerminal, prompt } from '../prompt.js';
import { ClientError, readJsonLines } from '../../client/index.js';
import { parseReference, familiarString, withDefaultTag } from '../../util/reference.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

function configPath(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

async function readConfig(): Promise<DockerConfigFile> {
  try {
    return JSON.parse(await readFile(configPath(), 'utf8')) as DockerConfigFile;
  } catch {
    return {};
  }
}

async function writeConfig(cfg: DockerConfigFile): Promise<void> {
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** The config key for a registry: docker.io is docker's index URL, others as typed. */
function serverKey(server: string | undefined): string {
  const s = (server ?? '').replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (s === '' || s === 'docker.io' || s === 'index.docker.io' || s === 'index.docker.io/v1' || s === 'registry-1.docker.io') return 'https://index.docker.io/v1/';
  return s;
}

/** X-Registry-Auth for the registry `domain`, from the config file (undefined when none). */
export async function registryAuthFor(domain: string): Promise<string | undefined> {
  const auths = (await readConfig()).auths ?? {};
  const key = serverKey(domain);
  const entry = Object.entries(auths).find(([k]) => serverKey(k) === key)?.[1];
  if (!entry?.auth && !entry?.identitytoken) return undefined;
  const plain = Buffer.from(entry.auth ?? '', 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  const username = colon >= 0 ? plain.slice(0, colon) : plain;
  // As docker: an identity token (a refresh token from the registry's token server) replaces the password.
  const body = entry.identitytoken
    ? { username, identitytoken: entry.identitytoken, serveraddress: key }
    : { username, password: plain.slice(colon + 1), serveraddress: key };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/**
 * X-Registry-Config for a build: every stored credential, as docker's CLI
 * sends them (base64url JSON, server → AuthConfig); undefined when none.
 */
export async function registryConfigHeader(): Promise<string | undefined> {
  const auths = (await readConfig()).auths ?? {};
  const out: Record<string, { username: string; password: string; serveraddress: string }> = {};
  for (const [server, entry] of Object.entries(auths)) {
    if (!entry.auth) continue;
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) out[server] = { username: plain.slice(0, colon), password: plain.slice(colon + 1), serveraddress: server };
  }
  return Object.keys(out).length ? Buffer.from(JSON.stringify(out)).toString('base64url') : undefined;
}

/**
 * Prints a progress stream as docker does without a terminal: one line per
 * status, `id: status` when there is an id, bars left out. Returns the error a
 * stream ended with, if any.
 */
async function printProgress(stream: Readable, env: CommandEnv, quiet: boolean): Promise<void> {
  for await (const msg of readJsonLines(stream)) {
    const m = msg as { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
    if (m.error) throw new CliError(m.errorDetail?.message ?? m.error, 1);
    if (quiet || !m.status || /^(Downloading|Extracting|Pushing)$/.test(m.status)) continue;
    println(env.io.out, m.id ? `${m.id}: ${m.status}` : m.status);
  }
}

function daemonError(err: unknown): never {
  if (err instanceof ClientError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
  throw err;
}

/** The NAME argument of pull and push: `latest` unless --all-tags, which refuses a tag or digest as docker does. */
function pullPushReference(flags: ParsedFlags): { allTags: boolean; ref: ReturnType<typeof parseReference> } {
  const allTags = flags.bool('all-tags');
  const parsed = parseReference(flags.positionals[0]);
  if (allTags && (parsed.tag !== undefined || parsed.digest !== undefined)) throw new CliError("berth: tag can't be used with --all-tags/-a", 1);
  return { allTags, ref: allTags ? parsed : withDefaultTag(parsed) };
}

export const pullCommand: Command = {
  name: 'pull',
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  aliases: ['berth image pull', 'berth pull'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
    { name: 'platform', description: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(flags, env) {
    const { allTags, ref } = pullPushReference(flags);
    const client = await env.client();
    const name = `${ref.domain}/${ref.path}`;
    const tag = allTags ? undefined : ref.digest ?? ref.tag;
    const registryAuth = await registryAuthFor(ref.domain);
    const quiet = flags.bool('quiet');
    try {
      const stream = await client.imagePull(name, { tag, platform: flags.string('platform') || undefined, registryAuth });
      await printProgress(stream, env, quiet);
    } catch (err) {
      daemonError(err);
    }
    println(env.io.out, allTags ? name : `${name}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`);
    return 0;
  },
};

export const pushCommand: Command = {
  name: 'push',
  usage: 'push [OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  aliases: ['berth image push', 'berth push'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(flags, env) {
    const { allTags, ref } = pullPushReference(flags);
    const client = await env.client();
    const registryAuth = await registryAuthFor(ref.domain);
    try {
      const stream = await client.imagePush(`${ref.domain}/${ref.path}`, { tag: allTags ? undefined : ref.tag, registryAuth });
      await printProgress(stream, env, flags.bool('quiet'));
    } catch (err) {
      daemonError(err);
    }
    if (flags.bool('quiet')) println(env.io.out, familiarString(ref));
    return 0;
  },
};

async function readPasswordStdin(env: CommandEnv): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of env.io.in as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const loginCommand: Command = {
  name: 'login',
  usage: 'login [OPTIONS] [SERVER]',
  description: 'Log in to a registry',
  aliases: ['berth login'],
  maxArgs: 1,
  flags: [
    { name: 'username', short: 'u', description: 'Username' },
    { name: 'password', short: 'p', description: 'Password' },
    { name: 'password-stdin', type: 'bool', description: 'Take the password from stdin' },
  ],
  async run(flags, env) {
    const server = serverKey(flags.positionals[0]);
    let username = flags.string('username');
    let password = flags.string('password');
    if (flags.bool('password-stdin')) {
      if (password) throw new CliError('--password and --password-stdin are mutually exclusive', 1);
      password = await readPasswordStdin(env);
    }
    if (flags.bool('password-stdin') && !username) throw new CliError('Must provide --username with --password-stdin', 1);
    if (!username || !password) {
      // As docker: ask on the terminal for what the flags did not give.
      if (!isTerminal(env.io)) throw new CliError('Error: Cannot perform an interactive login from a non TTY device', 1);
      if (!username) username = (await prompt(env.io, 'Username: ', true)).trim();
      if (!username) throw new CliError('Error: Non-null Username Required', 1);
      if (!password) password = await prompt(env.io, 'Password: ', false);
      if (!password) throw new CliError('Error: Non-null Password Required', 1);
    }
    if (flags.string('password')) println(env.io.err, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
    const client = await env.client();
    let identityToken = '';
    try {
      identityToken = (await client.auth({ username, password, serveraddress: server })).IdentityToken ?? '';
    } catch (err) {
      daemonError(err);
    }
    const cfg = await readConfig();
    // With an identity token the password is not kept: docker stores "user:" and the token.
    const entry = identityToken
      ? { auth: Buffer.from(`${username}:`).toString('base64'), identitytoken: identityToken }
      : { auth: Buffer.from(`${username}:${password}`).toString('base64') };
    cfg.auths = { ...cfg.auths, [server]: entry };
    await writeConfig(cfg);
    println(env.io.out, 'Login Succeeded');
    return 0;
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  usage: 'logout [SERVER]',
  description: 'Log out from a registry',
  aliases: ['berth logout'],
  maxArgs: 1,
  flags: [],
  async run(flags, env) {
    const server = serverKey(flags.positionals[0]);
    const cfg = await readConfig();
    const key = Object.keys(cfg.auths ?? {}).find((k) => serverKey(k) === server);
    if (key === undefined) {
      println(env.io.out, `Not logged in to ${server}`);
      return 0;
    }
    println(env.io.out, `Removing login credentials for ${server}`);
    delete cfg.auths?.[key];
    await writeConfig(cfg);
    return 0;
  },
};
