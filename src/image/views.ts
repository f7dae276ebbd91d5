/**
 * What callers see of a catalog image: the service-level ImageRecord and the
 * Docker API shapes built from it (`GET /images/json` items, image inspect).
 */
import { join } from 'node:path';
import type { DockerContainerConfig, ImageInspect, ImageSummary } from '../spec/docker-image.js';
import { familiarize } from '../util/reference.js';
import type { CatalogImage } from './catalog.js';
import { chainIdsOf, type LayerStore } from './layers.js';
import { isDigestRef } from './resolve.js';
import type { ImageRecord } from './types.js';

/** Docker's zero time, shown for images never tagged. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function toRecord(img: CatalogImage, layers: LayerStore): ImageRecord {
  const refs = [...img.refs.keys()].sort();
  return {
    id: img.id,
    config: img.config,
    repoTags: refs.filter((r) => !isDigestRef(r)).map(familiarize),
    repoDigests: refs.filter(isDigestRef).map(familiarize),
    manifestDigest: img.manifestDigest,
    size: imageSize(img, layers),
    created: img.config.created ?? '',
  };
}

/** Sum of unpacked layer sizes; a layer not unpacked yet counts its blob size. */
function imageSize(img: CatalogImage, layers: LayerStore): number {
  const chains = chainIdsOf(img.config.rootfs.diff_ids);
  let total = 0;
  chains.forEach((chain, i) => {
    total += layers.get(chain)?.size ?? img.manifest.layers[i]?.size ?? 0;
  });
  return total;
}

/** Creation time in Unix seconds, with the config's sub-second precision (0 when unknown). */
export function createdTime(record: ImageRecord): number {
  const ms = Date.parse(record.created);
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

export function createdSeconds(record: ImageRecord): number {
  return Math.floor(createdTime(record));
}

export function toSummary(record: ImageRecord): ImageSummary {
  return {
    Id: record.id,
    ParentId: '',
    RepoTags: record.repoTags,
    RepoDigests: record.repoDigests,
    Created: createdSeconds(record),
    Size: record.size,
    SharedSize: -1,
    Labels: record.config.config?.Labels ?? null,
    Containers: -1,
  };
}

export function toInspect(img: CatalogImage, record: ImageRecord, layers: LayerStore): ImageInspect {
  const cfg = record.config;
  const chains = chainIdsOf(cfg.rootfs.diff_ids);
  const taggedAt = [...img.refs.values()].filter((t): t is string => !!t).sort();
  return {
    Id: record.id,
    RepoTags: record.repoTags,
    RepoDigests: record.repoDigests,
    Parent: '',
    Comment: cfg.comment ?? '',
    Created: record.created,
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: containerConfigOf(record),
    Architecture: cfg.architecture,
    ...(cfg.variant !== undefined && { Variant: cfg.variant }),
    Os: cfg.os,
    ...(cfg['os.version'] !== undefined && { OsVersion: cfg['os.version'] }),
    Size: record.size,
    GraphDriver: { Name: 'overlay2', Data: graphDriverData(chains.map((c) => layers.layerDir(c))) },
    RootFS: { Type: 'layers', Layers: [...cfg.rootfs.diff_ids] },
    Metadata: { LastTagTime: taggedAt[taggedAt.length - 1] ?? ZERO_TIME },
  };
}

/** overlay2's view: the top layer is "upper", the rest are lower dirs (topmost first). */
function graphDriverData(layerDirs: string[]): Record<string, string> {
  if (layerDirs.length === 0) return {};
  const top = layerDirs[layerDirs.length - 1];
  const lower = layerDirs.slice(0, -1).reverse().map((d) => join(d, 'diff'));
  return {
    ...(lower.length > 0 && { LowerDir: lower.join(':') }),
    MergedDir: join(top, 'merged'),
    UpperDir: join(top, 'diff'),
    WorkDir: join(top, 'work'),
  };
}

function containerConfigOf(record: ImageRecord): DockerContainerConfig {
  const c = record.config.config ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0 && { ExposedPorts: c.ExposedPorts }),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck && { Healthcheck: c.Healthcheck }),
    ...(c.ArgsEscaped && { ArgsEscaped: true }),
    Image: '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal && { StopSignal: c.StopSignal }),
    ...(c.Shell && { Shell: c.Shell }),
  };
}
