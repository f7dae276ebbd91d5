import type { ContainerCreateBody, HostConfig } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';
import { newId } from '../util/ids.js';
import { mergeCreateConfig } from './config.js';
import { planMounts, type ContainerVolumes } from './mounts.js';
import { generateName, validateName } from './names.js';
import type { NetworkAttach } from './network-attach.js';
import type { ContainerImages, ContainerRuntime } from './ports.js';
import { type ContainerRecord, ZERO_TIME, nowRfc3339Nano } from './record.js';
import type { ContainerRepository } from './repository.js';
import { parseSecurityOpts } from './security-opts.js';

export interface NewRecordDeps {
  images: ContainerImages;
  runtime: ContainerRuntime;
  repo: ContainerRepository;
  volumes?: ContainerVolumes;
  network?: NetworkAttach;
  /** berthd --log-driver/--log-opt (see MergeContext). */
  defaultLogConfig?: HostConfig['LogConfig'];
}

/**
 * Turns a create request into a new container's record: resolves the image,
 * merges its defaults, picks or checks the name and plans the mounts
 * (creating named volumes that do not exist yet). Everything that can refuse
 * the request is checked before the mounts are planned, so a refused request
 * leaves nothing behind. The caller adds the record to the repository.
 */
export async function newContainerRecord(deps: NewRecordDeps, body: ContainerCreateBody, name?: string): Promise<ContainerRecord> {
  if (!body || typeof body !== 'object') throw invalidArgument('config cannot be empty in order to create a container');
  if (!body.Image) throw invalidArgument('No image specified');
  const image = await deps.images.resolve(body.Image);
  const id = newId();
  const network = deps.network;
  const effective = mergeCreateConfig(body, {
    id,
    image: image.config.config ?? {},
    runtimes: deps.runtime.names,
    defaultRuntime: deps.runtime.defaultRuntime,
    isNetwork: network ? (ref) => network.isBridgeNetwork(ref) : undefined,
    defaultLogConfig: deps.defaultLogConfig,
  });
  parseSecurityOpts(effective.hostConfig.SecurityOpt);
  // As dockerd does: a joined container that exists is named by its id, so a rename does not
  // break the join; one that does not is kept by name and refused at start.
  const mode = effective.hostConfig.NetworkMode ?? '';
  const target = mode.startsWith('container:') && deps.repo.tryFind(mode.slice('container:'.length));
  if (target) effective.hostConfig.NetworkMode = `container:${target.id}`;
  const finalName = name ? validateName(name) : generateName((n) => deps.repo.nameTaken(n));
  deps.repo.checkNameFree(finalName);
  const mounts = await planMounts({
    hostConfig: effective.hostConfig,
    volumePaths: Object.keys(effective.config.Volumes ?? {}),
    mountsOf: (ref) => deps.repo.find(ref).mounts ?? [],
    volumes: deps.volumes,
  });
  return {
    id,
    name: finalName,
    created: nowRfc3339Nano(),
    imageId: image.id,
    path: effective.path,
    args: effective.args,
    config: effective.config,
    hostConfig: effective.hostConfig,
    runtime: effective.runtime,
    state: {
      status: 'created', pid: 0, exitCode: 0, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
      oomKilled: false, exits: 0,
    },
    restartCount: 0,
    mounts,
    endpointsConfig: (body.NetworkingConfig?.EndpointsConfig as ContainerRecord['endpointsConfig']) ?? undefined,
  };
}
