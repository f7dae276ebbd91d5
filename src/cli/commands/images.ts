import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from '../command.js';
import { CliError, println } from '../command.js';
import { humanSize, timeAgo, truncateId } from '../humanize.js';
import { parseFilterFlags, printPruneReport, printRows, confirm, forEachTarget } from '../output.js';
import { splitTag } from '../../util/reference.js';
import { readJsonLines } from '../../client/index.js';
import type { ImageSummary } from '../../spec/docker-image.js';

const IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const IMAGES_TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const IMAGES_HEADER = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

/** One output row per repo:tag (or one <none> row), as docker images does. */
function imageRows(images: ImageSummary[], o: { noTrunc: boolean; all: boolean }): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const img of images) {
    const base = {
      ID: o.noTrunc ? img.Id : truncateId(img.Id),
      CreatedSince: timeAgo(img.Created * 1000),
      CreatedAt: new Date(img.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
      Size: humanSize(img.Size),
      Containers: img.Containers === -1 ? 'N/A' : String(img.Containers),
      SharedSize: img.SharedSize === -1 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize === -1 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.Size),
    };
    const digestOf = (repo: string) => img.RepoDigests?.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
    const tags = img.RepoTags ?? [];
    if (tags.length === 0) {
      const firstDigest = img.RepoDigests?.[0];
      rows.push({ ...base, Repository: firstDigest ? firstDigest.split('@')[0] : '<none>', Tag: '<none>', Digest: firstDigest?.split('@')[1] ?? '<none>' });
      continue;
    }
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      const repo = t.slice(0, i);
      rows.push({ ...base, Repository: repo, Tag: t.slice(i + 1), Digest: digestOf(repo) });
    }
  }
  return rows;
}

export const imagesCommand: Command = {
  name: 'images',
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  aliases: ['berth image ls', 'berth image list', 'berth images'],
  maxArgs: 1,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(flags, env) {
    const filters = parseFilterFlags(flags.array('filter'));
    if (flags.positionals[0]) filters.reference = [...(filters.reference ?? []), flags.positionals[0]];
    const client = await env.client();
    const images = await client.imageList({ all: flags.bool('all'), filters });
    const rows = imageRows(images, { noTrunc: flags.bool('no-trunc'), all: flags.bool('all') });
    if (flags.bool('quiet')) {
      const seen = new Set<string>();
      for (const r of rows) if (!seen.has(r.ID as string)) { seen.add(r.ID as string); println(env.io.out, r.ID as string); }
      return 0;
    }
    printRows(env.io, {
      format: flags.string('format'),
      quiet: false,
      quietField: 'ID',
      defaultTable: flags.bool('digests') ? IMAGES_TABLE_DIGESTS : IMAGES_TABLE,
      header: IMAGES_HEADER,
      rows,
    });
    return 0;
  },
};

export const rmiCommand: Command = {
  name: 'rmi',
  usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  aliases: ['berth image rm', 'berth image remove', 'berth rmi'],
  minArgs: 1,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(flags, env) {
    const client = await env.client();
    return forEachTarget(env.io, flags.positionals, async (name) => {
      const items = await client.imageRemove(name, { force: flags.bool('force'), noprune: flags.bool('no-prune') });
      return items.flatMap((item) => [
        ...(item.Untagged ? [`Untagged: ${item.Untagged}`] : []),
        ...(item.Deleted ? [`Deleted: ${item.Deleted}`] : []),
      ]);
    });
  },
};

export const tagCommand: Command = {
  name: 'tag',
  usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliases: ['berth image tag', 'berth tag'],
  minArgs: 2,
  maxArgs: 2,
  flags: [],
  async run(flags, env) {
    const [source, target] = flags.positionals;
    const { name, tag } = splitTag(target);
    const client = await env.client();
    await client.imageTag(source, name, tag ?? 'latest');
    return 0;
  },
};

export const importCommand: Command = {
  name: 'import',
  usage: 'import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  aliases: ['berth image import', 'berth import'],
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'change', short: 'c', type: 'stringArray', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', description: 'Set commit message for imported image' },
    { name: 'platform', description: 'Set platform if server is multi-platform capable' },
  ],
  async run(flags, env) {
    const [source, reference] = flags.positionals;
    let input: NodeJS.ReadableStream;
    if (source === '-') input = env.io.in;
    else if (/^https?:\/\//.test(source)) throw new CliError('berth: importing from a URL is not supported; download the file first', 1);
    else {
      try {
        await stat(source);
      } catch {
        throw new CliError(`open ${source}: no such file or directory`, 1);
      }
      input = createReadStream(source);
    }
    const { name: repo, tag } = reference ? splitTag(reference) : { name: undefined, tag: undefined };
    const client = await env.client();
    const progress = await client.imageImport(input as import('node:stream').Readable, {
      repo, tag, changes: flags.array('change'), message: flags.string('message') || undefined, platform: flags.string('platform') || undefined,
    });
    for await (const msg of readJsonLines(progress)) {
      const m = msg as { status?: string; error?: string; errorDetail?: { message?: string } };
      if (m.error) throw new CliError(m.errorDetail?.message ?? m.error, 1);
      if (m.status) println(env.io.out, m.status);
    }
    return 0;
  },
};

export const imagePruneCommand: Command = {
  name: 'prune',
  usage: 'image prune [OPTIONS]',
  description: 'Remove unused images',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(flags, env) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      const warning = all
        ? 'WARNING! This will remove all images without at least one container associated to them.'
        : 'WARNING! This will remove all dangling images.';
      if (!(await confirm(env.io, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const filters = parseFilterFlags(flags.array('filter'));
    filters.dangling = [all ? 'false' : 'true'];
    const client = await env.client();
    const res = await client.imagesPrune(filters);
    const lines = (res.ImagesDeleted ?? []).flatMap((item) => [
      ...(item.Untagged ? [`untagged: ${item.Untagged}`] : []),
      ...(item.Deleted ? [`deleted: ${item.Deleted}`] : []),
    ]);
    printPruneReport(env.io, 'Deleted Images:', lines, res.SpaceReclaimed);
    return 0;
  },
};

export const historyCommand: Command = {
  name: 'history',
  usage: 'history [OPTIONS] IMAGE',
  description: 'Show the history of an image',
  aliases: ['berth image history', 'berth history'],
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'format', description: 'Format output using a custom template' },
    { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(flags, env) {
    const client = await env.client();
    const rows = await client.imageHistory(flags.positionals[0]);
    const noTrunc = flags.bool('no-trunc');
    printRows(env.io, {
      format: flags.string('format'),
      quiet: flags.bool('quiet'),
      quietField: 'ID',
      defaultTable: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
      header: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
      rows: rows.map((r) => {
        const createdBy = String(r.CreatedBy ?? '');
        return {
          ID: r.Id === '<missing>' || noTrunc ? r.Id : truncateId(String(r.Id)),
          CreatedSince: timeAgo(Number(r.Created) * 1000),
          CreatedAt: new Date(Number(r.Created) * 1000).toISOString(),
          CreatedBy: noTrunc || createdBy.length <= 45 ? createdBy : createdBy.slice(0, 44) + '…',
          Size: humanSize(Number(r.Size)),
          Comment: String(r.Comment ?? ''),
        };
      }),
    });
    return 0;
  },
};
