/**
 * OCI image-spec shapes (image-spec v1.1): descriptors, manifests, indexes and the
 * image configuration file, including the fields Docker adds to the latter.
 * Field names follow the JSON on the wire exactly, so values parse and serialise
 * without mapping. Types only, plus the media-type and annotation constants.
 */
import type { Digest } from './ids.js';

export const MediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const Annotation = {
  /** In an image layout's index.json: the reference a manifest is known by. */
  refName: 'org.opencontainers.image.ref.name',
  created: 'org.opencontainers.image.created',
} as const;

export const OCI_LAYOUT_VERSION = '1.0.0';

/** The `oci-layout` marker file at the root of an image layout. */
export interface OciLayoutFile {
  imageLayoutVersion: string;
}

export interface OciPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** A typed, sized pointer to content in a content store. */
export interface OciDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: OciPlatform;
  artifactType?: string;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

/** An image index; also the shape of an image layout's `index.json`. */
export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: OciDescriptor[];
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

/** Docker's healthcheck, carried in image configs built by Docker. Durations in ns. */
export interface DockerHealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The execution parameters inside an image config (`config` key). */
export interface OciImageConfig {
  User?: string;
  /** Keys are "port/proto" ("80/tcp"); values are always empty objects. */
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  // Docker extensions, kept so images built by Docker round-trip unchanged.
  Healthcheck?: DockerHealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface OciHistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface OciRootFs {
  type: 'layers';
  /** Digests of the uncompressed layer tars, bottom first. */
  diff_ids: Digest[];
}

/** The image configuration file; its digest is the image ID. */
export interface OciImageConfigFile {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: OciImageConfig;
  rootfs: OciRootFs;
  history?: OciHistoryEntry[];
  // Docker extensions.
  comment?: string;
  docker_version?: string;
}
