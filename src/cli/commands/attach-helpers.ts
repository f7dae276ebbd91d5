import type { Readable } from 'node:stream';
import type { CommandEnv } from '../command.js';
import { println } from '../command.js';
import { demuxStream, type DockerClient } from '../../client/index.js';
import { followResize, rawMode, runSession } from '../tty.js';

/**
 * Docker's attached-run sequence: attach to the output, register the wait,
 * then start; stream the output until the container closes it, forwarding
 * SIGINT/SIGTERM to the container; return the container's exit code.
 */
export async function attachAndWait(
  client: DockerClient,
  env: CommandEnv,
  id: string,
  tty: boolean,
  start: () => Promise<void>,
  o: { condition?: string; stdout?: boolean; stderr?: boolean; stdin?: boolean; detachKeys?: string; sigProxy?: boolean } = {},
): Promise<number> {
  // Both must be registered before start; they need not wait for each other.
  const stopWaiting = new AbortController();
  const [attach, waited] = await Promise.all([
    client.containerAttach(id, { stream: true, stdin: o.stdin, stdout: o.stdout ?? true, stderr: o.stderr ?? true, detachKeys: o.detachKeys || undefined }),
    client.containerWait(id, o.condition ?? 'next-exit', stopWaiting.signal),
  ]);
  // With stdin or a terminal, the session also forwards our input and watches for the detach keys.
  const interactive = o.stdin === true || tty;
  const session = interactive ? runSession(env.io, attach, { tty, stdin: o.stdin === true, detachKeys: o.detachKeys }) : undefined;
  const output = session ? session.then(() => undefined) : pipeOutput(attach, env, tty);
  const restore = tty && o.stdin ? rawMode(env.io) : () => undefined;
  let unfollow: () => void = () => undefined;
  try {
    await start();
    if (tty) unfollow = followResize(env.io, (h, w) => client.containerResize(id, h, w));
  } catch (err) {
    restore();
    attach.destroy();
    throw err;
  }
  const forward = (signal: NodeJS.Signals) => void client.containerKill(id, signal).catch(() => undefined);
  if (o.sigProxy !== false) {
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
  }
  try {
    await output;
    if ((await session)?.detached) {
      // The container runs on; drop the wait so nothing keeps this process alive.
      waited.result.catch(() => undefined);
      stopWaiting.abort();
      return 0;
    }
    const result = await waited.result;
    if (result.Error?.Message) println(env.io.err, `berth: ${result.Error.Message}`);
    return result.StatusCode;
  } finally {
    unfollow();
    restore();
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** Copies the attach stream to our stdout/stderr; settles when the daemon closes it. */
async function pipeOutput(stream: Readable, env: CommandEnv, tty: boolean): Promise<void> {
  const write = (to: NodeJS.WritableStream) => (b: Buffer) => void to.write(b);
  try {
    if (tty) {
      for await (const chunk of stream) write(env.io.out)(chunk as Buffer);
    } else {
      await demuxStream(stream, write(env.io.out), write(env.io.err));
    }
  } catch {
    // A connection cut mid-stream ends the output; the wait result still decides the exit code.
  }
}
