import { parseQuery, QueryError, type ParsedQuery } from '../../../src/emulator/query';

/** The error parseQuery throws for `text`, so tests can assert on kind and detail. */
function queryErrorOf(text: string): QueryError {
  try {
    parseQuery(text);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('parseQuery: accepted grammar', () => {
  it('fills the defaults for the smallest query', () => {
    expect(parseQuery('SELECT * FROM Customer')).toEqual<ParsedQuery>({
      entity: 'Customer',
      count: false,
      fields: [],
      allFields: true,
      where: [],
      orderBy: [],
      startPosition: 1,
      maxResults: 100,
    });
  });

  it('is case-insensitive for keywords and keeps entity and property names as written', () => {
    expect(
      parseQuery("SELECT * from cUstomer where givenname = 'Greg' Startposition 10"),
    ).toEqual<ParsedQuery>({
      entity: 'cUstomer',
      count: false,
      fields: [],
      allFields: true,
      where: [{ field: 'givenname', operator: '=', value: 'Greg' }],
      orderBy: [],
      startPosition: 10,
      maxResults: 100,
    });
  });

  it.each([
    ['=', "DisplayName = 'A'"],
    ['<', "Balance < '10'"],
    ['>', "Balance > '10'"],
    ['<=', "Balance <= '10'"],
    ['>=', "Balance >= '10'"],
    ['LIKE', "DisplayName like 'A%'"],
  ])('reads the %s operator', (operator, clause) => {
    expect(parseQuery(`SELECT * FROM Customer WHERE ${clause}`).where[0]?.operator).toBe(operator);
  });

  it('reads IN lists of strings, numbers and booleans', () => {
    const { where } = parseQuery("SELECT * FROM Customer WHERE Id in ('1', 2, -3.5, true, FALSE, bare)");
    expect(where).toEqual([{ field: 'Id', operator: 'IN', value: ['1', 2, -3.5, true, false, 'bare'] }]);
  });

  it('reads the value forms: quoted, numbers, booleans and CURRENT_DATE', () => {
    const { where } = parseQuery(
      "SELECT * FROM Invoice WHERE DocNumber = '1001' AND TotalAmt >= 300.00 AND Balance > -5 " +
        'AND Active = true AND TxnDate <= current_date',
    );
    expect(where.map((condition) => condition.value)).toEqual(['1001', 300, -5, true, { currentDate: true }]);
  });

  it('unescapes a backslash-escaped quote and backslash inside a value', () => {
    const { where } = parseQuery(
      String.raw`SELECT * FROM Customer WHERE DisplayName = 'Adam\'s Candy \\ Shop'`,
    );
    expect(where[0]?.value).toBe("Adam's Candy \\ Shop");
  });

  it('keeps dotted property paths whole', () => {
    const { where } = parseQuery("select * from Customer Where Metadata.LastUpdatedTime > '2015-03-01'");
    expect(where).toEqual([{ field: 'Metadata.LastUpdatedTime', operator: '>', value: '2015-03-01' }]);
  });

  it('ANDs any number of conditions in order', () => {
    const { where } = parseQuery(
      "SELECT * FROM Invoice WHERE TxnDate > '2011-01-01' AND TxnDate <= CURRENT_DATE",
    );
    expect(where.map((condition) => `${condition.field} ${condition.operator}`)).toEqual([
      'TxnDate >',
      'TxnDate <=',
    ]);
  });

  it.each([
    'select count(*) from Invoice',
    'SELECT COUNT ( * ) FROM Invoice',
    'SELECT Count(*) FROM Invoice',
  ])('reads %s as a count', (text) => {
    expect(parseQuery(text)).toMatchObject({ entity: 'Invoice', count: true });
  });

  it('reads ORDERBY and ORDER BY with several fields, ASC by default', () => {
    const expected = [
      { field: 'FamilyName', direction: 'DESC' },
      { field: 'GivenName', direction: 'ASC' },
      { field: 'Id', direction: 'ASC' },
    ];
    expect(parseQuery('SELECT * FROM Customer ORDERBY FamilyName DESC, GivenName ASC, Id').orderBy).toEqual(
      expected,
    );
    expect(parseQuery('SELECT * FROM Customer order by FamilyName desc, GivenName asc, Id').orderBy).toEqual(
      expected,
    );
  });

  it('reads every clause together, across lines', () => {
    const query = parseQuery(
      "SELECT *\n  FROM Invoice\n  WHERE CustomerRef = '1'\n  ORDERBY TxnDate DESC\n  STARTPOSITION 21\n  MAXRESULTS 20",
    );
    expect(query).toEqual<ParsedQuery>({
      entity: 'Invoice',
      count: false,
      fields: [],
      allFields: true,
      where: [{ field: 'CustomerRef', operator: '=', value: '1' }],
      orderBy: [{ field: 'TxnDate', direction: 'DESC' }],
      startPosition: 21,
      maxResults: 20,
    });
  });

  it('takes STARTPOSITION 0 as the first row, as QBO does', () => {
    expect(parseQuery('SELECT * FROM Item STARTPOSITION 0 MAXRESULTS 10').startPosition).toBe(1);
  });

  it('reads projections: *, extra properties, or properties alone', () => {
    expect(parseQuery('SELECT *, Sku FROM Item')).toMatchObject({ allFields: true, fields: ['Sku'] });
    expect(parseQuery('select Id, DisplayName from Customer')).toMatchObject({
      allFields: false,
      fields: ['Id', 'DisplayName'],
    });
    expect(parseQuery('SELECT COUNT(*) FROM Item')).toMatchObject({ count: true, fields: [] });
  });

  it('accepts MAXRESULTS 1000, the maximum', () => {
    expect(parseQuery('SELECT * FROM Item MAXRESULTS 1000').maxResults).toBe(1000);
  });
});

describe('parseQuery: errors', () => {
  it.each(['', '   ', '\n\t '])('rejects an empty query (%j) with the real detail text', (text) => {
    const error = queryErrorOf(text);
    expect(error).toBeInstanceOf(Error);
    expect(error.kind).toBe('parse');
    expect(error.detail).toBe('QueryParserError: The query provided was empty');
    expect(error.message).toBe(error.detail);
  });

  it('rejects MAXRESULTS over 1000 as a validation error naming the value', () => {
    const error = queryErrorOf('SELECT * FROM Customer MAXRESULTS 1001');
    expect(error.kind).toBe('validation');
    expect(error.detail).toBe('QueryValidationError: value 1001 is too large. Max allowed value is 1000');
    expect(queryErrorOf('SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 1500').detail).toBe(
      'QueryValidationError: value 1500 is too large. Max allowed value is 1000',
    );
  });

  it.each([
    [
      'SELECT * FROM Customer MAXRESULTS 0',
      'QueryValidationError: value 0 is too small. Min allowed value is 1',
    ],
    [
      'SELECT * FROM Customer STARTPOSITION -3',
      'QueryValidationError: value -3 is too small. Min allowed value is 0',
    ],
  ])('rejects %s as a validation error', (text, detail) => {
    const error = queryErrorOf(text);
    expect(error.kind).toBe('validation');
    expect(error.detail).toBe(detail);
  });

  it('rejects OR, pointing at it', () => {
    const error = queryErrorOf("SELECT * FROM Customer WHERE Active = true OR Id = '1'");
    expect(error.kind).toBe('parse');
    expect(error.detail).toBe('QueryParserError: Encountered " <OR> "OR "" at line 1, column 44.');
  });

  it('rejects an unescaped quote at the word after it, like the real parser', () => {
    const error = queryErrorOf("SELECT * FROM Customer WHERE DisplayName = 'Adam's Candy Shop'");
    expect(error.detail).toBe('QueryParserError: Encountered " <IDENTIFIER> "s "" at line 1, column 50.');
  });

  it('rejects an unterminated string as a lexical error', () => {
    const error = queryErrorOf("SELECT * FROM Customer WHERE DisplayName = 'Adam");
    expect(error.kind).toBe('parse');
    expect(error.detail).toBe(
      `QueryParserError: Lexical error at line 1, column 49.  Encountered: <EOF> after : "\\'Adam"`,
    );
  });

  it('reports a stray word with its 1-based column', () => {
    const text = "SELECT * FROM Customer WHERE DisplayName = 'Amy' R";
    expect(queryErrorOf(text).detail).toBe(
      'QueryParserError: Encountered " <IDENTIFIER> "R "" at line 1, column 50.',
    );
  });

  it('reports line and column on later lines', () => {
    const error = queryErrorOf("SELECT *\nFROM Customer\r\nWHERE DisplayName == 'x'");
    expect(error.detail).toBe('QueryParserError: Encountered " "=" "= "" at line 3, column 20.');
  });

  it('rejects a missing FROM', () => {
    expect(queryErrorOf('SELECT * Customer').detail).toBe(
      'QueryParserError: Encountered " <IDENTIFIER> "Customer "" at line 1, column 10.',
    );
  });

  it('rejects a query that stops early with <EOF>', () => {
    expect(queryErrorOf('SELECT * FROM').detail).toBe(
      'QueryParserError: Encountered "<EOF>" at line 1, column 14.',
    );
    expect(queryErrorOf('SELECT * FROM Customer WHERE Id =').detail).toBe(
      'QueryParserError: Encountered "<EOF>" at line 1, column 34.',
    );
  });

  it.each([
    ["SELECT * FROM Customer WHERE Id <> '1'", 'Encountered " ">" "> "" at line 1, column 34.'],
    [
      "SELECT * FROM Customer WHERE Id NOT IN ('1')",
      'Encountered " <IDENTIFIER> "NOT "" at line 1, column 33.',
    ],
    [
      "SELECT * FROM Customer WHERE Id BETWEEN '1'",
      'Encountered " <IDENTIFIER> "BETWEEN "" at line 1, column 33.',
    ],
    [
      "SELECT * FROM Customer WHERE Id != '1'",
      'Lexical error at line 1, column 33.  Encountered: "!" (33), after : ""',
    ],
  ])('rejects an unknown operator: %s', (text, message) => {
    const error = queryErrorOf(text);
    expect(error.kind).toBe('parse');
    expect(error.detail).toBe(`QueryParserError: ${message}`);
  });

  it.each([
    ['DELETE FROM Customer', 'Encountered " <IDENTIFIER> "DELETE "" at line 1, column 1.'],
    ['SELECT * FROM Where', 'Encountered " "where" "Where "" at line 1, column 15.'],
    [
      'SELECT * FROM MetaData.Customer',
      'Encountered " <IDENTIFIER> "MetaData.Customer "" at line 1, column 15.',
    ],
    [
      'SELECT * FROM Customer ORDER FamilyName',
      'Encountered " <IDENTIFIER> "FamilyName "" at line 1, column 30.',
    ],
    ['SELECT * FROM Customer STARTPOSITION 1.5', 'Encountered " <DECIMAL> "1.5 "" at line 1, column 38.'],
    ['SELECT * FROM Customer WHERE Id IN ()', 'Encountered " ")" ") "" at line 1, column 37.'],
    [
      "SELECT * FROM Customer WHERE Id IN ('1' '2')",
      'Encountered " <STRING> "\\\'2\\\' "" at line 1, column 41.',
    ],
    ['SELECT * FROM Customer;', 'Lexical error at line 1, column 23.  Encountered: ";" (59), after : ""'],
    // The documented clause order is STARTPOSITION before MAXRESULTS.
    [
      'SELECT * FROM Customer MAXRESULTS 10 STARTPOSITION 5',
      'Encountered " "startposition" "STARTPOSITION "" at line 1, column 38.',
    ],
  ])('rejects %s', (text, message) => {
    const error = queryErrorOf(text);
    expect(error.kind).toBe('parse');
    expect(error.detail).toBe(`QueryParserError: ${message}`);
  });

  it('rejects LIKE without a quoted pattern, and CURRENT_DATE in an IN list', () => {
    expect(queryErrorOf('SELECT * FROM Customer WHERE Balance LIKE 5')).toMatchObject({
      kind: 'validation',
      detail: 'QueryValidationError: LIKE needs a quoted pattern, not 5',
    });
    expect(queryErrorOf('SELECT * FROM Invoice WHERE TxnDate IN (CURRENT_DATE)')).toMatchObject({
      kind: 'validation',
      detail: 'QueryValidationError: CURRENT_DATE is not supported in an IN list',
    });
  });
});
