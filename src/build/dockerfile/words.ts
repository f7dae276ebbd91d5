/**
 * Splitting one logical Dockerfile line into its parts, as BuildKit's parser
 * does before any instruction-specific rule: the instruction word, the
 * leading `--flags`, and the rest (split into words, or read as a JSON array).
 * Quotes are kept here; they are removed later by variable expansion.
 */
import { InstructionError } from './errors.js';
import type { EscapeChar } from './shell-lexer.js';

/** Blanks other than newline, as docker's `[\t\v\f\r ]+`. */
const WHITESPACE = /[\t\v\f\r ]+/;

export function isSpaceChar(ch: string): boolean {
  return /^\s$/u.test(ch);
}

/** Splits on runs of blanks; an empty string gives no words. */
export function splitWhitespace(rest: string): string[] {
  if (rest === '') return [];
  return rest.split(WHITESPACE);
}

/** Splits into two at the first run of blanks. */
export function splitOnce(text: string): [string] | [string, string] {
  const match = WHITESPACE.exec(text);
  if (!match) return [text];
  return [text.slice(0, match.index), text.slice(match.index + match[0].length)];
}

export interface CommandLine {
  /** The instruction word as written, e.g. `copy`. */
  command: string;
  /** The leading `--name[=value]` words, quotes and escapes already resolved. */
  flags: string[];
  /** Everything after the flags, trimmed. */
  args: string;
}

export function splitCommand(line: string, escape: EscapeChar): CommandLine {
  const parts = splitOnce(line.trim());
  if (parts.length === 1) return { command: parts[0], flags: [], args: '' };
  const { rest, flags } = extractBuilderFlags(parts[1], escape);
  return { command: parts[0], flags, args: rest.trim() };
}

/**
 * Takes the leading words that start with `--` off the line. A bare `--`
 * ends the flags. Quotes inside a flag are removed; the escape character
 * escapes the next character.
 */
function extractBuilderFlags(line: string, escape: EscapeChar): { rest: string; flags: string[] } {
  const flags: string[] = [];
  const chars = Array.from(line);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOk = false;
  let offset = 0; // UTF-16 offset of chars[pos], to slice the rest of the line
  for (let pos = 0; pos <= chars.length; offset += chars[pos]?.length ?? 0, pos++) {
    const atEnd = pos === chars.length;
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpaceChar(ch)) continue;
      if (ch !== '-' || chars[pos + 1] !== '-') return { rest: line.slice(offset), flags };
      phase = 'word';
    }
    if (atEnd) {
      if (word !== '--' && (blankOk || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpaceChar(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(offset), flags };
        if (blankOk || word.length > 0) flags.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        offset += ch.length;
        pos++;
        ch = chars[pos];
      }
      word += ch;
      continue;
    }
    // inside quotes
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      offset += ch.length;
      pos++;
      ch = chars[pos];
    }
    word += ch;
  }
  return { rest: '', flags };
}

/**
 * Splits into words on blanks, keeping quotes and escapes in the words (they
 * are resolved at expansion); used by ENV, LABEL and ARG.
 */
export function parseWords(rest: string, escape: EscapeChar): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpaceChar(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOk || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpaceChar(ch)) {
        phase = 'spaces';
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos];
    }
    word += ch;
  }
  return words;
}

export class NotStringArrayError extends InstructionError {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

/**
 * The words of a JSON array of strings, or undefined when the text is not a
 * JSON array (the instruction then falls back to its shell/word form). An
 * array holding anything but strings is an error, as in docker.
 */
export function parseJSONArray(rest: string): string[] | undefined {
  const text = rest.trimStart();
  if (!text.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item): item is string => typeof item === 'string')) throw new NotStringArrayError();
  return parsed;
}
