/**
 * Lexer and parser for the Go text/template subset that `--format` accepts.
 * Errors carry Go's wording prefixed as docker prints them:
 * `template parsing error: template: :1: unexpected "}" in operand`.
 */

/** A parse or execution failure of a --format template. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** An operand of a command: the smallest evaluable piece of a pipeline. */
export type Arg =
  | { type: 'field'; names: string[]; pos: number; src: string } // .A.B, relative to dot
  | { type: 'dot'; pos: number; src: string }
  | { type: 'variable'; name: string; names: string[]; pos: number; src: string } // $x.A
  | { type: 'function'; name: string; pos: number; src: string }
  | { type: 'literal'; value: string | number | boolean; pos: number; src: string }
  | { type: 'nil'; pos: number; src: string }
  | { type: 'pipe'; pipe: Pipeline; names: string[]; pos: number; src: string }; // (x).A

export interface Command {
  args: Arg[];
  pos: number;
  src: string;
}

export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) by this pipeline. */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  pos: number;
}

export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipe: Pipeline }
  | ControlNode
  | { type: 'break' | 'continue' };

/** {{if}}, {{with}} and {{range}}, with the list run when the pipeline is empty or false. */
export interface ControlNode {
  type: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: Node[];
  elseList: Node[] | null;
}

type Token =
  | { k: 'text'; text: string; pos: number }
  | { k: 'ldelim' | 'rdelim' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'dot'; pos: number }
  | { k: 'field'; names: string[]; pos: number; end: number }
  | { k: 'variable'; name: string; names: string[]; pos: number; end: number }
  | { k: 'ident'; name: string; pos: number }
  | { k: 'string' | 'number' | 'bool'; value: string | number | boolean; pos: number; end: number }
  | { k: 'nil'; pos: number }
  | { k: 'char'; ch: string; pos: number }
  | { k: 'error'; message: string; pos: number }
  | { k: 'eof'; pos: number };

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const IDENT = /[\p{L}\p{Nd}_]/u;
const SINGLE: Record<string, Token['k']> = { '|': 'pipe', '(': 'lparen', ')': 'rparen', '=': 'assign', ',': 'comma' };

/** Splits the source into text and action tokens, applying `{{- ` / ` -}}` trims. */
function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNext = false;
  const fail = (message: string, at: number): Token[] => {
    tokens.push({ k: 'error', message, pos: at });
    return tokens;
  };
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) tokens.push({ k: 'text', text, pos });
      break;
    }
    const trimLeft = src[open + 2] === '-' && isSpace(src[open + 3]);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) tokens.push({ k: 'text', text, pos });
    let p = open + (trimLeft ? 4 : 2);
    if (src.startsWith('/*', p)) {
      const close = src.indexOf('*/', p + 2);
      if (close < 0) return fail('unclosed comment', open);
      p = close + 2;
      if (src.startsWith(' -}}', p)) {
        trimNext = true;
        p += 4;
      } else if (src.startsWith('}}', p)) {
        p += 2;
      } else {
        return fail('comment ends before closing delimiter', open);
      }
      pos = p;
      continue;
    }
    tokens.push({ k: 'ldelim', pos: open });
    const after = lexAction(src, p, tokens);
    if (after < 0) return tokens;
    pos = after;
    trimNext = tokens[tokens.length - 1].k === 'rdelim' && src.startsWith('-}}', pos - 3) && isSpace(src[pos - 4]);
  }
  tokens.push({ k: 'eof', pos: src.length });
  return tokens;
}

/** Lexes one action from `p`; returns the offset after `}}`, or -1 after pushing an error. */
function lexAction(src: string, p: number, tokens: Token[]): number {
  let depth = 0;
  for (;;) {
    while (isSpace(src[p])) {
      if (src[p + 1] === '-' && src.startsWith('}}', p + 2)) {
        tokens.push({ k: 'rdelim', pos: p });
        return p + 4;
      }
      p++;
    }
    if (p >= src.length) {
      tokens.push({ k: 'error', message: 'unclosed action', pos: p });
      return -1;
    }
    if (src.startsWith('}}', p)) {
      if (depth > 0) return pushError(tokens, 'unclosed left paren', p);
      tokens.push({ k: 'rdelim', pos: p });
      return p + 2;
    }
    const c = src[p];
    const start = p;
    if (c === '"' || c === '`') {
      const m = c === '"' ? /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(p)) : /^`[^`]*`/.exec(src.slice(p));
      if (!m) return pushError(tokens, c === '"' ? 'unterminated quoted string' : 'unterminated raw quoted string', p);
      const value = c === '"' ? unquote(m[0]) : m[0].slice(1, -1);
      if (value === null) return pushError(tokens, `invalid syntax: ${m[0]}`, p);
      p += m[0].length;
      tokens.push({ k: 'string', value, pos: start, end: p });
    } else if (c === "'") {
      const m = /^'(\\.|[^'\\])'/u.exec(src.slice(p));
      if (!m) return pushError(tokens, 'unterminated character constant', p);
      p += m[0].length;
      tokens.push({ k: 'number', value: (unquote(`"${m[1]}"`) ?? '').codePointAt(0) ?? 0, pos: start, end: p });
    } else if (c === '$' || (c === '.' && !/[0-9]/.test(src[p + 1] ?? ''))) {
      let name = '';
      if (c === '$') {
        p++;
        while (IDENT.test(src[p] ?? '')) p++;
        name = src.slice(start, p);
      }
      const names: string[] = [];
      while (src[p] === '.' && IDENT.test(src[p + 1] ?? '') && !/[0-9]/.test(src[p + 1])) {
        const s = ++p;
        while (IDENT.test(src[p] ?? '')) p++;
        names.push(src.slice(s, p));
      }
      if (c === '$') tokens.push({ k: 'variable', name, names, pos: start, end: p });
      else if (names.length === 0) tokens.push({ k: 'dot', pos: start }), p++;
      else tokens.push({ k: 'field', names, pos: start, end: p });
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[0-9.]/.test(src[p + 1] ?? ''))) {
      const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)/.exec(
        src.slice(p),
      ) as RegExpExecArray;
      p += m[0].length;
      const raw = m[0].replace(/_/g, '');
      const value = /^[+-]?0[oO]/.test(raw) ? Number(raw.replace(/0[oO]/, '0o')) : Number(raw);
      if (IDENT.test(src[p] ?? '') || src[p] === '.' || Number.isNaN(value)) {
        while (IDENT.test(src[p] ?? '') || src[p] === '.') p++;
        return pushError(tokens, `bad number syntax: "${src.slice(start, p)}"`, start);
      }
      tokens.push({ k: 'number', value, pos: start, end: p });
    } else if (/[\p{L}_]/u.test(c)) {
      while (IDENT.test(src[p] ?? '')) p++;
      const word = src.slice(start, p);
      if (word === 'true' || word === 'false') tokens.push({ k: 'bool', value: word === 'true', pos: start, end: p });
      else if (word === 'nil') tokens.push({ k: 'nil', pos: start });
      else tokens.push({ k: 'ident', name: word, pos: start });
    } else if (c === ':') {
      if (src[p + 1] !== '=') return pushError(tokens, 'expected :=', p);
      tokens.push({ k: 'declare', pos: p });
      p += 2;
    } else if (SINGLE[c]) {
      if (c === '(') depth++;
      if (c === ')' && --depth < 0) return pushError(tokens, `unexpected right paren`, p);
      tokens.push({ k: SINGLE[c], pos: p } as Token);
      p++;
    } else if (c >= ' ' && c <= '~') {
      tokens.push({ k: 'char', ch: c, pos: p });
      p++;
    } else {
      const cp = src.codePointAt(p) ?? 0;
      return pushError(tokens, `bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${String.fromCodePoint(cp)}'`, p);
    }
  }
}

function pushError(tokens: Token[], message: string, pos: number): number {
  tokens.push({ k: 'error', message, pos });
  return -1;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Go's strconv.Unquote for a double-quoted literal; null when malformed. */
function unquote(quoted: string): string | null {
  let bad = false;
  const out = quoted.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    if (e.length === 1) {
      if (ESCAPES[e] === undefined) bad = true;
      return ESCAPES[e] ?? '';
    }
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return String.fromCodePoint(parseInt(e.slice(1), 16));
  });
  return bad ? null : out;
}

const CONTROL = new Set(['if', 'range', 'with', 'else', 'end', 'break', 'continue', 'define', 'template', 'block']);

/** Parses `src` into a node list; `functions` are the names an identifier may call. */
export function parse(src: string, functions: ReadonlySet<string>): Node[] {
  return new Parser(src, lex(src), functions).parseTemplate();
}

type Stop = 'end' | 'else' | 'elseif' | 'eof';

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly functions: ReadonlySet<string>,
  ) {}

  parseTemplate(): Node[] {
    const { nodes, stop } = this.parseList();
    if (stop === 'end') this.fail('unexpected {{end}}');
    if (stop !== 'eof') this.fail('unexpected {{else}}');
    return nodes;
  }

  private fail(message: string, pos = this.peek().pos): never {
    const line = this.src.slice(0, pos).split('\n').length;
    throw new TemplateError(`template parsing error: template: :${line}: ${message}`);
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const tok = this.tokens[this.i];
    if (tok.k === 'error') this.fail(tok.message, tok.pos);
    if (tok.k !== 'eof') this.i++;
    return tok;
  }

  private describe(tok: Token): string {
    switch (tok.k) {
      case 'eof':
        return 'EOF';
      case 'rdelim':
        return '"}}"';
      case 'char':
        return JSON.stringify(tok.ch);
      case 'ident':
        return CONTROL.has(tok.name) ? `<${tok.name}>` : JSON.stringify(tok.name);
      default:
        return JSON.stringify(this.src.slice(tok.pos, 'end' in tok ? tok.end : tok.pos + 1));
    }
  }

  private parseList(): { nodes: Node[]; stop: Stop } {
    const nodes: Node[] = [];
    for (;;) {
      const tok = this.next();
      if (tok.k === 'eof') return { nodes, stop: 'eof' };
      if (tok.k === 'text') {
        nodes.push({ type: 'text', text: tok.text });
        continue;
      }
      const head = this.peek();
      if (head.k === 'ident' && CONTROL.has(head.name)) {
        this.next();
        const stop = this.parseKeyword(head.name, nodes);
        if (stop) return { nodes, stop };
        continue;
      }
      nodes.push({ type: 'action', pipe: this.parsePipeline('command', false) });
    }
  }

  /** Handles an action that starts with a keyword; returns a Stop for end/else. */
  private parseKeyword(word: string, nodes: Node[]): Stop | null {
    switch (word) {
      case 'end':
        this.expectClose('end');
        return 'end';
      case 'else': {
        const after = this.peek();
        if (after.k === 'ident' && (after.name === 'if' || after.name === 'with')) return 'elseif';
        this.expectClose('else');
        return 'else';
      }
      case 'if':
      case 'with':
      case 'range':
        nodes.push(this.parseControl(word));
        return null;
      case 'break':
      case 'continue':
        if (this.rangeDepth === 0) this.fail(`{{${word}}} outside {{range}}`);
        this.expectClose(word);
        nodes.push({ type: word });
        return null;
      default:
        return this.fail(`{{${word}}} is not supported`);
    }
  }

  private expectClose(context: string): void {
    const tok = this.next();
    if (tok.k !== 'rdelim') this.fail(`unexpected ${this.describe(tok)} in ${context}`, tok.pos);
  }

  private parseControl(kind: 'if' | 'with' | 'range'): Node {
    const mark = this.vars.length;
    const pipe = this.parsePipeline(kind, kind === 'range');
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.stop === 'eof') this.fail('unexpected EOF');
    if (body.stop === 'elseif') {
      if (kind === 'range') this.fail('unexpected <if> in range');
      // `{{else if x}}` is an `{{if x}}` nested in the else branch, sharing the outer {{end}}.
      const inner = this.next() as { name: string };
      elseList = [this.parseControl(inner.name as 'if' | 'with')];
    } else if (body.stop === 'else') {
      const rest = this.parseList();
      if (rest.stop !== 'end') this.fail(rest.stop === 'eof' ? 'unexpected EOF' : 'expected end; found {{else}}');
      elseList = rest.nodes;
    }
    this.vars.length = mark;
    return { type: kind, pipe, list: body.nodes, elseList };
  }

  private parsePipeline(context: string, isRange: boolean): Pipeline {
    const pipe: Pipeline = { decl: [], isAssign: false, cmds: [], pos: this.peek().pos };
    for (;;) {
      const v = this.peek();
      const after = this.tokens[this.i + 1];
      if (v.k !== 'variable' || v.names.length > 0) break;
      if (after.k === 'declare' || after.k === 'assign') {
        this.i += 2;
        pipe.decl.push(v.name);
        pipe.isAssign = after.k === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.name)) this.fail(`undefined variable "${v.name}"`, v.pos);
        break;
      }
      if (after.k === 'comma' && isRange && pipe.decl.length === 0) {
        this.i += 2;
        pipe.decl.push(v.name);
        continue;
      }
      if (after.k === 'comma') this.fail(`too many declarations in ${context}`, after.pos);
      break;
    }
    if (pipe.decl.length === 2 && pipe.isAssign) this.fail('range can only initialize variables');
    for (;;) {
      pipe.cmds.push(this.parseCommand(context));
      const tok = this.next();
      if (tok.k === 'pipe') continue;
      if (tok.k === 'rdelim' || tok.k === 'rparen') {
        if ((tok.k === 'rparen') !== (context === 'parenthesized pipeline')) {
          this.fail(`unexpected ${this.describe(tok)} in ${context}`, tok.pos);
        }
        break;
      }
      this.fail(`unexpected ${this.describe(tok)} in ${context}`, tok.pos);
    }
    if (!pipe.isAssign) this.vars.push(...pipe.decl);
    return pipe;
  }

  private parseCommand(context: string): Command {
    const args: Arg[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.k === 'pipe' || tok.k === 'rdelim' || tok.k === 'rparen') break;
      args.push(this.parseOperand());
    }
    const first = args[0];
    if (first === undefined) return this.fail(`missing value for ${context}`);
    const last = args[args.length - 1];
    return { args, pos: first.pos, src: this.src.slice(first.pos, last.pos + last.src.length) };
  }

  private parseOperand(): Arg {
    const tok = this.next();
    const src = (end: number): string => this.src.slice(tok.pos, end);
    switch (tok.k) {
      case 'field':
        return { type: 'field', names: tok.names, pos: tok.pos, src: src(tok.end) };
      case 'dot':
        return { type: 'dot', pos: tok.pos, src: '.' };
      case 'variable':
        if (!this.vars.includes(tok.name)) this.fail(`undefined variable "${tok.name}"`, tok.pos);
        return { type: 'variable', name: tok.name, names: tok.names, pos: tok.pos, src: src(tok.end) };
      case 'ident':
        if (!this.functions.has(tok.name)) this.fail(`function "${tok.name}" not defined`, tok.pos);
        return { type: 'function', name: tok.name, pos: tok.pos, src: tok.name };
      case 'string':
      case 'number':
      case 'bool':
        return { type: 'literal', value: tok.value, pos: tok.pos, src: src(tok.end) };
      case 'nil':
        return { type: 'nil', pos: tok.pos, src: 'nil' };
      case 'lparen': {
        const pipe = this.parsePipeline('parenthesized pipeline', false);
        const close = this.tokens[this.i - 1];
        const chain = this.peek();
        const names = chain.k === 'field' && chain.pos === close.pos + 1 ? (this.next(), chain.names) : [];
        const end = names.length > 0 ? (chain as { end: number }).end : close.pos + 1;
        return { type: 'pipe', pipe, names, pos: tok.pos, src: src(end) };
      }
      default:
        return this.fail(`unexpected ${this.describe(tok)} in operand`, tok.pos);
    }
  }
}
