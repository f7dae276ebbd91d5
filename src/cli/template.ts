/**
 * `--format` templates: the Go text/template subset docker accepts, and
 * docker's output modes around it (formatter.Context in docker/cli):
 *
 * - `table …` : the rest is a row template; a header row is the same
 *   template run over the command's header object (with docker's header
 *   functions), and the tabs in both are aligned as columns;
 * - `json`    : one `{{json .}}` line per row;
 * - `table` alone or "" : the command's default table;
 * - anything else: the template, one line per row.
 *
 * A literal `\t` or `\n` typed in the format is read as a tab or newline,
 * as docker does.
 */
import { ExecError, FUNCTION_NAMES, execute } from './template-exec.js';
import { TemplateError, parse, type Node } from './template-parse.js';
import { tabwrite } from './table.js';

export { TemplateError } from './template-parse.js';
export { goJson } from './template-format.js';

/** A parsed template; safe to execute many times. */
export class Template {
  constructor(
    private readonly nodes: readonly Node[],
    private readonly source: string,
  ) {}

  /**
   * Renders the template over `data`. Throws TemplateError in Go's form,
   * `template: :1:2: executing "" at <.Foo>: …`. With `header`, docker's
   * header functions are used and a failure only cuts the output short.
   */
  execute(data: unknown, options: { header?: boolean } = {}): string {
    try {
      return execute(this.nodes, data, options.header === true);
    } catch (err) {
      if (!(err instanceof ExecError)) throw err;
      const before = this.source.slice(0, err.node.pos);
      const line = before.split('\n').length;
      const column = err.node.pos - (before.lastIndexOf('\n') + 1);
      throw new TemplateError(`template: :${line}:${column}: executing "" at <${err.node.src}>: ${err.message}`);
    }
  }
}

/** Parses a Go template; throws TemplateError ("template parsing error: …"). */
export function parseTemplate(source: string): Template {
  return new Template(parse(source, FUNCTION_NAMES), source);
}

/** docker's Format.IsTable: the format starts with "table". */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/**
 * docker's preFormat: strips the "table" prefix (or turns "json" into
 * `{{json .}}`), trims surrounding spaces and reads literal `\t` and `\n`.
 */
export function prepareFormat(format: string): { source: string; table: boolean } {
  const table = isTableFormat(format);
  let source = table ? format.slice('table'.length) : format === 'json' ? '{{json .}}' : format;
  source = source.replace(/^ +| +$/g, '');
  source = source.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
  return { source, table };
}

export interface FormatRowsOptions {
  /** Column titles by field name, e.g. { ID: 'CONTAINER ID', Names: 'NAMES' }. */
  header: Record<string, string> | ReadonlyMap<string, string>;
  /** The command's default, used for "" and "table", e.g. 'table {{.ID}}\t{{.Image}}'. */
  tableFormat: string;
}

/**
 * Renders `rows` for a list command's `--format` value; every row ends with
 * a newline, and a table always has its header row, even with no rows.
 * Errors are TemplateErrors prefixed "template parsing error:", as docker's
 * list commands print them for parse and execution failures alike.
 */
export function formatRows(format: string, rows: readonly unknown[], options: FormatRowsOptions): string {
  const chosen = format === '' || format === 'table' ? options.tableFormat : format;
  const { source, table } = prepareFormat(chosen);
  const template = parseTemplate(source);
  let body = '';
  for (const row of rows) {
    try {
      body += template.execute(row) + '\n';
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  if (!table) return body;
  const header = template.execute(options.header, { header: true });
  return tabwrite(header + '\n' + body);
}
