import type { HostConfig, RestartPolicy } from '../spec/docker-container.js';
import { EngineError, conflict, invalidArgument, messageOf } from '../util/errors.js';
import { hostResources, toOciResources } from '../runtime/index.js';
import { UPDATABLE_FIELDS, checkResources, resourceLimits } from './limits.js';
import type { ContainerRecord } from './record.js';

/** The body of POST /containers/{id}/update: Docker's Resources plus RestartPolicy. */
export type UpdateBody = Partial<Pick<HostConfig, (typeof UPDATABLE_FIELDS)[number]>> & {
  RestartPolicy?: RestartPolicy;
  [key: string]: unknown;
};

export interface UpdateDeps {
  /** Applies OCI `linux.resources` to the container's cgroup (`<runtime> update`). */
  applyResources(rec: ContainerRecord, resources: ReturnType<typeof toOciResources>): Promise<void>;
  /** A created container prepared in the runtime with its old limits drops that preparation. */
  discardPrepared(rec: ContainerRecord): Promise<void>;
}

const cannotUpdate = (rec: ContainerRecord, why: string): EngineError => invalidArgument(`Cannot update container ${rec.id}: ${why}`);

/**
 * The HostConfig after an update, as dockerd's container.UpdateContainer merges
 * it: only fields the request sets (non-zero) change; NanoCpus and CpuPeriod/CpuQuota
 * exclude each other across the old and new values. Pure; throws InvalidArgument.
 */
export function mergeUpdate(rec: ContainerRecord, body: UpdateBody): HostConfig {
  const old = rec.hostConfig;
  const hc: HostConfig = { ...old };
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  if (num(body.NanoCpus) > 0 && num(old.CpuPeriod) > 0) throw cannotUpdate(rec, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (num(body.NanoCpus) > 0 && num(old.CpuQuota) > 0) throw cannotUpdate(rec, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  if (num(body.CpuPeriod) > 0 && num(old.NanoCpus) > 0) throw cannotUpdate(rec, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (num(body.CpuQuota) > 0 && num(old.NanoCpus) > 0) throw cannotUpdate(rec, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  for (const key of UPDATABLE_FIELDS) {
    const v = body[key];
    if (v === undefined || v === null || v === 0 || v === '') continue;
    if (typeof v !== typeof (key.startsWith('Cpuset') ? '' : 0)) throw invalidArgument(`invalid value for ${key}: ${JSON.stringify(v)}`);
    (hc as Record<string, unknown>)[key] = v;
  }
  // PidsLimit is a pointer in Docker's API: absent leaves it, 0 or -1 lifts the limit.
  if (typeof body.PidsLimit === 'number' && body.PidsLimit <= 0) hc.PidsLimit = null;
  const memory = num(body.Memory);
  if (memory > 0 && num(body.MemorySwap) === 0 && num(old.MemorySwap) > 0 && memory > num(old.MemorySwap)) {
    throw cannotUpdate(rec, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  if (body.RestartPolicy && body.RestartPolicy.Name !== undefined) {
    const name = body.RestartPolicy.Name || 'no';
    if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw invalidArgument(`invalid restart policy '${name}'`);
    if (old.AutoRemove && name !== 'no') {
      throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    const count = body.RestartPolicy.MaximumRetryCount ?? 0;
    if (count < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
    if (count > 0 && name !== 'on-failure') throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    hc.RestartPolicy = { Name: name as RestartPolicy['Name'], MaximumRetryCount: count };
  }
  return hc;
}

/**
 * `docker update`: checks the request, applies the new limits to a running or
 * paused container's cgroup through the runtime, and records them in HostConfig,
 * where a stopped container picks them up at its next start. The record is
 * changed only when everything succeeded; the caller holds the container's lock
 * and persists it. Returns dockerd's warnings.
 */
export async function updateContainer(rec: ContainerRecord, body: UpdateBody, deps: UpdateDeps): Promise<string[]> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid update request: the body must be a JSON object');
  if (rec.state.status === 'removing' || rec.state.status === 'dead') {
    throw conflict(`Cannot update container ${rec.id}: container is marked for removal and cannot be "update"`);
  }
  const hc = mergeUpdate(rec, body);
  const warnings = checkResources(hc, await hostResources(), { update: true });
  // A restarting container has no process between two runs: its next start applies the record.
  if (rec.state.status === 'running' || rec.state.status === 'paused') {
    try {
      const resources = toOciResources(resourceLimits(hc));
      if (hc.PidsLimit === null && typeof body.PidsLimit === 'number') resources.pids = { limit: -1 };
      await deps.applyResources(rec, resources);
    } catch (err) {
      throw cannotUpdate(rec, messageOf(err));
    }
  } else if (rec.state.status === 'created') {
    await deps.discardPrepared(rec);
  }
  rec.hostConfig = hc;
  return warnings;
}
