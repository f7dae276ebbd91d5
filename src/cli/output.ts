import type { Io } from './command.js';
import { formatRows, parseTemplate, prepareFormat } from './template.js';
import { UsageError } from './flags.js';
import { humanSize } from './humanize.js';
import { ClientError } from '../client/index.js';

export interface RowsOutput {
  format: string;
  quiet: boolean;
  quietField: string;
  /** The command's default, "table {{.ID}}\t..." */
  defaultTable: string;
  /** Column titles by field name, for the header row of table formats. */
  header: Record<string, string>;
  rows: Array<Record<string, unknown>>;
}

/**
 * Prints list rows as docker does: `-q` prints only IDs; no format or
 * `table` prints the default table; `table TEMPLATE` prints a header then
 * aligned rows; `json` prints one JSON object per line; any other template
 * prints one line per row.
 */
export function printRows(io: Io, o: RowsOutput): void {
  if (o.quiet) {
    for (const r of o.rows) io.out.write(`${String(r[o.quietField])}\n`);
    return;
  }
  const format = o.format === 'json' ? '{{json .}}' : o.format;
  io.out.write(formatRows(format, o.rows, { header: o.header, tableFormat: o.defaultTable }));
}

/** One object through a --format template (inspect). */
export function renderTemplate(format: string, data: unknown): string {
  const { source } = prepareFormat(format);
  return parseTemplate(source).execute(data);
}

/** `--filter a=b --filter status=running` into the API's filter map. */
export function parseFilterFlags(values: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`bad format of filter (expected name=value)`);
    const key = v.slice(0, i).toLowerCase().trim();
    (out[key] ??= []).push(v.slice(i + 1));
  }
  return out;
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  io.out.write(question);
  const input = io.in as NodeJS.ReadStream;
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      input.off('data', onData);
      input.off('end', done);
      input.pause();
      resolve(buf.split('\n')[0]);
    };
    input.on('data', onData);
    input.on('end', done);
    input.resume();
  });
  return /^y(es)?$/i.test(answer.trim());
}

/**
 * Runs an action on each named target (container, image), printing what each
 * returns and reporting each failure as docker does, without stopping at the
 * first; the exit code is 1 if any failed.
 */
export async function forEachTarget(io: Io, names: string[], action: (name: string) => Promise<string[]>): Promise<number> {
  let failed = false;
  for (const name of names) {
    try {
      for (const line of await action(name)) io.out.write(`${line}\n`);
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      failed = true;
      io.err.write(`Error response from daemon: ${err.message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/**
 * `inspect` output for the objects `fetch` finds: a JSON array (4-space
 * indent, `<`, `>` and `&` escaped as Go's encoder does) or, with a format,
 * one line each. A name the daemon does not know is reported on stderr with
 * `errorPrefix` and the others are still printed; the exit code is 1 if any
 * was missing.
 */
export async function printInspected(
  io: Io,
  o: { names: string[]; format: string; errorPrefix: string },
  fetch: (name: string) => Promise<unknown>,
): Promise<number> {
  const found: unknown[] = [];
  let failed = false;
  for (const name of o.names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      failed = true;
      io.err.write(`${o.errorPrefix}${err.message}\n`);
    }
  }
  if (o.format) {
    for (const obj of found) io.out.write(`${renderTemplate(o.format, obj)}\n`);
  } else {
    io.out.write(JSON.stringify(found, null, 4).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) + '\n');
  }
  return failed ? 1 : 0;
}

/**
 * What a prune removed, as docker prints it: a heading and one line per item
 * (nothing when none), then the reclaimed space unless `reclaimed` is omitted
 * (networks have no size).
 */
export function printPruneReport(io: Io, heading: string, lines: string[], reclaimed?: number): void {
  if (lines.length > 0) io.out.write(`${heading}\n${lines.join('\n')}\n\n`);
  if (reclaimed !== undefined) io.out.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}
