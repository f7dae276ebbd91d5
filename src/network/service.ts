import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Endpoints, KEEPER_ID, type AttachOptions, type EndpointRecord, type JoinRequest } from './attach.js';
import { NetworkStore, PREDEFINED, type DefaultBridge, type NetworkRecord } from './store.js';
import { forbidden, matchesNetworkFilters, networkView, planNetwork, type NetworkCreateBody } from './manage.js';
import { notFound } from '../util/errors.js';

export interface NetworkServiceOptions {
  dataRoot: string;
  execRoot: string;
  bridge: DefaultBridge;
}

/**
 * Networks and container endpoints. Lifecycle of an endpoint: `begin` at the
 * container's preparation (address and ports reserved, namespace made, then
 * netavark's setup running while the runtime prepares the container), `detach` after its exit or removal (teardown, then the
 * namespace and the reservation go). `repair` at daemon start detaches what
 * no live container holds, e.g. after a crash.
 */
export class NetworkService {
  private constructor(readonly store: NetworkStore, readonly endpoints: Endpoints) {}

  static async open(o: NetworkServiceOptions): Promise<NetworkService> {
    await mkdir(join(o.dataRoot, 'network'), { recursive: true });
    const store = await NetworkStore.open(o.dataRoot, o.bridge);
    const endpoints = await Endpoints.open({ dataRoot: o.dataRoot, execRoot: o.execRoot, store });
    return new NetworkService(store, endpoints);
  }

  find(ref: string): NetworkRecord | undefined {
    return this.store.tryFind(ref);
  }

  /** Addresses reserved and the namespace made; netavark's setup goes on in `setup` (see Endpoints.begin). */
  begin(o: AttachOptions): Promise<{ rec: EndpointRecord; setup: Promise<EndpointRecord> }> {
    return this.endpoints.begin(o);
  }

  detach(containerId: string): Promise<void> {
    return this.endpoints.detach(containerId);
  }

  connect(containerId: string, join: JoinRequest): Promise<EndpointRecord> {
    return this.endpoints.connect(containerId, join);
  }

  disconnect(containerId: string, networkId: string): Promise<void> {
    return this.endpoints.disconnect(containerId, networkId);
  }

  endpoint(containerId: string): EndpointRecord | undefined {
    return this.endpoints.get(containerId);
  }

  /** Detaches every endpoint whose container is not live (left by a crash or a removal during one). */
  async repair(isLive: (containerId: string) => boolean): Promise<void> {
    for (const e of this.endpoints.all()) if (e.containerId !== KEEPER_ID && !isLive(e.containerId)) await this.endpoints.detach(e.containerId);
  }

  // ---- the networks API ---------------------------------------------------------

  /** Throws NotFound with docker's wording. */
  get(ref: string): NetworkRecord {
    const net = this.store.tryFind(ref);
    if (!net) throw notFound(`network ${ref} not found`);
    return net;
  }

  private async settleGone(net: NetworkRecord, isGone: (containerId: string) => boolean): Promise<void> {
    for (const e of this.endpoints.all()) {
      if (isGone(e.containerId) && e.joined.some((j) => j.networkId === net.id)) await this.endpoints.detach(e.containerId);
    }
  }

  private inUse(net: NetworkRecord): boolean {
    return this.endpoints.all().some((e) => e.containerId !== KEEPER_ID && e.joined.some((j) => j.networkId === net.id));
  }

  list(filters: Record<string, string[]>, names: (id: string) => string | undefined): Array<Record<string, unknown>> {
    return this.store.records
      .filter((n) => matchesNetworkFilters(n, filters, this.inUse(n)))
      .map((n) => ({ ...networkView(n, this.endpoints.all(), names), Containers: {} }));
  }

  inspect(ref: string, names: (id: string) => string | undefined): Record<string, unknown> {
    return networkView(this.get(ref), this.endpoints.all(), names);
  }

  async create(body: NetworkCreateBody): Promise<NetworkRecord> {
    const net = await planNetwork(body, this.store);
    this.store.records.push(net);
    await this.store.save();
    return net;
  }

  /**
   * Refuses predefined networks and networks with live endpoints, in docker's
   * words. Endpoints of containers already removed (`isGone`), whose teardown
   * runs in the background, are torn down first: rm -f then network rm works.
   */
  async remove(ref: string, isGone: (containerId: string) => boolean = () => false): Promise<NetworkRecord> {
    const net = this.get(ref);
    if (PREDEFINED.includes(net.name)) throw forbidden(`${net.name} is a pre-defined network and cannot be removed`);
    await this.settleGone(net, isGone);
    if (this.inUse(net)) throw forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    this.store.records.splice(this.store.records.indexOf(net), 1);
    await this.store.save();
    return net;
  }

  /** Removes user networks no live endpoint uses; returns their names. */
  async prune(filters: Record<string, string[]>, isGone: (containerId: string) => boolean = () => false): Promise<string[]> {
    const gone: string[] = [];
    for (const net of [...this.store.records]) {
      await this.settleGone(net, isGone);
      if (PREDEFINED.includes(net.name) || this.inUse(net)) continue;
      const { until, ...rest } = filters;
      if (until?.length && Date.parse(net.created) >= Date.parse(until[0])) continue;
      if (!matchesNetworkFilters(net, rest, false)) continue;
      await this.remove(net.id);
      gone.push(net.name);
    }
    return gone;
  }
}
