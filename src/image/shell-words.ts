/**
 * The small piece of Dockerfile shell lexing that instruction arguments need:
 * splitting on unquoted whitespace, then removing quotes and escapes while
 * expanding `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` (and the forms
 * without a colon) from the build environment. Escape character is `\`.
 */

/** Splits on unquoted, unescaped whitespace. Quotes and escapes stay in the words. */
export function splitRawWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (ch === '\\' && quote !== "'" && i + 1 < s.length) {
      word += s[++i];
    } else if (quote === undefined && (ch === '"' || ch === "'")) {
      quote = ch;
    } else if (ch === quote) {
      quote = undefined;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Removes quotes and escapes from one word and expands variables from `env`. */
export function expandWord(word: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const ch = word[i];
    if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unexpected end of statement while looking for matching single-quote`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= word.length) throw new Error(`unexpected end of statement while looking for matching double-quote`);
        const c = word[i];
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\' && i + 1 < word.length && '"$\\'.includes(word[i + 1])) {
          out += word[i + 1];
          i += 2;
        } else if (c === '$') {
          const r = expandVariable(word, i, env);
          out += r.value;
          i = r.next;
        } else {
          out += c;
          i++;
        }
      }
    } else if (ch === '\\') {
      if (i + 1 < word.length) out += word[i + 1];
      i += 2;
    } else if (ch === '$') {
      const r = expandVariable(word, i, env);
      out += r.value;
      i = r.next;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Expands the variable starting at `word[at] === '$'`. */
function expandVariable(word: string, at: number, env: ReadonlyMap<string, string>): { value: string; next: number } {
  const nameRe = /^[A-Za-z_][A-Za-z0-9_]*/;
  if (word[at + 1] !== '{') {
    const m = nameRe.exec(word.slice(at + 1));
    if (!m) return { value: '$', next: at + 1 };
    return { value: env.get(m[0]) ?? '', next: at + 1 + m[0].length };
  }
  const close = word.indexOf('}', at + 2);
  if (close < 0) throw new Error(`missing '}' in ${JSON.stringify(word)}`);
  const body = word.slice(at + 2, close);
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])(.*))?$/s.exec(body);
  if (!m) throw new Error(`bad substitution in ${JSON.stringify(word)}`);
  const [, name, colon, op, operand] = m;
  const value = env.get(name);
  const set = colon === ':' ? value !== undefined && value !== '' : value !== undefined;
  let result: string;
  if (op === '-') result = set ? (value as string) : expandWord(operand, env);
  else if (op === '+') result = set ? expandWord(operand, env) : '';
  else result = value ?? '';
  return { value: result, next: close + 1 };
}
