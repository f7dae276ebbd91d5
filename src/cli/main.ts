import type { Command, CommandEnv, Io } from './command.js';
import { CliError } from './command.js';
import { UsageError, formatHelp, parseFlags, parseGlobalOptions } from './flags.js';
import { ClientError, DaemonUnreachableError, connect, type DockerClient } from '../client/index.js';
import { DEFAULT_SOCKET, startDaemon } from './daemon.js';
import { runCommand, createCommand } from './commands/run.js';
import {
  psCommand, startCommand, stopCommand, restartCommand, killCommand, rmCommand, waitCommand, renameCommand,
  containerPruneCommand,
} from './commands/containers.js';
import { logsCommand } from './commands/logs.js';
import { inspectCommand } from './commands/inspect.js';
import {
  imagesCommand, rmiCommand, tagCommand, importCommand, imagePruneCommand, historyCommand,
} from './commands/images.js';
import { versionCommand, infoCommand } from './commands/system.js';
import { execCommand } from './commands/exec.js';
import { attachCommand } from './commands/attach.js';
import { eventsCommand, pauseCommand, topCommand, unpauseCommand } from './commands/running.js';
import { statsCommand } from './commands/stats.js';
import { VOLUME_COMMANDS } from './commands/volumes.js';
import { cpCommand } from './commands/cp.js';
import { diffCommand } from './commands/diff.js';
import { dfCommand } from './commands/df.js';
import { portCommand } from './commands/port.js';
import { NETWORK_COMMANDS } from './commands/networks.js';
import { pullCommand, pushCommand, loginCommand, logoutCommand } from './commands/registry.js';
import { saveCommand, loadCommand } from './commands/image-archive.js';
import { commitCommand, exportCommand } from './commands/commit.js';
import { updateCommand } from './commands/update.js';
import { buildCommand, builderPruneCommand } from './commands/build.js';

const TOP: Command[] = [
  runCommand, createCommand, psCommand, startCommand, stopCommand, restartCommand, killCommand, rmCommand,
  waitCommand, renameCommand, logsCommand, inspectCommand(undefined, 'inspect', 'inspect [OPTIONS] NAME|ID [NAME|ID...]'),
  imagesCommand, rmiCommand, tagCommand, importCommand, historyCommand, versionCommand, infoCommand,
  execCommand, attachCommand, topCommand, pauseCommand, unpauseCommand, eventsCommand, statsCommand,
  cpCommand, diffCommand, portCommand, pullCommand, pushCommand, loginCommand, logoutCommand,
  saveCommand, loadCommand, commitCommand, exportCommand, updateCommand, buildCommand,
];

const byName = (list: Command[]) => new Map(list.map((c) => [c.name, c]));

/** `berth container VERB` and `berth image VERB`. */
const GROUPS: Record<string, { description: string; commands: Map<string, Command> }> = {
  container: {
    description: 'Manage containers',
    commands: new Map([
      ...byName([runCommand, createCommand, startCommand, stopCommand, restartCommand, killCommand, rmCommand, waitCommand, renameCommand, logsCommand, containerPruneCommand]),
      ['ls', psCommand], ['list', psCommand], ['ps', psCommand], ['remove', rmCommand], ['exec', execCommand], ['attach', attachCommand],
      ['top', topCommand], ['pause', pauseCommand], ['unpause', unpauseCommand], ['stats', statsCommand],
      ['inspect', inspectCommand('container', 'inspect', 'container inspect [OPTIONS] CONTAINER [CONTAINER...]')],
      ['cp', cpCommand], ['diff', diffCommand], ['port', portCommand],
      ['commit', commitCommand], ['export', exportCommand], ['update', updateCommand],
    ]),
  },
  image: {
    description: 'Manage images',
    commands: new Map([
      ['ls', imagesCommand], ['list', imagesCommand], ['rm', rmiCommand], ['remove', rmiCommand], ['tag', tagCommand],
      ['import', importCommand], ['prune', imagePruneCommand], ['history', historyCommand],
      ['pull', pullCommand], ['push', pushCommand], ['save', saveCommand], ['load', loadCommand],
      ['inspect', inspectCommand('image', 'inspect', 'image inspect [OPTIONS] IMAGE [IMAGE...]')],
      ['build', buildCommand],
    ]),
  },
  builder: { description: 'Manage builds', commands: new Map([['prune', builderPruneCommand], ['build', buildCommand]]) },
  volume: { description: 'Manage volumes', commands: new Map(VOLUME_COMMANDS) },
  network: { description: 'Manage networks', commands: new Map(NETWORK_COMMANDS) },
  system: { description: 'Manage berth', commands: new Map([['df', dfCommand]]) },
};

function topHelp(): string {
  const lines = ['', 'Usage:  berth [OPTIONS] COMMAND', '', 'A Docker-compatible container engine', '', 'Commands:'];
  for (const c of TOP) lines.push(`  ${c.name.padEnd(11)}${c.description}`);
  lines.push('', 'Management Commands:');
  for (const [name, g] of Object.entries(GROUPS)) lines.push(`  ${name.padEnd(11)}${g.description}`);
  lines.push('', "Run 'berth COMMAND --help' for more information on a command.", '');
  return lines.join('\n');
}

/** The client for the chosen host; starts berthd when the default socket has no daemon. */
function clientFactory(host: string | undefined, io: Io): () => Promise<DockerClient> {
  let cached: Promise<DockerClient> | undefined;
  return () =>
    (cached ??= (async () => {
      const explicit = host ?? process.env.BERTH_HOST ?? process.env.DOCKER_HOST;
      const client = connect(explicit ?? `unix://${DEFAULT_SOCKET}`);
      if (explicit && explicit !== `unix://${DEFAULT_SOCKET}`) return client;
      try {
        await client.ping();
        return client;
      } catch (err) {
        if (!(err instanceof DaemonUnreachableError)) throw err;
      }
      await startDaemon(async () => {
        try {
          await client.ping();
          return true;
        } catch {
          return false;
        }
      }, io.err);
      return client;
    })());
}

/** Runs one berth invocation; returns the exit code (never calls process.exit). */
export async function main(argv: string[], io: Io): Promise<number> {
  let commandPath = 'berth';
  try {
    const { options, rest } = parseGlobalOptions(argv);
    if (options.version) {
      io.out.write('berth version 0.1.0\n');
      return 0;
    }
    if (rest.length === 0 || rest[0] === 'help') {
      io.out.write(topHelp());
      return rest.length === 0 && !options.help ? 0 : 0;
    }
    let [name, ...args] = rest;
    let command: Command | undefined;
    const group = GROUPS[name];
    if (group) {
      const verb = args.shift();
      commandPath = `berth ${name}`;
      if (!verb || verb === '--help') {
        io.out.write(`\nUsage:  berth ${name} COMMAND\n\n${group.description}\n\nCommands:\n${[...group.commands.entries()].map(([n, c]) => `  ${n.padEnd(11)}${c.description}`).join('\n')}\n`);
        return verb ? 0 : 0;
      }
      command = group.commands.get(verb);
      if (!command) throw new UsageError(`unknown command "${verb}" for "berth ${name}"`);
      name = verb;
    } else {
      command = TOP.find((c) => c.name === name);
      if (!command) {
        io.err.write(`berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information\n`);
        return 1;
      }
    }
    commandPath = `${commandPath} ${name}`;
    const flags = parseFlags(command.flags, args, { interspersed: !command.stopAtFirstPositional });
    if (flags.help) {
      io.out.write(formatHelp({ usage: command.usage, description: command.description, aliases: command.aliases, flags: command.flags }) + '\n');
      return 0;
    }
    const count = flags.positionals.length;
    if (command.minArgs !== undefined && count < command.minArgs) {
      const what = command.minArgs === 1 ? '1 argument' : `${command.minArgs} arguments`;
      const exactly = command.maxArgs === command.minArgs ? 'exactly' : 'at least';
      io.err.write(`"${commandPath}" requires ${exactly} ${what}.\nSee '${commandPath} --help'.\n\nUsage:  berth ${command.usage}\n\n${command.description}\n`);
      return 1;
    }
    if (command.maxArgs !== undefined && count > command.maxArgs) {
      const what = command.maxArgs === 0 ? 'no arguments' : `at most ${command.maxArgs} argument${command.maxArgs > 1 ? 's' : ''}`;
      io.err.write(`"${commandPath}" accepts ${what}.\nSee '${commandPath} --help'.\n\nUsage:  berth ${command.usage}\n\n${command.description}\n`);
      return 1;
    }
    const env: CommandEnv = { io, client: clientFactory(options.host, io) };
    return await command.run(flags, env);
  } catch (err) {
    return reportError(err, io, commandPath);
  }
}

/** Prints an error as docker does and picks the exit code. */
function reportError(err: unknown, io: Io, commandPath: string): number {
  const isRun = /^berth (container )?(run|create)$/.test(commandPath);
  if (err instanceof UsageError) {
    io.err.write(`${err.message}\nSee '${commandPath} --help'.\n`);
    return 125;
  }
  if (err instanceof CliError) {
    io.err.write(`${err.message}\n`);
    if (isRun && err.exitCode !== 1) io.err.write(`See '${commandPath} --help'.\n`);
    return err.exitCode;
  }
  if (err instanceof ClientError || err instanceof DaemonUnreachableError) {
    const text = err instanceof ClientError ? `Error response from daemon: ${err.message}` : err.message;
    if (isRun) {
      io.err.write(`berth: ${text}\nSee '${commandPath} --help'.\n`);
      return 125;
    }
    io.err.write(`${text}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err.write(`${isRun ? 'berth: ' : ''}${message}\n`);
  return isRun ? 125 : 1;
}
