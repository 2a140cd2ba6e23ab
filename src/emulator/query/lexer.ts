import { parseError } from './errors';

export type TokenKind = 'keyword' | 'identifier' | 'string' | 'integer' | 'decimal' | 'symbol' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text, quotes and escapes included. */
  image: string;
  /** Keywords in upper case, strings unescaped, everything else as written. */
  value: string;
  /** 1-based, like the real parser's messages. */
  line: number;
  column: number;
}

/** Reserved words; the real parser also reserves `iterator`, which nothing here accepts anyway. */
const KEYWORDS: ReadonlySet<string> = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'IN',
  'LIKE',
  'ORDERBY',
  'ORDER',
  'BY',
  'ASC',
  'DESC',
  'STARTPOSITION',
  'MAXRESULTS',
]);

const isDigit = (char: string | undefined): boolean => char !== undefined && char >= '0' && char <= '9';
const isWordStart = (char: string | undefined): boolean => char !== undefined && /[A-Za-z_]/.test(char);
const isWordPart = (char: string | undefined): boolean => char !== undefined && /[A-Za-z0-9_]/.test(char);

/**
 * Yields one token per call so that, as with the real (JavaCC) parser, a grammar error before a lexical problem is
 * the one reported: `'Adam's Candy Shop'` fails at the identifier `s`, not at the dangling quote at the end.
 */
export class Lexer {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly text: string) {}

  next(): Token {
    this.skipWhitespace();
    const start = { offset: this.offset, line: this.line, column: this.column };
    const char = this.text[this.offset];
    const token = (kind: TokenKind, value?: string): Token => {
      const image = this.text.slice(start.offset, this.offset);
      return { kind, image, value: value ?? image, line: start.line, column: start.column };
    };

    if (char === undefined) return token('eof');
    if (char === "'") return token('string', this.readString());
    if (isDigit(char) || (char === '-' && isDigit(this.text[this.offset + 1]))) {
      return token(this.readNumber());
    }
    if (isWordStart(char)) {
      this.readWord();
      const upper = this.text.slice(start.offset, this.offset).toUpperCase();
      return KEYWORDS.has(upper) ? token('keyword', upper) : token('identifier');
    }
    if (char === '<' || char === '>') {
      this.advance();
      if (this.text[this.offset] === '=') this.advance();
      return token('symbol');
    }
    if ('=(),*'.includes(char)) {
      this.advance();
      return token('symbol');
    }
    throw parseError(
      `Lexical error at line ${this.line}, column ${this.column}.  Encountered: ` +
        `"${javaEscape(char)}" (${char.charCodeAt(0)}), after : ""`,
    );
  }

  /** Returns the unescaped contents; `\'` is a quote and `\\` a backslash, as in the QBO docs' `'Adam\'s'`. */
  private readString(): string {
    const start = this.offset;
    let contents = '';
    this.advance();
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined) {
        throw parseError(
          `Lexical error at line ${this.line}, column ${this.column}.  Encountered: <EOF> ` +
            `after : "${javaEscape(this.text.slice(start))}"`,
        );
      }
      this.advance();
      if (char === "'") return contents;
      const escaped = this.text[this.offset];
      if (char === '\\' && (escaped === "'" || escaped === '\\')) {
        this.advance();
        contents += escaped;
      } else {
        contents += char;
      }
    }
  }

  private readNumber(): 'integer' | 'decimal' {
    if (this.text[this.offset] === '-') this.advance();
    while (isDigit(this.text[this.offset])) this.advance();
    if (this.text[this.offset] !== '.' || !isDigit(this.text[this.offset + 1])) return 'integer';
    this.advance();
    while (isDigit(this.text[this.offset])) this.advance();
    return 'decimal';
  }

  /** A word may be a dotted property path such as `MetaData.LastUpdatedTime`. */
  private readWord(): void {
    for (;;) {
      while (isWordPart(this.text[this.offset])) this.advance();
      if (this.text[this.offset] !== '.' || !isWordStart(this.text[this.offset + 1])) return;
      this.advance();
    }
  }

  private skipWhitespace(): void {
    while (/\s/.test(this.text[this.offset] ?? '')) this.advance();
  }

  private advance(): void {
    const char = this.text[this.offset];
    this.offset += 1;
    // CRLF is one line break: the CR waits for its LF.
    if (char === '\n' || (char === '\r' && this.text[this.offset] !== '\n')) {
      this.line += 1;
      this.column = 1;
    } else {
      this.column += 1;
    }
  }
}

/** The escaping JavaCC applies to token images in its messages. */
export function javaEscape(text: string): string {
  const named: Record<string, string> = {
    '\b': '\\b',
    '\t': '\\t',
    '\n': '\\n',
    '\f': '\\f',
    '\r': '\\r',
    '"': '\\"',
    "'": "\\'",
    '\\': '\\\\',
  };
  let escaped = '';
  // Per UTF-16 unit, as Java sees a string.
  for (const char of text.split('')) {
    const code = char.charCodeAt(0);
    escaped +=
      named[char] ?? (code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : char);
  }
  return escaped;
}
