import type { Engine } from '../engine/index.js';
import { Router } from './router.js';
import { ApiServer } from './server.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { imageRoutes } from './routes/images.js';
import { volumeRoutes } from './routes/volumes.js';
import { archiveRoutes } from './routes/archive.js';
import { dfRoutes } from './routes/df.js';
import { execRoutes } from './routes/exec.js';
import { runningRoutes } from './routes/running.js';
import { distributionRoutes } from './routes/distribution.js';
import { networkRoutes } from './routes/networks.js';
import { imageArchiveRoutes } from './routes/image-archive.js';
import { commitRoutes } from './routes/commit.js';
import { buildRoutes } from './routes/build.js';

export { ApiServer } from './server.js';
export { API_VERSION, MIN_API_VERSION, ENGINE_VERSION } from './version.js';

/** The Docker Engine API over an engine. */
export function createApiServer(engine: Engine): ApiServer {
  const router = new Router();
  systemRoutes(router, engine);
  containerRoutes(router, engine);
  imageRoutes(router, engine);
  volumeRoutes(router, engine);
  archiveRoutes(router, engine);
  dfRoutes(router, engine);
  execRoutes(router, engine);
  runningRoutes(router, engine);
  distributionRoutes(router, engine);
  networkRoutes(router, engine);
  imageArchiveRoutes(router, engine);
  commitRoutes(router, engine);
  buildRoutes(router, engine);
  return new ApiServer(router);
}
