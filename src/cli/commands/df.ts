import type { Command } from '../command.js';
import { println } from '../command.js';
import { humanSize } from '../humanize.js';
import { printRows } from '../output.js';

interface DfImage { Id: string; Size: number; SharedSize?: number; Containers: number; RepoTags?: string[] | null }
interface DfContainer { Id: string; Image: string; Names: string[]; SizeRw?: number; State: string; Command: string }
interface DfVolume { Name: string; UsageData?: { Size: number; RefCount: number } }
interface DfCache { ID: string; Type: string; Description: string; InUse: boolean; Shared: boolean; Size: number; CreatedAt: string; LastUsedAt: string | null; UsageCount: number }

const TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function reclaimable(part: number, total: number): string {
  return total > 0 ? `${humanSize(part)} (${Math.round((part * 100) / total)}%)` : humanSize(part);
}

export const dfCommand: Command = {
  name: 'df',
  usage: 'system df [OPTIONS]',
  description: 'Show docker disk usage',
  maxArgs: 0,
  flags: [
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const df = await client.systemDf();
    const images = (df.Images as DfImage[] | undefined) ?? [];
    const containers = (df.Containers as DfContainer[] | undefined) ?? [];
    const volumes = (df.Volumes as DfVolume[] | undefined) ?? [];
    const caches = (df.BuildCache as DfCache[] | undefined) ?? [];
    const cacheSize = caches.reduce((a, c) => a + Math.max(0, c.Size), 0);
    const cacheReclaimable = caches.filter((c) => !c.InUse).reduce((a, c) => a + Math.max(0, c.Size), 0);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + Math.max(0, b), 0);
    const imgSize = sum(images.map((i) => i.Size));
    const ctrSize = sum(containers.map((c) => c.SizeRw ?? 0));
    const volSize = sum(volumes.map((v) => v.UsageData?.Size ?? 0));
    if (flags.bool('verbose')) {
      println(env.io.out, 'Images space usage:\n\nREPOSITORY   TAG   IMAGE ID   SIZE   CONTAINERS');
      for (const i of images) {
        const [repo, tag] = (i.RepoTags?.[0] ?? '<none>:<none>').split(/:(?=[^:]*$)/);
        println(env.io.out, `${repo}   ${tag}   ${i.Id.replace('sha256:', '').slice(0, 12)}   ${humanSize(i.Size)}   ${i.Containers}`);
      }
      println(env.io.out, '\nContainers space usage:\n\nCONTAINER ID   IMAGE   COMMAND   SIZE   STATUS   NAMES');
      for (const c of containers) println(env.io.out, `${c.Id.slice(0, 12)}   ${c.Image}   ${JSON.stringify(c.Command)}   ${humanSize(c.SizeRw ?? 0)}   ${c.State}   ${c.Names.map((n) => n.replace(/^\//, '')).join(',')}`);
      println(env.io.out, '\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS   SIZE');
      for (const v of volumes) println(env.io.out, `${v.Name}   ${v.UsageData?.RefCount ?? 0}   ${humanSize(Math.max(0, v.UsageData?.Size ?? 0))}`);
      println(env.io.out, `\nBuild cache usage: ${humanSize(cacheSize)}\n\nCACHE ID   CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED`);
      for (const c of caches) println(env.io.out, `${c.ID.slice(0, 12)}   ${c.Type}   ${humanSize(c.Size)}   ${c.CreatedAt}   ${c.LastUsedAt ?? ''}   ${c.UsageCount}   ${c.Shared}`);
      return 0;
    }
    const unusedImages = sum(images.filter((i) => i.Containers === 0).map((i) => i.Size));
    const stopped = sum(containers.filter((c) => c.State !== 'running').map((c) => c.SizeRw ?? 0));
    const unusedVolumes = sum(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).map((v) => v.UsageData?.Size ?? 0));
    const rows = [
      { Type: 'Images', TotalCount: images.length, Active: images.filter((i) => i.Containers > 0).length, Size: humanSize(imgSize), Reclaimable: reclaimable(unusedImages, imgSize) },
      { Type: 'Containers', TotalCount: containers.length, Active: containers.filter((c) => c.State === 'running').length, Size: humanSize(ctrSize), Reclaimable: reclaimable(stopped, ctrSize) },
      { Type: 'Local Volumes', TotalCount: volumes.length, Active: volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, Size: humanSize(volSize), Reclaimable: reclaimable(unusedVolumes, volSize) },
      { Type: 'Build Cache', TotalCount: caches.length, Active: caches.filter((c) => c.InUse).length, Size: humanSize(cacheSize), Reclaimable: humanSize(cacheReclaimable) },
    ];
    printRows(env.io, { format: flags.string('format'), quiet: false, quietField: 'Type', defaultTable: TABLE, header: HEADER, rows });
    return 0;
  },
};
