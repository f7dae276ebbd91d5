/**
 * Wires distribution/ to the image store: pull writes into the image service's
 * content store and adds the image through `addStored`; push reads local images
 * by name. Registry-facing events are published here.
 */
import { join } from 'node:path';
import { checkLogin, pullAllTags, pullImage, pushImage, type ProgressSink, type RegistryCredentials } from '../distribution/index.js';
import type { ImageService, StagedLayer } from '../image/index.js';
import { isEngineError } from '../util/errors.js';
import { familiarize } from '../util/reference.js';
import type { EventBus } from './events.js';

export class DistributionService {
  constructor(
    private readonly images: ImageService,
    private readonly events: EventBus,
    private readonly dataRoot: string,
  ) {}

  /** Pulls one reference, or with `allTags` every tag of the repository it names. */
  async pull(o: { reference: string; allTags?: boolean; platform?: string; credentials?: RegistryCredentials; progress: ProgressSink; signal?: AbortSignal }): Promise<void> {
    const images = this.images;
    await (o.allTags ? pullAllTags : pullImage)(
      {
        content: images.content,
        sink: {
          currentId: async (ref) => {
            try {
              return (await images.resolve(ref)).id;
            } catch (err) {
              if (isEngineError(err, 'NotFound')) return undefined;
              throw err;
            }
          },
          layerPresent: (diffIds, index) => images.layerPresent(diffIds, index),
          stageLayer: (input) => images.stageLayer(input),
          // Only layers this image service staged come back here.
          commitLayers: (staged) => images.commitStagedLayers(staged as readonly StagedLayer[]),
          addPulled: async (input) => ({ id: (await images.addStored(input)).id }),
        },
      },
      o,
    );
    this.events.publish('image', 'pull', o.reference, { name: o.reference });
  }

  async push(o: { reference: string; credentials?: RegistryCredentials; progress: ProgressSink }): Promise<void> {
    const images = this.images;
    await pushImage(
      {
        content: images.content,
        cacheDir: join(this.dataRoot, 'distribution', 'gzip'),
        source: {
          resolve: async (ref) => {
            const r = await images.resolve(ref);
            return { id: r.id, manifestDigest: r.manifestDigest };
          },
        },
      },
      o,
    );
    this.events.publish('image', 'push', familiarize(o.reference), { name: familiarize(o.reference) });
  }

  login(serverAddress: string | undefined, credentials: RegistryCredentials): Promise<{ Status: string; IdentityToken: string }> {
    return checkLogin(serverAddress, credentials);
  }
}
