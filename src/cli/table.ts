/**
 * Column alignment as docker's CLI does it: Go's text/tabwriter (docker keeps a
 * fork that measures display width) set up as
 * `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
 *
 * The model is Go's "elastic tabstops": a cell ends at a tab; tab-terminated
 * cells at the same index on consecutive lines form a column block, and every
 * cell of a block is padded to the widest cell plus `padding`, never less than
 * `minWidth`. The text after the last tab of a line is no column and is never
 * padded. A cell before a trailing tab *is* padded, so `"a\tb\t"` keeps
 * trailing spaces, exactly as docker prints them.
 */

export interface TabwriterOptions {
  /** Minimal width of a column, padding included. */
  minWidth: number;
  /** Spaces added to the widest cell of a column. */
  padding: number;
  /** The single character used for padding. */
  padChar: string;
}

/** The settings every docker list command uses. */
export const DOCKER_TABWRITER: TabwriterOptions = { minWidth: 10, padding: 3, padChar: ' ' };

interface Cell {
  text: string;
  width: number;
}

/**
 * Aligns tab-separated text. Lines end at '\n' (or '\f', which Go also treats
 * as a line break); '\t' and '\v' end a cell. The output keeps the input's
 * final line break, or lack of one.
 */
export function tabwrite(text: string, options: TabwriterOptions = DOCKER_TABWRITER): string {
  const lines: Cell[][] = text.split(/[\n\f]/).map((line) =>
    line.split(/[\t\v]/).map((cell) => ({ text: cell, width: displayWidth(cell) })),
  );
  const last = lines[lines.length - 1];
  // Go records the unterminated final cell only when it holds text.
  if (last[last.length - 1].text === '') last.pop();
  const out: string[] = [];
  formatBlock({ lines, out, options, widths: [] }, 0, lines.length);
  return out.join('');
}

/** Renders rows of cells as a docker-style table; every row ends with '\n'. */
export function renderTable(rows: readonly (readonly string[])[], options: TabwriterOptions = DOCKER_TABWRITER): string {
  return tabwrite(rows.map((row) => row.join('\t') + '\n').join(''), options);
}

interface FormatState {
  lines: Cell[][];
  out: string[];
  options: TabwriterOptions;
  /** The widths of the columns left of the one being formatted. */
  widths: number[];
}

/**
 * Go's `format`: finds each block of consecutive lines that have a cell in the
 * current column, fixes that column's width, then formats the next column of
 * the block recursively. Lines outside any block are written as they are.
 */
function formatBlock(state: FormatState, line0: number, line1: number): void {
  const column = state.widths.length;
  const { lines, options } = state;
  let start = line0;
  for (let i = line0; i < line1; i++) {
    if (column >= lines[i].length - 1) continue;
    writeLines(state, start, i);
    start = i;
    let width = options.minWidth;
    for (; i < line1; i++) {
      const line = lines[i];
      if (column >= line.length - 1) break;
      width = Math.max(width, line[column].width + options.padding);
    }
    state.widths.push(width);
    formatBlock(state, start, i);
    state.widths.pop();
    start = i;
  }
  writeLines(state, start, line1);
}

function writeLines(state: FormatState, line0: number, line1: number): void {
  const { lines, out, widths, options } = state;
  for (let i = line0; i < line1; i++) {
    const line = lines[i];
    line.forEach((cell, j) => {
      out.push(cell.text);
      if (j < widths.length) out.push(options.padChar.repeat(Math.max(0, widths[j] - cell.width)));
    });
    if (i + 1 < lines.length) out.push('\n');
  }
}

/**
 * Terminal columns taken by a string, as go-runewidth counts them: combining
 * marks and zero-width joiners take none, East Asian wide characters and most
 * emoji take two, everything else one.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x300) {
      width += cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
    } else if (ZERO_WIDTH.test(ch)) {
      // combining or invisible: no column of its own
    } else if (isWide(cp)) {
      width += 2;
    } else {
      width += 1;
    }
  }
  return width;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe00-\ufe0f]$/u;

const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  return WIDE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
}
