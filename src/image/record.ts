import type { ImageId } from '../spec/ids.js';
import { MediaType, type OciDescriptor, type OciImageConfigFile, type OciManifest } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import type { Catalog } from './catalog.js';

/**
 * The last step of making an image locally (import, commit): stores its config
 * and manifest as blobs, adds it to the catalog and, with `ref`, tags it. Runs
 * inside a catalog mutation, after the layers it names are committed.
 */
export async function recordImage(
  content: ContentStore,
  cat: Catalog,
  o: { config: OciImageConfigFile; layers: OciDescriptor[]; ref?: string; created: string },
): Promise<ImageId> {
  const configBytes = Buffer.from(JSON.stringify(o.config));
  const configDigest = await content.writeBlob(configBytes);
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: configDigest, size: configBytes.length },
    layers: o.layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await content.writeBlob(manifestBytes);
  const id = configDigest as string as ImageId;
  cat.add({ id, manifestDigest, manifestSize: manifestBytes.length, manifest, config: o.config });
  if (o.ref !== undefined) cat.setRef(o.ref, id, o.created);
  return id;
}
