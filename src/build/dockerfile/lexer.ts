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
  const lines = rawLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const directiveParser = new DirectiveParser();
  const result: LexedDockerfile = { escape: '\\', lines: [], emptyContinuations: [] };
  let continuation = continuationPattern(result.escape);
  let index = 0;
  let currentLine = 0;

  /** Newline removed, directive recorded, comments emptied. */
  const processLine = (raw: string, stripLeft: boolean): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = token.trimStart();
    let directive;
    try {
      directive = directiveParser.parseLine(token);
      if (directive?.name === 'escape') {
        result.escape = toEscapeChar(directive.value);
        continuation = continuationPattern(result.escape);
      } else if (directive?.name === 'syntax') {
        result.syntax = directive.value;
      } else if (directive?.name === 'check') {
        result.check = directive.value;
      }
    } catch (err) {
      if (err instanceof DirectiveError) throw parseErrorAt(currentLine + 1, err.message);
      throw err;
    }
    return isComment(token) ? '' : token;
  };
  const trimContinuation = (line: string): { text: string; ends: boolean } => {
    if (!continuation.test(line)) return { text: line, ends: true };
    return { text: line.replace(continuation, '$1'), ends: false };
  };

  while (index < lines.length) {
    const first = processLine(lines[index++], true);
    currentLine++;
    const startLine = currentLine;
    let { text: joined, ends } = trimContinuation(first);
    if (ends && joined.length === 0) continue;
    let hasEmptyContinuation = false;
    while (!ends && index < lines.length) {
      const raw = lines[index++];
      const processed = processLine(raw, false);
      currentLine++;
      if (isComment(raw)) continue;
      if (isBlank(processed)) {
        hasEmptyContinuation = true;
        continue;
      }
      const part = trimContinuation(processed);
      joined += part.text;
      ends = part.ends;
    }
    if (hasEmptyContinuation) result.emptyContinuations.push({ line: currentLine, text: joined });
    const heredocs: HeredocBody[] = [];
    if (joined.includes('<<') && canContainHeredoc(joined, result.escape)) {
      for (const doc of heredocsFromLine(joined)) {
        let content = '';
        let terminated = false;
        while (index < lines.length) {
          const raw = lines[index++];
          currentLine++;
          let candidate = trimNewline(raw);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += raw;
        }
        if (!terminated) throw parseErrorAt(startLine, 'unterminated heredoc');
        heredocs.push({ ...doc, content: doc.chomp ? chompHeredocContent(content) : content });
      }
    }
    result.lines.push({ text: joined, startLine, endLine: currentLine, heredocs });
  }
  return result;
}
