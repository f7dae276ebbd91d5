/**
 * Here-documents in RUN, COPY and ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`,
 * `3<<EOF`), recognised the way BuildKit does: the line is split into shell
 * words (quotes and escapes kept), and each word of the form
 * `[fd]<<[-]NAME` opens one heredoc. The bodies follow the instruction line
 * in the order the heredocs appear.
 */
import { processWords, ShellLexError } from './shell-lexer.js';

const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;
const LEADING_TABS = /^\t+/gm;
const NO_VARS: ReadonlyMap<string, string> = new Map();

export interface HeredocWord {
  name: string;
  /** False when any part of the delimiter word was quoted. */
  expand: boolean;
  /** `<<-`: leading tabs are removed from the body and the terminator. */
  chomp: boolean;
  /** The file descriptor before `<<`, 0 when none was written. */
  fileDescriptor: number;
}

/** The heredoc a single word opens, or undefined when the word is not `<<NAME`. */
export function parseHeredocWord(word: string): HeredocWord | undefined {
  const match = HEREDOC_WORD.exec(word);
  if (!match) return undefined;
  const rest = match[3];
  if (rest === '') return undefined;
  let words: string[];
  let rawWords: string[];
  try {
    words = processWords(rest, NO_VARS, { escape: '\\', skipUnsetEnv: true });
    if (words.length !== 1) return undefined;
    rawWords = processWords(rest, NO_VARS, { escape: '\\', skipUnsetEnv: true, rawQuotes: true });
  } catch (err) {
    if (err instanceof ShellLexError) return undefined;
    throw err;
  }
  if (rawWords.length !== 1) return undefined;
  const name = words[0];
  // Quotes removed from the unquoted reading mean the delimiter was quoted.
  const expand = countQuotes(name) === countQuotes(rawWords[0]);
  return { name, expand, chomp: match[2] === '-', fileDescriptor: match[1] === '' ? 0 : Number(match[1]) };
}

function countQuotes(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '"' || ch === "'") n++;
  return n;
}

/** Every heredoc opened on one instruction line, in order. */
export function heredocsFromLine(line: string): HeredocWord[] {
  let words: string[];
  try {
    words = processWords(line, NO_VARS, { escape: '\\', rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  } catch (err) {
    if (err instanceof ShellLexError) return [];
    throw err;
  }
  const docs: HeredocWord[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** Removes leading tabs from every line, as `<<-` asks. */
export function chompHeredocContent(content: string): string {
  return content.replace(LEADING_TABS, '');
}
