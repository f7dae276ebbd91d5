import { join } from 'node:path';
import type { ContainerInspect, ContainerSummary, NetworkSettings } from '../spec/docker-container.js';
import type { ContainerRecord } from './record.js';
import { isRunningStatus } from './record.js';
import { mountPoints } from './mounts.js';
import { networkSettingsOf, summaryPorts } from './network-attach.js';

function networkSettings(rec: ContainerRecord): NetworkSettings {
  return networkSettingsOf(rec, isRunningStatus(rec.state.status));
}

/** GET /containers/{id}/json */
export function toInspect(rec: ContainerRecord, dir: string, execRoot: string): ContainerInspect {
  const s = rec.state;
  void execRoot;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: {
      Status: s.status,
      Running: isRunningStatus(s.status),
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health ? { Health: s.health } : {}),
    },
    Image: rec.imageId,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: join(dir, 'ctr.log'),
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: rec.hostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: { MergedDir: join(dir, 'merged'), UpperDir: join(dir, 'upper'), WorkDir: join(dir, 'work') },
    },
    Mounts: mountPoints(rec.mounts),
    Config: rec.config,
    NetworkSettings: networkSettings(rec),
  };
}

/** The Command column as dockerd builds it: args with a space are single-quoted. */
export function commandLine(rec: ContainerRecord): string {
  return [rec.path, ...rec.args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

/** One row of GET /containers/json. */
export function toSummary(rec: ContainerRecord, now = Date.now()): ContainerSummary {
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.config.Image ?? '',
    ImageID: rec.imageId,
    Command: commandLine(rec),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: summaryPorts(rec, isRunningStatus(rec.state.status)),
    Labels: rec.config.Labels ?? {},
    State: rec.state.status,
    Status: statusText(rec, now),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: networkSettings(rec).Networks },
    Mounts: mountPoints(rec.mounts),
  };
}

/** Docker's human status: "Up 5 seconds", "Exited (0) 3 minutes ago", "Created". */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.state;
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'running': {
      const health = s.health ? ` (${s.health.Status === 'starting' ? 'health: starting' : s.health.Status})` : '';
      return `Up ${humanDuration(now - Date.parse(s.startedAt))}${health}`;
    }
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}
