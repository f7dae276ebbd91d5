/**
 * `docker commit` and `docker export`: container state turned into an image or
 * a tarball. The container's layer is `<data-root>/containers/<id>/upper`;
 * export reads the merged filesystem through the container service's rootfs
 * mount.
 */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerService } from '../container/index.js';
import { treeTar, type ImageRecord, type ImageService } from '../image/index.js';
import type { OciImageConfig } from '../spec/oci-image.js';

export interface CommitRequest {
  container: string;
  reference?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  /** Freeze a running container while its layer is read (docker's default: true). */
  pause?: boolean;
}

export async function commitContainer(
  deps: { images: ImageService; containers: ContainerService; dataRoot: string },
  req: CommitRequest,
): Promise<ImageRecord> {
  const rec = deps.containers.find(req.container);
  const parent = await deps.images.resolve(rec.imageId);
  const c = rec.config;
  const list = (v: string[] | string | null | undefined) => (v === undefined ? undefined : v === null ? null : Array.isArray(v) ? v : [v]);
  // The container's own settings win over the image's, as docker commit keeps them.
  const config: OciImageConfig = {
    ...(parent.config.config ?? {}),
    ...(c.User !== undefined && c.User !== '' && { User: c.User }),
    ...(c.Env && { Env: c.Env }),
    ...(c.Cmd !== undefined && { Cmd: list(c.Cmd) }),
    ...(c.Entrypoint !== undefined && { Entrypoint: list(c.Entrypoint) }),
    ...(c.WorkingDir && { WorkingDir: c.WorkingDir }),
    ...(c.Labels && { Labels: c.Labels }),
    ...(c.StopSignal && { StopSignal: c.StopSignal }),
    ...(c.Healthcheck && { Healthcheck: { ...c.Healthcheck, Test: c.Healthcheck.Test ?? undefined } }),
  };
  // As dockerd: a running container is paused for the copy and unpaused after,
  // so the layer is one consistent moment; a container paused already stays so.
  const freeze = req.pause !== false && rec.state.status === 'running';
  if (freeze) await deps.containers.setPaused(rec.id, true);
  try {
    return await commitLayer(deps, req, rec, config);
  } finally {
    if (freeze) await deps.containers.setPaused(rec.id, false);
  }
}

function commitLayer(
  deps: { images: ImageService; dataRoot: string },
  req: CommitRequest,
  rec: { id: string; imageId: string; mounts?: Array<{ Destination: string }> },
  config: OciImageConfig,
): Promise<ImageRecord> {
  return deps.images.commit({
    upperDir: join(deps.dataRoot, 'containers', rec.id, 'upper'),
    parentId: rec.imageId,
    reference: req.reference,
    comment: req.comment,
    author: req.author,
    changes: req.changes,
    mountPoints: (rec.mounts ?? []).map((m) => m.Destination),
    config,
  });
}

/** Writes the container's merged filesystem as a tar, without /proc, /sys and /dev contents. */
export async function exportContainer(containers: ContainerService, ref: string, out: Writable): Promise<void> {
  const rec = containers.find(ref);
  await containers.withRootfs(rec, (rootfs) => pipeline(treeTar(rootfs, { layer: false, skipTrees: new Set(['/proc', '/sys']) }), out));
}
