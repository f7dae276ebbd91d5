import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import { checkEndpointConfig, connectContainer, disconnectContainer, type NetworkCreateBody } from '../../engine/index.js';
import { invalidArgument } from '../../util/errors.js';

/** /networks: moby's network router, thin over the network service. */
export function networkRoutes(router: Router, engine: Engine): void {
  const nets = engine.networks;
  const names = (id: string) => {
    try {
      return engine.containers.find(id).name;
    } catch {
      return undefined;
    }
  };

  const isGone = (id: string) => names(id) === undefined;

  router.add('GET', '/networks', async (ctx) => {
    ctx.reply(200, nets.list(ctx.filters(), names));
  });

  router.add('GET', '/networks/{id}', async (ctx) => {
    ctx.reply(200, nets.inspect(ctx.params.id, names));
  });

  router.add('POST', '/networks/create', async (ctx) => {
    const body = (await ctx.json<NetworkCreateBody>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid network create body');
    const net = await nets.create(body);
    engine.events.publish('network', 'create', net.id, { name: net.name, type: net.driver });
    ctx.reply(201, { Id: net.id, Warning: '' });
  });

  router.add('DELETE', '/networks/{id}', async (ctx) => {
    const net = await nets.remove(ctx.params.id, isGone);
    engine.events.publish('network', 'destroy', net.id, { name: net.name, type: net.driver });
    ctx.empty(204);
  });

  router.add('POST', '/networks/prune', async (ctx) => {
    const gone = await nets.prune(ctx.filters(), isGone);
    engine.events.publish('network', 'prune', '', { reclaimed: '0' });
    ctx.reply(200, { NetworksDeleted: gone });
  });

  router.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = (await ctx.json<{ Container?: string; EndpointConfig?: unknown }>()) ?? {};
    if (!body.Container) throw invalidArgument('Container is required');
    await connectContainer(nets, engine.containers, ctx.params.id, body.Container, checkEndpointConfig(body.EndpointConfig));
    const net = nets.get(ctx.params.id);
    engine.events.publish('network', 'connect', net.id, { name: net.name, type: net.driver, container: engine.containers.find(body.Container).id });
    ctx.reply(200);
  });

  router.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = (await ctx.json<{ Container?: string; Force?: boolean }>()) ?? {};
    if (!body.Container) throw invalidArgument('Container is required');
    await disconnectContainer(nets, engine.containers, ctx.params.id, body.Container);
    const net = nets.get(ctx.params.id);
    engine.events.publish('network', 'disconnect', net.id, { name: net.name, type: net.driver, container: engine.containers.find(body.Container).id });
    ctx.reply(200);
  });
}
