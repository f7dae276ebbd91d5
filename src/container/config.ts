import type { ContainerConfig, ContainerCreateBody, HealthConfig, HostConfig } from '../spec/docker-container.js';
import { mergeHealthcheck, validateHealthcheck } from './health-config.js';
import { parseSignal } from './signals.js';
import { invalidArgument, notFound } from '../util/errors.js';
import { normalizeLogConfig } from './log-config.js';

/** The parts of an image's config that become a container's defaults. */
export interface ImageDefaults {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
}

export interface EffectiveConfig {
  config: ContainerConfig;
  hostConfig: HostConfig;
  path: string;
  args: string[];
  runtime: string;
}

export interface MergeContext {
  id: string;
  image: ImageDefaults;
  runtimes: string[];
  defaultRuntime: string;
  /** Whether a user-defined (bridge driver) network of this name or id exists. */
  isNetwork?: (ref: string) => boolean;
  /** berthd --log-driver/--log-opt: the log config of containers that name no driver. */
  defaultLogConfig?: HostConfig['LogConfig'];
}

/** Network modes this build can give a container. */
const NETWORK_MODES = new Set(['bridge', 'none', 'host']);

function asList(value: string[] | string | null | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? [value] : value;
}

/** Merges env lists by key: later entries override earlier ones, order kept. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...overrides]) {
    const key = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    if (key === '') throw invalidArgument(`invalid environment variable: ${e}`);
    out.set(key, e);
  }
  return [...out.values()];
}

/**
 * Turns a create request plus the image's defaults into the container's
 * effective config, as Docker does: the request's Entrypoint replaces the
 * image's and then also drops the image's Cmd; `Entrypoint: [""]` clears it;
 * Env merges by key; Labels merge; WorkingDir must be absolute.
 */
export function mergeCreateConfig(body: ContainerCreateBody, ctx: MergeContext): EffectiveConfig {
  const img = ctx.image;
  const reqEntrypoint = asList(body.Entrypoint);
  const reqCmd = asList(body.Cmd);
  let entrypoint: string[];
  let cmd: string[];
  if (reqEntrypoint !== undefined) {
    entrypoint = reqEntrypoint.length === 1 && reqEntrypoint[0] === '' ? [] : reqEntrypoint;
    cmd = reqCmd ?? [];
  } else {
    entrypoint = img.Entrypoint ?? [];
    cmd = reqCmd && reqCmd.length > 0 ? reqCmd : (img.Cmd ?? []);
  }
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw invalidArgument('no command specified');

  const workingDir = body.WorkingDir || img.WorkingDir || '';
  if (workingDir !== '' && !workingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  const hostConfig: HostConfig = { ...(body.HostConfig ?? {}) };
  hostConfig.NetworkMode = normalizeNetworkMode(hostConfig.NetworkMode, ctx.isNetwork);
  if ((hostConfig.NetworkMode === 'host' || hostConfig.NetworkMode === 'none') && Object.keys(hostConfig.PortBindings ?? {}).length > 0) {
    hostConfig.PortBindings = {};
  }
  const runtime = hostConfig.Runtime || ctx.defaultRuntime;
  if (!ctx.runtimes.includes(runtime)) throw invalidArgument(`unknown or invalid runtime name: ${runtime}`);
  hostConfig.Runtime = runtime;
  const restart = hostConfig.RestartPolicy?.Name ?? '';
  if (hostConfig.AutoRemove && restart !== '' && restart !== 'no') {
    throw invalidArgument(`can't create 'AutoRemove' container with restart policy`);
  }
  hostConfig.RestartPolicy = { Name: restart || 'no', MaximumRetryCount: hostConfig.RestartPolicy?.MaximumRetryCount ?? 0 };
  hostConfig.LogConfig = normalizeLogConfig(hostConfig.LogConfig?.Type ? hostConfig.LogConfig : ctx.defaultLogConfig ?? hostConfig.LogConfig);

  const hostname = body.Hostname || (hostConfig.NetworkMode === 'host' ? '' : ctx.id.slice(0, 12));
  const config: ContainerConfig = {
    Hostname: hostname,
    Domainname: body.Domainname ?? '',
    User: body.User || img.User || '',
    AttachStdin: body.AttachStdin ?? false,
    AttachStdout: body.AttachStdout ?? false,
    AttachStderr: body.AttachStderr ?? false,
    ExposedPorts: { ...(img.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) },
    Tty: body.Tty ?? false,
    OpenStdin: body.OpenStdin ?? false,
    StdinOnce: body.StdinOnce ?? false,
    Env: mergeEnv(img.Env ?? [], body.Env ?? []),
    Cmd: cmd.length ? cmd : null,
    Image: body.Image ?? '',
    Volumes: { ...(img.Volumes ?? {}), ...(body.Volumes ?? {}) },
    WorkingDir: workingDir,
    Entrypoint: entrypoint.length ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(img.Labels ?? {}), ...(body.Labels ?? {}) },
    StopSignal: body.StopSignal || img.StopSignal || undefined,
    StopTimeout: body.StopTimeout ?? undefined,
  };
  validateHealthcheck(body.Healthcheck);
  const healthcheck = mergeHealthcheck(body.Healthcheck, img.Healthcheck);
  if (healthcheck) config.Healthcheck = healthcheck;
  if (config.StopSignal) parseSignal(config.StopSignal); // "Invalid signal: X" at create, as Docker
  if (Object.keys(config.ExposedPorts ?? {}).length === 0) delete config.ExposedPorts;
  if (Object.keys(config.Volumes ?? {}).length === 0) config.Volumes = null;
  return { config, hostConfig, path: argv[0], args: argv.slice(1), runtime };
}

function normalizeNetworkMode(mode: string | undefined, isNetwork?: (ref: string) => boolean): string {
  const m = !mode || mode === 'default' ? 'bridge' : mode;
  if (NETWORK_MODES.has(m)) return m;
  if (isNetwork?.(m)) return m;
  if (m.startsWith('container:')) {
    if (m.length === 'container:'.length) throw invalidArgument(`invalid network mode: ${m}`);
    if (!isNetwork) throw invalidArgument(`network mode ${m} is not supported without networking`);
    return m;
  }
  throw notFound(`network ${m} not found`);
}
