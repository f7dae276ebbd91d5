import type { Engine } from '../engine/index.js';
import { Router } from './router.js';
import { ApiServer } from './server.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { imageRoutes } from './routes/images.js';

export { ApiServer } from './server.js';
export { API_VERSION, MIN_API_VERSION, ENGINE_VERSION } from './version.js';

/** The Docker Engine API over an engine. */
export function createApiServer(engine: Engine): ApiServer {
  const router = new Router();
  systemRoutes(router, engine);
  containerRoutes(router, engine);
  imageRoutes(router, engine);
  return new ApiServer(router);
}
