import type { Command } from '../command.js';
import { CliError } from '../command.js';
import { followResize, rawMode, runSession, terminalSize } from '../tty.js';

/**
 * `berth exec`: docker's sequence (create the exec, start it hijacked, follow
 * the terminal size, then read the exit code from the exec's inspect).
 */
export const execCommand: Command = {
  name: 'exec',
  usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  aliases: ['berth container exec', 'berth exec'],
  stopAtFirstPositional: true,
  minArgs: 2,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'detach-keys', description: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', description: 'Working directory inside the container' },
  ],
  async run(flags, env) {
    const [container, ...cmd] = flags.positionals;
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const stdin = flags.bool('interactive') && !detach;
    const client = await env.client();
    const size = tty ? terminalSize(env.io) : undefined;
    const { Id } = await client.execCreate(container, {
      AttachStdin: stdin,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Tty: tty,
      Env: flags.array('env').map((e) => (e.includes('=') ? e : `${e}=${process.env[e] ?? ''}`)),
      Cmd: cmd,
      User: flags.string('user'),
      WorkingDir: flags.string('workdir'),
      Privileged: flags.bool('privileged'),
      DetachKeys: flags.string('detach-keys'),
      ConsoleSize: size ?? null,
    });
    if (detach) {
      await client.execStartDetached(Id);
      return 0;
    }
    const stream = await client.execStart(Id, { tty, consoleSize: size });
    const restore = tty && stdin ? rawMode(env.io) : () => undefined;
    const unfollow = tty ? followResize(env.io, (h, w) => client.execResize(Id, h, w)) : () => undefined;
    let detached = false;
    try {
      ({ detached } = await runSession(env.io, stream, { tty, stdin, detachKeys: flags.string('detach-keys') }));
    } finally {
      unfollow();
      restore();
    }
    if (detached) return 0;
    const info = await client.execInspect(Id);
    if (info.ExitCode === null) throw new CliError('berth: the exec ended without an exit code', 1);
    return info.ExitCode;
  },
};
