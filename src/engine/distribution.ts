/**
 * Wires distribution/ to the image store: pull writes into the image service's
 * content store and adds the image through `addStored`; push reads local images
 * by name. Registry-facing events are published here.
 */
import { join } from 'node:path';
import { BlobSources, RegistryHosts, checkLogin, inspectDistribution, type DistributionInspect, pullAllTags, pullImage, pushAllTags, pushImage, type ProgressSink, type RegistryCredentials } from '../distribution/index.js';
import type { ImageService, StagedLayer } from '../image/index.js';
import type { ImageId } from '../spec/ids.js';
import { isEngineError } from '../util/errors.js';
import { familiarize } from '../util/reference.js';
import type { EventBus } from './events.js';

export class DistributionService {
  private readonly sources: BlobSources;

  constructor(
    private readonly images: ImageService,
    private readonly events: EventBus,
    private readonly dataRoot: string,
    private readonly hosts: RegistryHosts,
  ) {
    this.sources = new BlobSources(join(dataRoot, 'distribution', 'sources'));
  }

  /** Pulls one reference, or with `allTags` every tag of the repository it names. */
  async pull(o: { reference: string; allTags?: boolean; platform?: string; credentials?: RegistryCredentials; progress: ProgressSink; signal?: AbortSignal }): Promise<void> {
    const images = this.images;
    await (o.allTags ? pullAllTags : pullImage)(
      {
        content: images.content,
        sources: this.sources,
        hosts: this.hosts,
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

  /** Pushes one reference, or with `allTags` every local tag of the repository it names. */
  async push(o: { reference: string; allTags?: boolean; credentials?: RegistryCredentials; progress: ProgressSink }): Promise<void> {
    const images = this.images;
    await (o.allTags ? pushAllTags : pushImage)(
      {
        content: images.content,
        cacheDir: join(this.dataRoot, 'distribution', 'gzip'),
        sources: this.sources,
        hosts: this.hosts,
        source: {
          resolve: async (ref) => {
            const r = await images.resolve(ref);
            return { id: r.id, manifestDigest: r.manifestDigest };
          },
          tags: (repository) => images.tagsOf(repository),
          recordPushed: (ref, id) => images.addDigestReference(ref, id as ImageId),
        },
      },
      o,
    );
    this.events.publish('image', 'push', familiarize(o.reference), { name: familiarize(o.reference) });
  }

  login(serverAddress: string | undefined, credentials: RegistryCredentials): Promise<{ Status: string; IdentityToken: string }> {
    return checkLogin(this.hosts, serverAddress, credentials);
  }

  /** `GET /distribution/{name}/json`: the registry's descriptor and platforms for a reference. */
  inspect(reference: string, credentials: RegistryCredentials): Promise<DistributionInspect> {
    return inspectDistribution(this.hosts, reference, credentials);
  }

  /** `RegistryConfig` for `GET /info`. */
  registryConfig(): Record<string, unknown> {
    return this.hosts.info();
  }
}
