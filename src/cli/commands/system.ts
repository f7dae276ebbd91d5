import type { Command } from '../command.js';
import { println } from '../command.js';
import { renderTemplate } from '../output.js';
import { bytesSize } from '../humanize.js';
import { ClientError } from '../../client/index.js';

const CLIENT_VERSION = '0.1.0';

export const versionCommand: Command = {
  name: 'version',
  usage: 'version [OPTIONS]',
  description: 'Show the berth version information',
  maxArgs: 0,
  flags: [{ name: 'format', short: 'f', description: 'Format output using a custom template' }],
  async run(flags, env) {
    const clientInfo = {
      Version: CLIENT_VERSION,
      ApiVersion: '1.45',
      DefaultAPIVersion: '1.45',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Context: 'default',
    };
    let server: Record<string, unknown> | undefined;
    let failure: unknown;
    try {
      server = await (await env.client()).version();
    } catch (err) {
      failure = err;
    }
    const format = flags.string('format');
    if (format) {
      println(env.io.out, renderTemplate(format, { Client: clientInfo, Server: server ?? null }));
    } else {
      println(env.io.out, `Client:\n Version:           ${clientInfo.Version}\n API version:       ${clientInfo.ApiVersion}\n Node version:      ${process.versions.node}\n OS/Arch:           linux/${clientInfo.Arch}`);
      if (server) {
        println(env.io.out, `\nServer: berth\n Engine:\n  Version:          ${server.Version}\n  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})\n  OS/Arch:          ${server.Os}/${server.Arch}\n  Kernel version:   ${server.KernelVersion}`);
      }
    }
    if (failure) throw failure;
    return 0;
  },
};

export const infoCommand: Command = {
  name: 'info',
  usage: 'info [OPTIONS]',
  description: 'Display system-wide information',
  maxArgs: 0,
  flags: [{ name: 'format', short: 'f', description: 'Format output using a custom template' }],
  async run(flags, env) {
    const client = await env.client();
    const info = await client.info();
    const format = flags.string('format');
    if (format) {
      println(env.io.out, renderTemplate(format, format.includes('.Server') || format.includes('.Client') ? { Server: info, Client: {} } : info));
      return 0;
    }
    const runtimes = Object.keys((info.Runtimes as Record<string, unknown>) ?? {}).join(' ');
    const lines = [
      'Server:',
      ` Containers: ${info.Containers}`,
      `  Running: ${info.ContainersRunning}`,
      `  Paused: ${info.ContainersPaused}`,
      `  Stopped: ${info.ContainersStopped}`,
      ` Images: ${info.Images}`,
      ` Server Version: ${info.ServerVersion}`,
      ` Storage Driver: ${info.Driver}`,
      ` Logging Driver: ${info.LoggingDriver}`,
      ` Cgroup Driver: ${info.CgroupDriver}`,
      ` Cgroup Version: ${info.CgroupVersion}`,
      ` Runtimes: ${runtimes}`,
      ` Default Runtime: ${info.DefaultRuntime}`,
      ` Kernel Version: ${info.KernelVersion}`,
      ` Operating System: ${info.OperatingSystem}`,
      ` OSType: ${info.OSType}`,
      ` Architecture: ${info.Architecture}`,
      ` CPUs: ${info.NCPU}`,
      ` Total Memory: ${bytesSize(Number(info.MemTotal))}`,
      ` Name: ${info.Name}`,
      ` Docker Root Dir: ${info.DockerRootDir}`,
      ` Debug Mode: ${info.Debug}`,
      ` Live Restore Enabled: ${info.LiveRestoreEnabled}`,
    ];
    println(env.io.out, lines.join('\n'));
    return 0;
  },
};

export { ClientError };
