/** client/: the typed Docker Engine API client. The folder's only entrance. */
import { DockerClient } from './api.js';
import { Transport, resolveHost } from './transport.js';

export { DockerClient } from './api.js';
export type { ApiTransport, BuildQuery, ContainerPathStat, NetworkJson, Query, VolumeSummary } from './api.js';
export { ClientError, DaemonUnreachableError, DEFAULT_HOST, Transport, parseHost, resolveHost } from './transport.js';
export { demuxStream, readFrames, readJsonLines } from './streams.js';

/** A client for `host` (an -H value), else BERTH_HOST, DOCKER_HOST, or the default socket. */
export function connect(host?: string): DockerClient {
  return new DockerClient(new Transport(resolveHost({ flag: host })));
}
