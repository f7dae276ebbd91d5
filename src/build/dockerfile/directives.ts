/**
 * Parser directives (`# syntax=`, `# escape=`, `# check=`), with docker's
 * rules: they are only recognised in the comment lines at the very top of
 * the file; the first line that is not a directive (a blank line, another
 * comment, an instruction, or an unknown directive) ends them for good.
 * Keys are case-insensitive; each may appear once.
 */
import type { EscapeChar } from './shell-lexer.js';

const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN = new Set(['syntax', 'escape', 'check']);

export interface Directive {
  name: 'syntax' | 'escape' | 'check';
  value: string;
}

export class DirectiveError extends Error {}

export class DirectiveParser {
  private done = false;
  private readonly seen = new Set<string>();

  /**
   * Looks at one line (newline and leading blanks already removed). Returns the
   * directive it holds, or undefined; throws on a repeated directive.
   */
  parseLine(line: string): Directive | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const match = DIRECTIVE.exec(line.slice(1).trimStart());
    const name = match?.[1].toLowerCase();
    if (!match || name === undefined || !KNOWN.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new DirectiveError(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name: name as Directive['name'], value: match[2] };
  }
}

export function toEscapeChar(value: string): EscapeChar {
  if (value !== '`' && value !== '\\') {
    throw new DirectiveError(`invalid escape token '${value}' does not match \` or \\`);
  }
  return value;
}
