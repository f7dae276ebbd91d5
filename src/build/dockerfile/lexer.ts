/**
 * Turns Dockerfile text into logical lines, the way BuildKit's parser reads
 * it: parser directives at the top, comments dropped, continuation lines
 * (ending in the escape character) joined, comment lines and blank lines
 * inside a continuation skipped, and the bodies of heredocs that RUN, COPY
 * and ADD open collected after their instruction line.
 */
import { DirectiveError, DirectiveParser, toEscapeChar } from './directives.js';
import { parseErrorAt } from './errors.js';
import { chompHeredocContent, heredocsFromLine, type HeredocWord } from './heredoc.js';
import type { EscapeChar } from './shell-lexer.js';
import { NotStringArrayError, parseJSONArray, splitCommand } from './words.js';

export interface HeredocBody extends HeredocWord {
  /** The body: every line with its newline; leading tabs removed when `chomp`. */
  content: string;
}

export interface LogicalLine {
  /** The instruction with continuations joined, comments and escape-newlines removed. */
  text: string;
  startLine: number;
  endLine: number;
  heredocs: HeredocBody[];
}

export interface LexedDockerfile {
  escape: EscapeChar;
  syntax?: string;
  check?: string;
  lines: LogicalLine[];
  /** Blank lines inside a continuation: accepted, but docker warns that they will become errors. */
  emptyContinuations: Array<{ line: number; text: string }>;
}

const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

/** Splits text into lines that keep their line endings. */
function rawLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end < 0) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  return lines;
}

const trimNewline = (line: string): string => line.replace(/[\r\n]+$/, '');
const isComment = (line: string): boolean => line.trimStart().startsWith('#');
const isBlank = (line: string): boolean => trimNewline(line).trimStart() === '';

function continuationPattern(escape: EscapeChar): RegExp {
  const e = escape === '\\' ? '\\\\' : '`';
  // The escape character is a continuation when it is the last non-blank one
  // and not itself escaped (docker does not detect an escaped escape: `a \\\`).
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Whether the instruction on this line may open heredocs (RUN/COPY/ADD, also under ONBUILD, not in JSON form). */
function canContainHeredoc(line: string, escape: EscapeChar): boolean {
  let { command, args } = splitCommand(line, escape);
  if (command.toLowerCase() === 'onbuild') ({ command, args } = splitCommand(args, escape));
  if (!HEREDOC_INSTRUCTIONS.has(command.toLowerCase())) return false;
  try {
    return parseJSONArray(args) === undefined;
  } catch (err) {
    if (err instanceof NotStringArrayError) return false;
    throw err;
  }
}

export function lexDockerfile(text: string): LexedDockerfile {
  return new Lexer(text).run();
}

/** Walks the physical lines once; `currentLine` is the 1-based number of the last line read. */
class Lexer {
  private readonly lines: string[];
  private readonly directives = new DirectiveParser();
  private readonly result: LexedDockerfile = { escape: '\\', lines: [], emptyContinuations: [] };
  private continuation = continuationPattern('\\');
  private index = 0;
  private currentLine = 0;

  constructor(text: string) {
    this.lines = rawLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  }

  run(): LexedDockerfile {
    while (this.index < this.lines.length) {
      const startLine = this.currentLine + 1;
      const text = this.readLogicalLine();
      if (text === undefined) continue;
      const heredocs: HeredocBody[] = [];
      if (text.includes('<<') && canContainHeredoc(text, this.result.escape)) {
        for (const doc of heredocsFromLine(text)) heredocs.push(this.readHeredocBody(doc, startLine));
      }
      this.result.lines.push({ text, startLine, endLine: this.currentLine, heredocs });
    }
    return this.result;
  }

  /** One instruction with its continuation lines joined; undefined for a blank or comment line. */
  private readLogicalLine(): string | undefined {
    let { text: joined, ends } = this.trimContinuation(this.processLine(this.next(), true));
    if (ends && joined.length === 0) return undefined;
    let hasEmptyContinuation = false;
    while (!ends && this.index < this.lines.length) {
      const raw = this.next();
      const processed = this.processLine(raw, false);
      if (isComment(raw)) continue;
      if (isBlank(processed)) {
        hasEmptyContinuation = true;
        continue;
      }
      const part = this.trimContinuation(processed);
      joined += part.text;
      ends = part.ends;
    }
    if (hasEmptyContinuation) this.result.emptyContinuations.push({ line: this.currentLine, text: joined });
    return joined;
  }

  /** The lines up to the terminator (tab-indented too for `<<-`), kept verbatim. */
  private readHeredocBody(doc: HeredocWord, startLine: number): HeredocBody {
    let content = '';
    while (this.index < this.lines.length) {
      const raw = this.next();
      let candidate = trimNewline(raw);
      if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === doc.name) return { ...doc, content: doc.chomp ? chompHeredocContent(content) : content };
      content += raw;
    }
    throw parseErrorAt(startLine, 'unterminated heredoc');
  }

  private next(): string {
    this.currentLine++;
    return this.lines[this.index++];
  }

  /** Newline removed, directive recorded, a comment emptied. */
  private processLine(raw: string, stripLeft: boolean): string {
    let token = trimNewline(raw);
    if (stripLeft) token = token.trimStart();
    try {
      const directive = this.directives.parseLine(token);
      if (directive?.name === 'escape') {
        this.result.escape = toEscapeChar(directive.value);
        this.continuation = continuationPattern(this.result.escape);
      } else if (directive) {
        this.result[directive.name as 'syntax' | 'check'] = directive.value;
      }
    } catch (err) {
      if (err instanceof DirectiveError) throw parseErrorAt(this.currentLine, err.message);
      throw err;
    }
    return isComment(token) ? '' : token;
  }

  private trimContinuation(line: string): { text: string; ends: boolean } {
    if (!this.continuation.test(line)) return { text: line, ends: true };
    return { text: line.replace(this.continuation, '$1'), ends: false };
  }
}
