/**
 * The words of `config/proxy.conf`: a tokenizer (words, "strings", braces, semicolons, `#` comments) and a
 * cursor that reads them one at a time and says what it expected. It knows no directives: proxyconf.ts
 * gives the tokens their meaning. New; WeApRous read its config with regular expressions.
 */

export interface Token {
  kind: 'word' | 'string' | '{' | '}' | ';' | 'end';
  text: string;
  line: number;
}

/** Thrown inside the parser only; `parseProxyConfig` turns it into an error result. */
export class ConfigSyntaxError {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {}
}

/** Splits the text into words, "strings", braces and semicolons; `#` starts a comment. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') line++;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ kind: c, text: c, line });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const newline = text.indexOf('\n', i + 1);
      if (end === -1 || (newline !== -1 && newline < end)) throw new ConfigSyntaxError(line, "missing closing '\"' on this line");
      tokens.push({ kind: 'string', text: text.slice(i + 1, end), line });
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !/[\s{};#"]/.test(text[end])) end++;
      tokens.push({ kind: 'word', text: text.slice(i, end), line });
      i = end;
    }
  }
  tokens.push({ kind: 'end', text: 'end of file', line });
  return tokens;
}

/** Reads tokens one at a time and remembers where the last one was, for "expected ';' after ...". */
export class Cursor {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  next(): Token {
    const token = this.tokens[this.index];
    if (token.kind !== 'end') this.index++;
    return token;
  }

  peek(): Token {
    return this.tokens[this.index];
  }

  /** The line of the token read last: a missing ';' belongs to the line it should have ended. */
  get lastLine(): number {
    return this.tokens[Math.max(0, this.index - 1)].line;
  }

  /** A word or a "string" (a value), or a syntax error that says what was expected. */
  value(what: string): Token {
    const token = this.next();
    if (token.kind !== 'word' && token.kind !== 'string')
      throw new ConfigSyntaxError(token.line, `expected ${what}, found ${describe(token)}`);
    return token;
  }

  semicolon(after: string): void {
    const line = this.lastLine;
    if (this.next().kind !== ';') throw new ConfigSyntaxError(line, `expected ';' after ${after}`);
  }
}

/** A token as a message names it: `';'`, `"a:8080"`, end of file. */
export function describe(token: Token): string {
  return token.kind === 'end' ? 'end of file' : token.kind === 'string' ? `"${token.text}"` : `'${token.text}'`;
}
