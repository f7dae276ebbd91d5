/**
 * Docker Engine API (1.45) image shapes as they appear on the wire:
 * `GET /images/json` items, `GET /images/{name}/json`, and the container-config
 * object image inspect embeds. Types only.
 */
import type { DockerHealthConfig } from './oci-image.js';

/** Docker's container config as image inspect shows it (`Config`). */
export interface DockerContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: DockerHealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

/** One item of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  /** Familiar tagged names ("busybox:latest"); empty for a dangling image (API >= 1.43). */
  RepoTags: string[];
  /** Familiar digested names ("busybox@sha256:..."). */
  RepoDigests: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1: not computed unless the client asks for shared sizes. */
  SharedSize: number;
  Labels: Record<string, string> | null;
  /** -1: not computed. */
  Containers: number;
}

export interface GraphDriverData {
  Name: string;
  Data: Record<string, string>;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: DockerContainerConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: GraphDriverData;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** One record of `DELETE /images/{name}` and of `POST /images/prune`. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}
