/**
 * Wires build/ to the daemon: the image store, the step runner (runtime +
 * networks), pulls of missing base images through the distribution service,
 * and a build event like dockerd's.
 */
import { join } from 'node:path';
import { BuildService, type ImagePuller } from '../build/index.js';
import type { ImageService } from '../image/index.js';
import type { NetworkService } from '../network/index.js';
import type { Runtime } from '../runtime/index.js';
import { buildRunner } from './build-runner.js';
import { decodeRegistryAuth, registryDomain } from '../distribution/index.js';
import { parseReference } from '../util/reference.js';
import type { DistributionService } from './distribution.js';

export type { BuildMessage, BuildRequest, BuildCacheRow } from '../build/index.js';
export { BuildService } from '../build/index.js';

export function openBuildService(o: {
  dataRoot: string;
  execRoot: string;
  images: ImageService;
  runtime: Runtime;
  networks: NetworkService;
  distribution: () => DistributionService;
  /** The build cache GC bound in bytes (0: off); absent = BuildService's default. */
  keepStorage?: number;
}): Promise<BuildService> {
  const pull: ImagePuller = async (reference, p) => {
    const domain = parseReference(reference).domain;
    const auth = Object.entries(p.registryAuth ?? {}).find(([server]) => registryDomain(server) === domain)?.[1];
    await o.distribution().pull({
      reference,
      platform: p.platform,
      credentials: decodeRegistryAuth(auth),
      progress: (m) => {
        if (m.status && !m.progressDetail?.total) p.report(m.id ? `${m.id}: ${m.status}` : m.status);
      },
    });
  };
  return BuildService.open({
    images: o.images,
    runner: buildRunner({ execRoot: o.execRoot, runtime: o.runtime, networks: o.networks }),
    pull,
    dataRoot: o.dataRoot,
    tmpDir: join(o.dataRoot, 'build', 'tmp'),
  }, { keepStorage: o.keepStorage });
}
