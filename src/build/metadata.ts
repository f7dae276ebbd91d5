/**
 * Instructions that change only the image config (no layer): applied to a
 * copy of the config, already expanded. Pure. Errors are InvalidArgument.
 */
import { constants } from 'node:os';
import type { OciImageConfig } from '../spec/oci-image.js';
import { invalidArgument } from '../util/errors.js';
import { shellCommandArgs, type Instruction } from './dockerfile/index.js';
import { absoluteIn } from './paths.js';

export type MetadataInstruction = Extract<
  Instruction,
  { kind: 'CMD' | 'ENTRYPOINT' | 'ENV' | 'LABEL' | 'EXPOSE' | 'WORKDIR' | 'USER' | 'VOLUME' | 'ONBUILD' | 'STOPSIGNAL' | 'HEALTHCHECK' | 'SHELL' | 'MAINTAINER' }
>;

export const isMetadata = (ins: Instruction): ins is MetadataInstruction =>
  !['FROM', 'RUN', 'COPY', 'ADD', 'ARG'].includes(ins.kind);

export interface StageFlags {
  /** CMD was set in this stage: a later ENTRYPOINT keeps it (docker resets an inherited CMD). */
  cmdSet: boolean;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Applies one metadata instruction; returns the new exec config and, for MAINTAINER, the author. */
export function applyMetadata(cfg: OciImageConfig, ins: MetadataInstruction, flags: StageFlags): { config: OciImageConfig; author?: string } {
  const c: OciImageConfig = { ...cfg };
  const shell = c.Shell?.length ? c.Shell : DEFAULT_SHELL;
  switch (ins.kind) {
    case 'CMD':
      c.Cmd = shellCommandArgs(ins.command, shell);
      flags.cmdSet = true;
      break;
    case 'ENTRYPOINT':
      c.Entrypoint = shellCommandArgs(ins.command, shell);
      if (ins.command.form === 'shell' && ins.command.text === '') c.Entrypoint = null;
      if (!flags.cmdSet) c.Cmd = null;
      break;
    case 'ENV':
      c.Env = setEnv(c.Env ?? [], ins.pairs);
      break;
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of ins.pairs) {
        if (k === '') throw invalidArgument('LABEL names can not be blank');
        c.Labels[k] = v;
      }
      break;
    case 'EXPOSE':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) for (const port of exposedPorts(p)) c.ExposedPorts[port] = {};
      break;
    case 'WORKDIR':
      if (ins.path === '') throw invalidArgument('WORKDIR requires exactly one argument');
      c.WorkingDir = absoluteIn(c.WorkingDir ?? '/', ins.path).replace(/(.)\/$/, '$1');
      break;
    case 'USER':
      if (ins.user === '') throw invalidArgument('USER requires exactly one argument');
      c.User = ins.user;
      break;
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.paths) {
        if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      break;
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), ins.trigger];
      break;
    case 'STOPSIGNAL':
      checkSignal(ins.signal);
      c.StopSignal = ins.signal;
      break;
    case 'HEALTHCHECK': {
      const h = ins.healthcheck;
      c.Healthcheck = {
        Test: [...h.test],
        ...(h.interval !== undefined && { Interval: h.interval }),
        ...(h.timeout !== undefined && { Timeout: h.timeout }),
        ...(h.startPeriod !== undefined && { StartPeriod: h.startPeriod }),
        ...(h.startInterval !== undefined && { StartInterval: h.startInterval }),
        ...(h.retries !== undefined && { Retries: h.retries }),
      };
      break;
    }
    case 'SHELL':
      c.Shell = [...ins.shell];
      break;
    case 'MAINTAINER':
      return { config: c, author: ins.name };
  }
  return { config: c };
}

/** Sets NAME=value pairs in an env list, replacing earlier values in place. */
export function setEnv(env: readonly string[], pairs: ReadonlyArray<[string, string]>): string[] {
  const out = [...env];
  for (const [k, v] of pairs) {
    if (k === '') throw invalidArgument('ENV names can not be blank');
    const i = out.findIndex((e) => e.split('=', 1)[0] === k);
    if (i >= 0) out[i] = `${k}=${v}`;
    else out.push(`${k}=${v}`);
  }
  return out;
}

/** "80", "80/udp", "8000-8002/tcp" → "80/tcp" ... ; a bad spec is docker's error. */
function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw invalidArgument(`invalid containerPort: ${spec.split('/')[0]}`);
  const from = Number(m[1]);
  const to = m[2] !== undefined ? Number(m[2]) : from;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (from > 65535 || to > 65535 || to < from) throw invalidArgument(`invalid containerPort: ${spec.split('/')[0]}`);
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

function checkSignal(sig: string): void {
  if (/^\d+$/.test(sig) && Number(sig) > 0 && Number(sig) <= 64) return;
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  if (/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name) || name in constants.signals) return;
  throw invalidArgument(`Invalid signal: ${sig}`);
}

/** The legacy builder's history text for a metadata step: `/bin/sh -c #(nop)  CMD ["sh"]`. */
export function nopHistory(ins: Instruction): string {
  return `/bin/sh -c #(nop)  ${ins.original.replace(/\s*\n\s*/g, ' ').trim()}`;
}
