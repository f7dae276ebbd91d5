import type { Command, CommandEnv } from '../command.js';
import { CliError, println } from '../command.js';
import type { ParsedFlags } from '../flags.js';
import { CREATE_FLAGS, buildCreateBody } from './create-options.js';
import { ClientError, readJsonLines, type DockerClient } from '../../client/index.js';
import { attachAndWait } from './attach-helpers.js';
import type { ContainerCreateBody } from '../../spec/docker-container.js';

/**
 * Creates a container, pulling its image when it is missing, with docker's
 * "Unable to find image" notice.
 */
export async function createContainer(
  client: DockerClient,
  env: CommandEnv,
  created: { body: ContainerCreateBody; name?: string; platform?: string },
  pullPolicy: string,
): Promise<string> {
  const image = created.body.Image ?? '';
  try {
    const res = await client.containerCreate(created.body, { name: created.name, platform: created.platform });
    for (const w of res.Warnings ?? []) println(env.io.err, `WARNING: ${w}`);
    return res.Id;
  } catch (err) {
    if (!(err instanceof ClientError) || err.status !== 404 || !/no such image/i.test(err.message) || pullPolicy === 'never') throw err;
    const ref = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`;
    println(env.io.err, `Unable to find image '${ref}' locally`);
    const at = ref.indexOf('@');
    const cut = at >= 0 ? at : ref.lastIndexOf(':');
    const progress = await client.imagePull(ref.slice(0, cut), { tag: ref.slice(cut + 1), platform: created.platform });
    for await (const msg of readJsonLines(progress)) {
      const m = msg as { error?: string; errorDetail?: { message?: string } };
      if (m.error) throw new CliError(`berth: Error response from daemon: ${m.errorDetail?.message ?? m.error}`, 125);
    }
    const res = await client.containerCreate(created.body, { name: created.name, platform: created.platform });
    return res.Id;
  }
}

/** docker's exit codes for a container that could not start. */
export function startErrorCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

async function runContainer(flags: ParsedFlags, env: CommandEnv): Promise<number> {
  const detach = flags.bool('detach');
  const spec = buildCreateBody(flags, detach);
  const client = await env.client();
  const id = await createContainer(client, env, spec, flags.string('pull'));
  if (detach) {
    await startOrExplain(client, id);
    println(env.io.out, id);
    return 0;
  }
  const autoRemove = spec.body.HostConfig?.AutoRemove === true;
  return attachAndWait(client, env, id, spec.body.Tty === true, () => startOrExplain(client, id), {
    condition: autoRemove ? 'removed' : 'next-exit',
    stdout: spec.body.AttachStdout,
    stderr: spec.body.AttachStderr,
    stdin: spec.body.AttachStdin,
    detachKeys: flags.string('detach-keys'),
    sigProxy: flags.bool('sig-proxy'),
  });
}

async function startOrExplain(client: DockerClient, id: string): Promise<void> {
  try {
    await client.containerStart(id);
  } catch (err) {
    if (err instanceof ClientError) throw new CliError(`berth: Error response from daemon: ${err.message}`, startErrorCode(err.message));
    throw err;
  }
}

export const runCommand: Command = {
  name: 'run',
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  aliases: ['berth container run', 'berth run'],
  flags: [
    ...CREATE_FLAGS,
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    { name: 'detach-keys', description: 'Override the key sequence for detaching a container' },
    { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy received signals to the process' },
  ],
  stopAtFirstPositional: true,
  minArgs: 1,
  run: runContainer,
};

export const createCommand: Command = {
  name: 'create',
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  aliases: ['berth container create', 'berth create'],
  flags: CREATE_FLAGS,
  stopAtFirstPositional: true,
  minArgs: 1,
  async run(flags, env) {
    const client = await env.client();
    const id = await createContainer(client, env, buildCreateBody(flags), flags.string('pull'));
    println(env.io.out, id);
    return 0;
  },
};
