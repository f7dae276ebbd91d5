import type { ContainerService } from '../container/index.js';
import type { ImageService } from '../image/index.js';
import { type VolumeService, directorySize } from '../volume/index.js';
import type { BuildService } from '../build/index.js';

export type { CreateVolumeOptions } from '../volume/index.js';

/** GET /system/df: images, containers, volumes and the build cache, with their sizes. */
export async function diskUsage(
  s: { images: ImageService; containers: ContainerService; volumes: VolumeService; builds: BuildService },
  types: string[],
): Promise<Record<string, unknown>> {
  const want = (t: string) => types.length === 0 || types.includes(t);
  const containers = s.containers.list({ all: true });
  const out: Record<string, unknown> = {};
  if (want('image')) {
    const images = await s.images.list({ all: false });
    out.LayersSize = images.reduce((n, i) => n + (i.Size ?? 0), 0);
    out.Images = images.map((i) => ({ ...i, Containers: containers.filter((c) => c.ImageID === i.Id).length }));
  }
  if (want('container')) {
    out.Containers = await Promise.all(
      containers.map(async (c) => {
        const upper = s.containers.inspect(c.Id).GraphDriver.Data?.UpperDir ?? '';
        return { ...c, SizeRw: upper ? await directorySize(upper) : 0, SizeRootFs: 0 };
      }),
    );
  }
  if (want('volume')) out.Volumes = await s.volumes.usage();
  if (want('build-cache')) out.BuildCache = s.builds.usage();
  return out;
}
