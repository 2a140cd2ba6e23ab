import { parseError, type QueryError, validationError } from './errors';
import { javaEscape, Lexer, type Token } from './lexer';
import type { Condition, Operator, OrderBy, ParsedQuery, QueryValue } from './types';

const DEFAULT_MAX_RESULTS = 100;
const MAX_MAX_RESULTS = 1000;

/**
 * Parses the QBO query grammar:
 * `SELECT * | COUNT(*) | *, p | p, … FROM Entity [WHERE p op v [AND ...]] [ORDERBY p [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]`.
 * Reserved words and property names are case-insensitive; `ORDER BY` is accepted as well as `ORDERBY`.
 */
export function parseQuery(text: string): ParsedQuery {
  if (text.trim() === '') throw parseError('The query provided was empty');
  return new Parser(new Lexer(text)).parse();
}

const COMPARISONS: readonly Operator[] = ['=', '<', '>', '<=', '>='];

class Parser {
  private current: Token;

  constructor(private readonly lexer: Lexer) {
    this.current = lexer.next();
  }

  parse(): ParsedQuery {
    this.expectKeyword('SELECT');
    const projection = this.parseProjection();
    this.expectKeyword('FROM');
    const entity = this.expectIdentifier(false);

    const query: ParsedQuery = {
      entity,
      ...projection,
      where: [],
      orderBy: [],
      startPosition: 1,
      maxResults: DEFAULT_MAX_RESULTS,
    };
    if (this.acceptKeyword('WHERE')) query.where = this.parseConditions();
    if (this.acceptOrderBy()) query.orderBy = this.parseOrderBy();
    // QBO takes STARTPOSITION 0 as the first row, as 1 (python-quickbooks clients send 0).
    if (this.acceptKeyword('STARTPOSITION')) query.startPosition = Math.max(1, this.parseInteger(0));
    if (this.acceptKeyword('MAXRESULTS')) {
      query.maxResults = this.parsePositiveInteger();
      if (query.maxResults > MAX_MAX_RESULTS) {
        throw validationError(
          `value ${query.maxResults} is too large. Max allowed value is ${MAX_MAX_RESULTS}`,
        );
      }
    }
    if (this.current.kind !== 'eof') throw this.unexpected();
    return query;
  }

  /**
   * `COUNT(*)`, or a list of `*` and property names: `*`, `*, Sku` (python-quickbooks asks for Items so, as `*`
   * leaves Sku out) or `Id, DisplayName`.
   */
  private parseProjection(): Pick<ParsedQuery, 'count' | 'fields' | 'allFields'> {
    if (this.current.kind === 'identifier' && this.current.value.toUpperCase() === 'COUNT') {
      this.advance();
      this.expectSymbol('(');
      this.expectSymbol('*');
      this.expectSymbol(')');
      return { count: true, fields: [], allFields: true };
    }
    const fields: string[] = [];
    let allFields = false;
    do {
      if (this.acceptSymbol('*')) allFields = true;
      else fields.push(this.expectIdentifier(true));
    } while (this.acceptSymbol(','));
    return { count: false, fields, allFields };
  }

  private parseConditions(): Condition[] {
    const conditions = [this.parseCondition()];
    // OR is a reserved word that QBO does not support: it falls through to the "unexpected token" error.
    while (this.acceptKeyword('AND')) conditions.push(this.parseCondition());
    return conditions;
  }

  private parseCondition(): Condition {
    const field = this.expectIdentifier(true);
    const operator = this.parseOperator();
    if (operator === 'IN') return { field, operator, value: this.parseValueList() };
    const valueToken = this.current;
    const value = this.parseValue();
    if (operator === 'LIKE' && typeof value !== 'string') {
      throw validationError(`LIKE needs a quoted pattern, not ${valueToken.image}`);
    }
    return { field, operator, value };
  }

  private parseOperator(): Operator {
    const token = this.current;
    if (token.kind === 'keyword' && (token.value === 'IN' || token.value === 'LIKE')) {
      this.advance();
      return token.value;
    }
    const comparison =
      token.kind === 'symbol' ? COMPARISONS.find((operator) => operator === token.value) : undefined;
    if (comparison) {
      this.advance();
      return comparison;
    }
    throw this.unexpected();
  }

  private parseValueList(): QueryValue[] {
    this.expectSymbol('(');
    const values: QueryValue[] = [];
    do {
      const token = this.current;
      const value = this.parseValue();
      if (typeof value === 'object') {
        throw validationError(`${token.image} is not supported in an IN list`);
      }
      values.push(value);
    } while (this.acceptSymbol(','));
    this.expectSymbol(')');
    return values;
  }

  /** `'quoted'`, a number, `true`/`false`, `CURRENT_DATE`, or any other bare word (taken as text). */
  private parseValue(): QueryValue | { currentDate: true } {
    const token = this.current;
    switch (token.kind) {
      case 'string':
        this.advance();
        return token.value;
      case 'integer':
      case 'decimal':
        this.advance();
        return Number(token.value);
      case 'identifier': {
        this.advance();
        const word = token.value.toLowerCase();
        if (word === 'true' || word === 'false') return word === 'true';
        if (word === 'current_date') return { currentDate: true };
        return token.value;
      }
      default:
        throw this.unexpected();
    }
  }

  /** `ORDERBY`, or `ORDER BY` since the real parser reserves `order` too. */
  private acceptOrderBy(): boolean {
    if (this.acceptKeyword('ORDERBY')) return true;
    if (!this.acceptKeyword('ORDER')) return false;
    this.expectKeyword('BY');
    return true;
  }

  private parseOrderBy(): OrderBy[] {
    const orderBy: OrderBy[] = [];
    do {
      const field = this.expectIdentifier(true);
      let direction: OrderBy['direction'] = 'ASC';
      if (this.acceptKeyword('DESC')) direction = 'DESC';
      else this.acceptKeyword('ASC');
      orderBy.push({ field, direction });
    } while (this.acceptSymbol(','));
    return orderBy;
  }

  private parsePositiveInteger(): number {
    return this.parseInteger(1);
  }

  private parseInteger(min: number): number {
    const token = this.current;
    if (token.kind !== 'integer') throw this.unexpected();
    const value = Number(token.value);
    if (!Number.isSafeInteger(value)) throw this.unexpected();
    this.advance();
    if (value < min) throw validationError(`value ${value} is too small. Min allowed value is ${min}`);
    return value;
  }

  private expectIdentifier(dottedPathAllowed: boolean): string {
    const token = this.current;
    if (token.kind !== 'identifier' || (!dottedPathAllowed && token.value.includes('.'))) {
      throw this.unexpected();
    }
    this.advance();
    return token.value;
  }

  private acceptKeyword(keyword: string): boolean {
    if (this.current.kind !== 'keyword' || this.current.value !== keyword) return false;
    this.advance();
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) throw this.unexpected();
  }

  private acceptSymbol(symbol: string): boolean {
    if (this.current.kind !== 'symbol' || this.current.value !== symbol) return false;
    this.advance();
    return true;
  }

  private expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.unexpected();
  }

  private advance(): void {
    this.current = this.lexer.next();
  }

  /** JavaCC's wording: `Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.` */
  private unexpected(): QueryError {
    const token = this.current;
    const described = token.kind === 'eof' ? '<EOF>' : ` ${tokenLabel(token)} "${javaEscape(token.image)} "`;
    return parseError(`Encountered "${described}" at line ${token.line}, column ${token.column}.`);
  }
}

/** The token names the real grammar shows: `<IDENTIFIER>`, `<AND>`, `<OR>` and quoted literals like `"orderby"`. */
function tokenLabel(token: Token): string {
  switch (token.kind) {
    case 'identifier':
      return '<IDENTIFIER>';
    case 'string':
      return '<STRING>';
    case 'integer':
      return '<INTEGER>';
    case 'decimal':
      return '<DECIMAL>';
    case 'keyword':
      return token.value === 'AND' || token.value === 'OR'
        ? `<${token.value}>`
        : `"${token.value.toLowerCase()}"`;
    default:
      return `"${token.value}"`;
  }
}
