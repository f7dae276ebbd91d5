/**
 * Docker's shell-word processor: variable substitution, quote removal and
 * word splitting, as BuildKit's `shell.Lex` does them. This is not a shell:
 * there is no command substitution, globbing or arithmetic, only what docker
 * applies to the words of ENV, COPY, WORKDIR and the like.
 *
 * Supported: `$V`, `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`,
 * `${V:?msg}`, `${V?msg}`, `${V#pat}`, `${V##pat}`, `${V%pat}`, `${V%%pat}`,
 * `${V/pat/repl}`, `${V//pat/repl}`; single quotes are literal, double quotes
 * allow `$` and escape only `"`, `$` and the escape character.
 */
import { patternToRegExp, ShellLexError, trimPrefix, trimSuffix } from './shell-patterns.js';

export { ShellLexError };

export type EscapeChar = '\\' | '`';

export interface LexOptions {
  escape: EscapeChar;
  /** Keep quote characters in the output (used to detect quoted heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave `$V` and `${V...}` as written when V is unset, instead of expanding to "". */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies). */
  skipProcessQuotes?: boolean;
}

const EOF = undefined;

/** Words are accumulated as a shell would split them after substitution. */
class WordCollector {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRawString(text: string): void {
    this.buf += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    text: string,
    private readonly vars: ReadonlyMap<string, string>,
    private readonly options: LexOptions,
  ) {
    this.chars = Array.from(text);
    this.rawEscapes = options.rawEscapes ?? false;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const ch = this.chars[this.pos];
    if (ch !== EOF) this.pos++;
    return ch;
  }

  run(): { result: string; words: string[] } {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  /** Reads up to `stop` (consumed) or the end when `stop` is undefined. */
  private processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scan(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scan(stop: string | undefined): { result: string; words: string[] } {
    let result = '';
    const words = new WordCollector();
    const escape = this.options.escape;
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (stop !== EOF && ch === stop) {
        this.next();
        return { result, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.processDollar();
        result += value;
        words.addString(value);
      } else if (ch === '<') {
        const value = this.processPossibleHeredoc();
        result += value;
        words.addRawString(value);
      } else if ((ch === "'" || ch === '"') && !this.options.skipProcessQuotes) {
        const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += value;
        words.addRawString(value);
      } else {
        let c = this.next() as string;
        if (c === escape) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          const escaped = this.next();
          if (escaped === EOF) break;
          c = escaped;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
    }
    if (stop !== EOF) throw new ShellLexError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.finish() };
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.options.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.options.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.options.rawQuotes) result += open;
    const escape = this.options.escape;
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        if (this.options.rawQuotes) result += ch;
        return result;
      }
      if (ch === '$') {
        result += this.processDollar();
        continue;
      }
      let c = this.next() as string;
      if (c === escape) {
        if (this.rawEscapes) result += c;
        const following = this.peek();
        if (following === EOF) continue;
        if (following === '"' || following === '$' || following === escape) c = this.next() as string;
      }
      result += c;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.vars.get(name);
      if (value === undefined && this.options.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ShellLexError('syntax error: bad substitution');
    const name = this.processName();
    const ch = this.next();
    if (ch === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (ch === '}') {
      const value = this.vars.get(name);
      if (value === undefined && this.options.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === '/') return this.processReplacement(name);
    return this.processModifier(name, ch);
  }

  /** `${V-w}`, `${V:-w}`, `${V+w}`, `${V:+w}`, `${V?m}`, `${V:?m}`, `${V#p}`, `${V%p}` (and `##`, `%%`). */
  private processModifier(name: string, ch: string): string {
    let modifier = ch;
    let op: string | undefined = ch;
    const nullIsUnset = ch === ':';
    if (nullIsUnset) {
      op = this.next();
      modifier += op ?? '';
    }
    const isPattern = op === '#' || op === '%';
    if ((op !== '+' && op !== '-' && op !== '?' && !isPattern) || (nullIsUnset && isPattern)) {
      throw new ShellLexError(`unsupported modifier (${modifier}) in substitution`);
    }
    let word = this.readUntilClosingBrace(isPattern);
    const value = this.vars.get(name);
    if (value === undefined && this.options.skipUnsetEnv) return `\${${name}${modifier}${word}}`;
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-':
        return unset ? word : (value as string);
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) throw new ShellLexError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (unset) throw new ShellLexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        const greedy = word.startsWith(op as string);
        if (greedy) word = word.slice(1);
        return op === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
      }
    }
  }

  private readUntilClosingBrace(rawEscapes: boolean): string {
    try {
      return this.processStopOn('}', rawEscapes).result;
    } catch (err) {
      if (this.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
      throw err;
    }
  }

  private processReplacement(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).result;
    } catch (err) {
      if (this.peek() === EOF) throw new ShellLexError("syntax error: missing '/' in ${}");
      throw err;
    }
    const replacement = this.readUntilClosingBrace(true);
    const value = this.vars.get(name);
    if (value === undefined && this.options.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = patternToRegExp(pattern, true, false, replaceAll);
    // A function replacement keeps `$&` and friends literal, as Go's ReplaceAllLiteral-like use here does.
    return (value ?? '').replace(re, () => replacement);
  }

  /** A variable name: letters, digits and `_`; or all digits; or one special parameter. */
  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek() as string)) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next() as string;
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  /** `<<` and the blanks after it stay one word, so `<< EOF` is seen as one heredoc word. */
  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let result = '<<';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') result += this.next();
    return result;
  }
}

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

function isSpace(ch: string): boolean {
  return /^\s$/u.test(ch);
}

function isDigit(ch: string): boolean {
  return /^\p{Nd}$/u.test(ch);
}

function isLetter(ch: string): boolean {
  return /^\p{L}$/u.test(ch);
}

/** Substitutes variables and removes quotes and escapes; spaces are kept. */
export function processWord(word: string, vars: ReadonlyMap<string, string>, options: LexOptions): string {
  return new ShellWord(word, vars, options).run().result;
}

/** Like processWord, then splits into words on unquoted blanks (also blanks produced by substitution). */
export function processWords(word: string, vars: ReadonlyMap<string, string>, options: LexOptions): string[] {
  return new ShellWord(word, vars, options).run().words;
}
