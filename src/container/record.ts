import type { ContainerConfig, ContainerStatus, HealthState, HostConfig } from '../spec/docker-container.js';
import type { MountRecord } from './mounts.js';
import type { AttachedNetwork } from './network-attach.js';

/**
 * What berth persists about one container (containers/<id>/container.json).
 * `config` is the effective configuration (image defaults merged in), as
 * `docker inspect` shows it; `path`/`args` are the resolved command line.
 */
export interface ContainerRecord {
  id: string;
  name: string; // without the leading "/"
  created: string; // RFC3339Nano
  imageId: string; // sha256:...
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  runtime: string;
  state: RecordedState;
  restartCount: number;
  /** The last exit was caused by stop or kill: restart policies leave it be (see restart.ts). */
  manuallyStopped?: boolean;
  /** Volume, bind and tmpfs mounts as planned at create (absent: none). */
  mounts?: MountRecord[];
  /** NetworkingConfig.EndpointsConfig of the create request (aliases, --ip, --mac-address per network). */
  endpointsConfig?: Record<string, EndpointRequest>;
  /** The container's endpoint while it has one (from preparation until teardown). */
  network?: AttachedNetwork;
}

export interface EndpointRequest {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  MacAddress?: string;
}

export interface RecordedState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string; // "0001-01-01T00:00:00Z" when never
  finishedAt: string;
  oomKilled: boolean;
  /** Counts exits since creation; attach/wait use it to tell "the next exit". */
  exits: number;
  /** Present once a container with a healthcheck has started (see health.ts). */
  health?: HealthState;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function isRunningStatus(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}

/** An RFC3339 timestamp with nanosecond precision, as Docker prints them. */
export function nowRfc3339Nano(): string {
  const ns = process.hrtime.bigint() % 1000000n;
  const iso = new Date().toISOString(); // 2026-11-23T01:02:03.456Z
  return iso.replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${ns.toString().padStart(6, '0')}Z`);
}
