import { readFileSync } from 'node:fs';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import { UsageError } from '../flags.js';
import type { ContainerCreateBody, HostConfig } from '../../spec/docker-container.js';
import { parseMountFlag, parseTmpfsFlags } from '../mount-flag.js';
import { parseExpose, parsePublish } from '../publish-flag.js';
import { HEALTH_FLAGS, healthcheckFromFlags } from './health-options.js';
import { CREATE_ONLY_RESOURCE_FLAGS, RESOURCE_FLAGS, applyCreateOnlyResourceFlags, applyResourceFlags } from './resource-flags.js';

export { parseBytes } from './resource-flags.js';

/** The flags `run` and `create` share, with docker's names and help texts. */
export const CREATE_FLAGS: FlagSpec[] = [
  { name: 'add-host', type: 'stringArray', description: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'attach', short: 'a', type: 'stringArray', description: 'Attach to STDIN, STDOUT or STDERR' },
  { name: 'cap-add', type: 'stringArray', description: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'stringArray', description: 'Drop Linux capabilities' },
  { name: 'cidfile', description: 'Write the container ID to the file' },
  { name: 'domainname', description: 'Container NIS domain name' },
  { name: 'entrypoint', description: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables' },
  { name: 'env-file', type: 'stringArray', description: 'Read in a file of environment variables' },
  { name: 'group-add', type: 'stringArray', description: 'Add additional groups to join' },
  { name: 'hostname', short: 'h', description: 'Container host name' },
  { name: 'init', type: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'label', short: 'l', type: 'stringArray', description: 'Set meta data on a container' },
  { name: 'label-file', type: 'stringArray', description: 'Read in a line delimited file of labels' },
  { name: 'log-driver', description: 'Logging driver for the container' },
  { name: 'log-opt', type: 'stringArray', description: 'Log driver options', valueName: 'list' },
  { name: 'name', description: 'Assign a name to the container' },
  { name: 'network', description: 'Connect a container to a network', valueName: 'network' },
  { name: 'net', description: 'Connect a container to a network', hidden: true },
  { name: 'platform', description: 'Set platform if server is multi-platform capable' },
  { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
  { name: 'pull', default: 'missing', description: 'Pull image before running ("always", "missing", "never")' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
  { name: 'restart', default: 'no', description: 'Restart policy to apply when a container exits' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'runtime', description: 'Runtime to use for this container' },
  { name: 'security-opt', type: 'stringArray', description: 'Security Options' },
  { name: 'stop-signal', description: 'Signal to stop the container' },
  { name: 'stop-timeout', type: 'int', description: 'Timeout (in seconds) to stop a container' },
  { name: 'sysctl', type: 'stringArray', description: 'Sysctl options', valueName: 'map' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'user', short: 'u', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'workdir', short: 'w', description: 'Working directory inside the container' },
  { name: 'publish', short: 'p', type: 'stringArray', description: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  { name: 'expose', type: 'stringArray', description: 'Expose a port or a range of ports' },
  { name: 'dns', type: 'stringArray', description: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'stringArray', description: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'stringArray', description: 'Set DNS options' },
  { name: 'ip', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ip6', description: 'IPv6 address (e.g., 2001:db8::33)' },
  { name: 'mac-address', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'network-alias', type: 'stringArray', description: 'Add network-scoped alias for the container' },
  { name: 'link', type: 'stringArray', description: 'Add link to another container', valueName: 'list' },
  { name: 'volume', short: 'v', type: 'stringArray', description: 'Bind mount a volume' },
  { name: 'mount', type: 'stringArray', description: 'Attach a filesystem mount to the container', valueName: 'mount' },
  { name: 'tmpfs', type: 'stringArray', description: 'Mount a tmpfs directory', valueName: 'list' },
  { name: 'volumes-from', type: 'stringArray', description: 'Mount volumes from the specified container(s)', valueName: 'list' },
  ...HEALTH_FLAGS,
  ...RESOURCE_FLAGS,
  ...CREATE_ONLY_RESOURCE_FLAGS,
];

function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    out.push(...expandEnv([line]));
  }
  return out;
}

/** `-e NAME` without a value takes NAME from the client's environment, or is dropped. */
function expandEnv(entries: string[]): string[] {
  return entries.flatMap((e) => {
    if (e.includes('=')) return [e];
    const v = process.env[e];
    return v === undefined ? [] : [`${e}=${v}`];
  });
}

/**
 * `seccomp=FILE` becomes `seccomp=<the file's JSON>`, as the docker CLI sends
 * it: the daemon never reads the client's files. Other options pass unchanged.
 */
function readSeccompFile(opt: string): string {
  const m = /^seccomp[=:](.*)$/s.exec(opt);
  if (!m || m[1] === 'unconfined' || m[1] === 'builtin' || m[1] === '' || m[1].trimStart().startsWith('{')) return opt;
  let text: string;
  try {
    text = readFileSync(m[1], 'utf8');
  } catch (err) {
    throw new UsageError(`opening seccomp profile (${m[1]}) failed: ${(err as Error).message}`);
  }
  try {
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  } catch {
    throw new UsageError(`compacting json for seccomp profile (${m[1]}) failed: not valid JSON`);
  }
}

function parseLabels(entries: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i === 0) throw new UsageError(`invalid label format: ${e}`);
    if (i < 0) labels[e] = '';
    else labels[e.slice(0, i)] = e.slice(i + 1);
  }
  return labels;
}

/** docker's --log-driver and --log-opt key=value (parseLoggingOpts); undefined when neither is given. */
function parseLogFlags(driver: string, opts: string[]): HostConfig['LogConfig'] | undefined {
  if (!driver && opts.length === 0) return undefined;
  if (driver === 'none' && opts.length > 0) throw new UsageError(`invalid logging opts for driver ${driver}`);
  const config: Record<string, string> = {};
  for (const o of opts) {
    const i = o.indexOf('=');
    if (i < 0) config[o] = '';
    else config[o.slice(0, i)] = o.slice(i + 1);
  }
  return { Type: driver, Config: config };
}

export function parseRestart(text: string): NonNullable<HostConfig['RestartPolicy']> {
  const [name, count] = text.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name)) {
    throw new UsageError(`invalid restart policy format: ${text}`);
  }
  if (count !== undefined && name !== 'on-failure') throw new UsageError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  return { Name: (name || 'no') as 'no', MaximumRetryCount: count ? Number(count) : 0 };
}

/** Turns run/create flags and positionals (IMAGE [COMMAND] [ARG...]) into the API body. */
export function buildCreateBody(flags: ParsedFlags, detached = false): { body: ContainerCreateBody; name?: string; platform?: string } {
  const [image, ...cmd] = flags.positionals;
  const labels = parseLabels([...flags.array('label-file').flatMap(readLabelFile), ...flags.array('label')]);
  const env = [...flags.array('env-file').flatMap(readEnvFile), ...expandEnv(flags.array('env'))];
  const attach = flags.array('attach').map((s) => s.toLowerCase());
  const interactive = flags.bool('interactive');
  const hostConfig: HostConfig = {
    AutoRemove: flags.bool('rm'),
    NetworkMode: flags.string('network') || flags.string('net') || 'default',
    Runtime: flags.string('runtime') || undefined,
    RestartPolicy: parseRestart(flags.string('restart')),
    Privileged: flags.bool('privileged'),
    ReadonlyRootfs: flags.bool('read-only'),
    CapAdd: flags.array('cap-add'),
    CapDrop: flags.array('cap-drop'),
    ExtraHosts: flags.array('add-host'),
    GroupAdd: flags.array('group-add'),
    Init: flags.changed('init') ? flags.bool('init') : undefined,
    Binds: flags.array('volume'),
    Sysctls: Object.fromEntries(flags.array('sysctl').map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)])),
  };
  applyResourceFlags(flags, hostConfig);
  const logConfig = parseLogFlags(flags.string('log-driver'), flags.array('log-opt'));
  if (logConfig) hostConfig.LogConfig = logConfig;
  applyCreateOnlyResourceFlags(flags, hostConfig);
  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  parsePublish(flags.array('publish'), portBindings, exposedPorts);
  parseExpose(flags.array('expose'), exposedPorts);
  if (Object.keys(portBindings).length > 0) hostConfig.PortBindings = portBindings;
  if (flags.bool('publish-all')) hostConfig.PublishAllPorts = true;
  if (flags.array('dns').length) hostConfig.Dns = flags.array('dns');
  if (flags.array('link').length) hostConfig.Links = flags.array('link');
  if (flags.array('dns-search').length) hostConfig.DnsSearch = flags.array('dns-search');
  if (flags.array('dns-option').length) hostConfig.DnsOptions = flags.array('dns-option');
  if (flags.array('mount').length) hostConfig.Mounts = flags.array('mount').map(parseMountFlag);
  hostConfig.Tmpfs = parseTmpfsFlags(flags.array('tmpfs'));
  if (flags.array('volumes-from').length) hostConfig.VolumesFrom = flags.array('volumes-from');
  if (flags.array('security-opt').length) hostConfig.SecurityOpt = flags.array('security-opt').map(readSeccompFile);
  const body: ContainerCreateBody = {
    Image: image,
    Cmd: cmd.length ? cmd : undefined,
    Env: env,
    Labels: labels,
    Hostname: flags.string('hostname') || undefined,
    Domainname: flags.string('domainname') || undefined,
    User: flags.string('user') || undefined,
    WorkingDir: flags.string('workdir') || undefined,
    Tty: flags.bool('tty'),
    OpenStdin: interactive,
    StdinOnce: interactive && !detached,
    AttachStdin: !detached && (interactive || attach.includes('stdin')),
    AttachStdout: !detached && (attach.length === 0 || attach.includes('stdout')),
    AttachStderr: !detached && (attach.length === 0 || attach.includes('stderr')),
    StopSignal: flags.string('stop-signal') || undefined,
    StopTimeout: flags.changed('stop-timeout') ? flags.int('stop-timeout') : undefined,
    HostConfig: hostConfig,
  };
  if (Object.keys(exposedPorts).length) body.ExposedPorts = exposedPorts;
  const healthcheck = healthcheckFromFlags(flags);
  if (healthcheck) body.Healthcheck = healthcheck;
  const ip = flags.string('ip');
  const ip6 = flags.string('ip6');
  const mac = flags.string('mac-address');
  const aliases = flags.array('network-alias');
  if (ip || ip6 || mac || aliases.length) {
    const mode = hostConfig.NetworkMode === 'default' ? 'bridge' : hostConfig.NetworkMode!;
    const ipam = ip || ip6 ? { IPAMConfig: { ...(ip ? { IPv4Address: ip } : {}), ...(ip6 ? { IPv6Address: ip6 } : {}) } } : {};
    body.NetworkingConfig = {
      EndpointsConfig: { [mode]: { ...ipam, ...(mac ? { MacAddress: mac } : {}), ...(aliases.length ? { Aliases: aliases } : {}) } },
    };
  }
  if (flags.changed('entrypoint')) body.Entrypoint = flags.string('entrypoint') === '' ? [''] : [flags.string('entrypoint')];
  return { body, name: flags.string('name') || undefined, platform: flags.string('platform') || undefined };
}

function readLabelFile(path: string): string[] {
  return readEnvFile(path);
}
