import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { execFileText } from '../util/exec.js';
import { EngineError } from '../util/errors.js';

/**
 * One veth pair from a bridge that is already up into a namespace, with the
 * address, MAC and default route netavark would give it: the whole setup of
 * an endpoint whose network-wide part (bridge, NAT and forward rules) another
 * endpoint already made. Two `ip -batch` runs, one on each side, instead of
 * netavark's run of iptables checks under the host-wide lock.
 */
export async function plumbVeth(o: {
  netns: string; bridge: string; ifname: string; mac: string; ip: string; prefixLen: number; gateway: string;
}): Promise<void> {
  const hostSide = `vb${randomBytes(5).toString('hex')}`;
  await batch('ip', ['-batch', '-'], [
    `link add ${hostSide} type veth peer name ${o.ifname} address ${o.mac} netns ${o.netns}`,
    `link set ${hostSide} master ${o.bridge}`,
    `link set ${hostSide} up`,
  ]);
  await batch('nsenter', [`--net=${o.netns}`, 'ip', '-batch', '-'], [
    'link set lo up',
    `addr add ${o.ip}/${o.prefixLen} dev ${o.ifname}`,
    `link set ${o.ifname} up`,
    `route add default via ${o.gateway} dev ${o.ifname}`,
  ]);
}

/** Whether a network interface exists on the host. */
export function interfaceExists(name: string): Promise<boolean> {
  return access(`/sys/class/net/${name}`).then(() => true, () => false);
}

async function batch(file: string, args: string[], lines: string[]): Promise<void> {
  const r = await execFileText(file, args, { input: lines.join('\n') + '\n', allowFailure: true });
  if (r.code !== 0) throw new EngineError('Internal', `setting up the container's interface failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}
