/**
 * The StepRunner that build/ declares, made of the runtime, the networks and
 * the container helpers: each RUN is a container run in the foreground with
 * `crun run` (no conmon, no container record: it lives only as long as the
 * step), on the overlay the builder mounted. One build shares one network
 * endpoint on the default bridge (set up at the first RUN that needs it,
 * torn down after the build).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepProcess, StepRunner, StepSession } from '../build/index.js';
import { resolveUser, writeEtcFiles } from '../container/index.js';
import type { NetworkService } from '../network/index.js';
import { buildSpec, type Runtime } from '../runtime/index.js';
import type { OciMount } from '../spec/oci-runtime.js';
import { invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';

export function buildRunner(o: { execRoot: string; runtime: Runtime; networks: NetworkService }): StepRunner {
  return {
    async open({ buildId, networkMode, extraHosts }): Promise<StepSession> {
      const dir = join(o.execRoot, 'build', buildId);
      await mkdir(dir, { recursive: true });
      const endpointId = `build-${buildId}`;
      let attached: Promise<{ netns: string; ip?: string; dns: string[] }> | undefined;

      const network = async (mode: string): Promise<{ spec: { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string }; ip?: string; dns: string[]; kind: string }> => {
        const m = mode === 'default' ? (networkMode === 'default' ? 'bridge' : networkMode) : mode;
        if (m === 'none') return { spec: { mode: 'none' }, dns: [], kind: 'none' };
        if (m === 'host') return { spec: { mode: 'host' }, dns: [], kind: 'host' };
        const net = o.networks.find(m);
        if (!net) throw invalidArgument(`network ${m} not found`);
        attached ??= o.networks
          .begin({ containerId: endpointId, containerName: endpointId, joins: [{ network: net.name }], ports: [] })
          .then(({ setup }) => setup)
          .then((ep) => ({ netns: ep.netns, ip: ep.joined[0]?.ip, dns: ep.dnsServers }));
        const a = await attached;
        return { spec: { mode: 'netns', path: a.netns }, ip: a.ip, dns: a.dns, kind: 'bridge' };
      };

      return {
        async run(rootfs: string, p: StepProcess): Promise<number> {
          const net = await network(p.network);
          const id = `build-${buildId}-${p.id}`;
          const bundleDir = join(dir, id);
          await mkdir(bundleDir, { recursive: true });
          // Each step is its own host, named by its id, as docker's intermediate containers are.
          const f = await writeEtcFiles(bundleDir, {
            hostname: p.id, networkMode: net.kind, extraHosts, ipAddress: net.ip,
            dns: net.dns.length ? { servers: net.dns, search: [], options: [] } : undefined,
          });
          const user = await resolveUser(rootfs, p.user);
          const env = [...p.env];
          if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${p.id}`);
          if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
          const bind = (source: string, destination: string, ro = false): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', ...(ro ? ['ro'] : [])] });
          const mounts: OciMount[] = [bind(f.hostnamePath, '/etc/hostname'), bind(f.hostsPath, '/etc/hosts'), bind(f.resolvConfPath, '/etc/resolv.conf')];
          for (const m of p.mounts) {
            if (m.type === 'bind') mounts.push(bind(m.source, m.target, m.readonly));
            else mounts.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size ? [`size=${m.size}`] : [])] });
          }
          const spec = buildSpec({
            id, rootfs,
            process: { args: p.args, env, cwd: p.cwd, user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids }, terminal: false },
            hostname: p.id, network: net.spec, mounts, cgroupsPath: `/berth/${id}`,
          });
          try {
            return await o.runtime.runOnce({ id, bundleDir, spec, output: (chunk) => p.output(chunk), signal: p.signal });
          } finally {
            await rm(bundleDir, { recursive: true, force: true });
          }
        },
        async close(): Promise<void> {
          if (attached) {
            await attached.catch(() => undefined);
            await o.networks.detach(endpointId).catch((err: Error) => log.warn('build network teardown failed', { error: err.message }));
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
