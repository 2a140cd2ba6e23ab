import {
  entityOfStatement,
  escapeQueryString,
  qboIdentifier,
  qboQuery,
  QboUsageError,
} from '../../../src/qbo';

describe('escapeQueryString', () => {
  it("backslash-escapes quotes and backslashes, QBO's only escapes", () => {
    expect(escapeQueryString("O'Brien")).toBe("O\\'Brien");
    expect(escapeQueryString("Adam's Candy Shop")).toBe("Adam\\'s Candy Shop");
    expect(escapeQueryString('C:\\Temp')).toBe('C:\\\\Temp');
    // A trailing backslash must not escape the closing quote.
    expect(escapeQueryString('ends\\')).toBe('ends\\\\');
    expect(escapeQueryString("\\'")).toBe("\\\\\\'");
    expect(escapeQueryString('plain 100% "double"')).toBe('plain 100% "double"');
  });
});

describe('qboQuery', () => {
  it('quotes and escapes interpolated text', () => {
    const name = "O'Brien";
    expect(qboQuery`select * from Customer where DisplayName = ${name}`).toBe(
      "select * from Customer where DisplayName = 'O\\'Brien'",
    );
    expect(qboQuery`select * from Customer where DisplayName = ${"Adam's Candy Shop"}`).toBe(
      "select * from Customer where DisplayName = 'Adam\\'s Candy Shop'",
    );
  });

  it('cannot be broken out of: an injected clause stays inside the string', () => {
    const hostile = "x' or DisplayName = 'y";
    const statement = qboQuery`select * from Customer where DisplayName = ${hostile}`;
    expect(statement).toBe("select * from Customer where DisplayName = 'x\\' or DisplayName = \\'y'");
    const backslashThenQuote = "a\\' or 1 = 1";
    expect(qboQuery`select * from Customer where DisplayName = ${backslashThenQuote}`).toBe(
      "select * from Customer where DisplayName = 'a\\\\\\' or 1 = 1'",
    );
  });

  it("leaves % alone: it is LIKE's wildcard and QBO has no escape for it", () => {
    expect(qboQuery`select * from Customer where DisplayName like ${'%' + "O'B" + '%'}`).toBe(
      "select * from Customer where DisplayName like '%O\\'B%'",
    );
    expect(qboQuery`select * from Customer where DisplayName like ${'100%'}`).toBe(
      "select * from Customer where DisplayName like '100%'",
    );
  });

  it('writes numbers and booleans bare, dates as UTC ISO to the second, lists for IN', () => {
    expect(qboQuery`select * from Invoice where TotalAmt > ${300.5} and Balance = ${0}`).toBe(
      'select * from Invoice where TotalAmt > 300.5 and Balance = 0',
    );
    expect(qboQuery`select * from Customer where Active = ${false}`).toBe(
      'select * from Customer where Active = false',
    );
    expect(
      qboQuery`select * from Customer where MetaData.LastUpdatedTime >= ${new Date('2026-03-02T17:00:01.999Z')}`,
    ).toBe("select * from Customer where MetaData.LastUpdatedTime >= '2026-03-02T17:00:01+00:00'");
    expect(qboQuery`select * from Customer where Id in ${['1', "2'"]}`).toBe(
      "select * from Customer where Id in ('1', '2\\'')",
    );
    expect(qboQuery`select * from Customer where Active in ${[true, false]}`).toBe(
      'select * from Customer where Active in (true, false)',
    );
  });

  it('splices identifiers bare, and only valid ones', () => {
    expect(
      qboQuery`select * from ${qboIdentifier('Customer')} orderby ${qboIdentifier('MetaData.LastUpdatedTime')}`,
    ).toBe('select * from Customer orderby MetaData.LastUpdatedTime');
    expect(() => qboIdentifier('Customer where 1=1')).toThrow(QboUsageError);
    expect(() => qboIdentifier("x'")).toThrow(QboUsageError);
  });

  it('refuses values a query cannot express', () => {
    expect(() => qboQuery`select * from Invoice where TotalAmt > ${Number.NaN}`).toThrow(QboUsageError);
    expect(() => qboQuery`select * from Invoice where TotalAmt > ${1e21}`).toThrow(QboUsageError);
    expect(() => qboQuery`select * from Invoice where TxnDate > ${new Date('nope')}`).toThrow(QboUsageError);
    expect(() => qboQuery`select * from Customer where Id in ${[]}`).toThrow(QboUsageError);
    const untyped = null as unknown as string;
    expect(() => qboQuery`select * from Customer where DisplayName = ${untyped}`).toThrow(QboUsageError);
  });
});

describe('entityOfStatement', () => {
  it('finds the entity after FROM, whatever the case, and not inside a value', () => {
    expect(entityOfStatement('select * from Customer')).toBe('Customer');
    expect(entityOfStatement('SELECT COUNT(*) FROM invoice WHERE Balance > 0')).toBe('invoice');
    expect(entityOfStatement("select * from Customer where DisplayName = 'from Invoice'")).toBe('Customer');
    expect(entityOfStatement('  select *\n from   Payment startposition 1')).toBe('Payment');
    expect(entityOfStatement('update Customer')).toBeUndefined();
  });
});
