import { executeQuery, parseQuery, QueryError, type ExecuteOptions } from '../../../src/emulator/query';

interface Customer {
  Id: string;
  DisplayName: string;
  GivenName?: string;
  Active?: boolean;
  Balance: number;
  PrimaryEmailAddr?: { Address: string };
  PrimaryPhone?: { FreeFormNumber: string };
  ParentRef?: { value: string };
  MetaData: { CreateTime: string; LastUpdatedTime: string };
}

const customers: Customer[] = [
  {
    Id: '1',
    DisplayName: "Amy's Bird Sanctuary",
    GivenName: 'Amy',
    Active: true,
    Balance: 239,
    PrimaryEmailAddr: { Address: 'Birds@Intuit.com' },
    PrimaryPhone: { FreeFormNumber: '(650) 555-3311' },
    MetaData: { CreateTime: '2014-09-11T16:48:43-07:00', LastUpdatedTime: '2014-09-18T12:49:28-07:00' },
  },
  {
    Id: '2',
    DisplayName: "Bill's Windsurf Shop",
    GivenName: 'Bill',
    Active: true,
    Balance: 85,
    MetaData: { CreateTime: '2014-09-11T16:49:28-07:00', LastUpdatedTime: '2015-03-01T09:00:00-08:00' },
  },
  {
    Id: '3',
    DisplayName: 'Cool Cars',
    Active: false,
    Balance: 0,
    MetaData: { CreateTime: '2014-09-11T16:51:22-07:00', LastUpdatedTime: '2015-12-23T10:00:00-07:00' },
  },
  {
    Id: '10',
    DisplayName: 'Diego Rodriguez',
    GivenName: 'Diego',
    Active: true,
    Balance: 1000.5,
    PrimaryEmailAddr: { Address: 'diego@example.com' },
    MetaData: { CreateTime: '2014-09-11T16:52:53-07:00', LastUpdatedTime: '2015-12-23T18:00:00+01:00' },
  },
  {
    Id: '11',
    DisplayName: "Adam's Candy Shop",
    Active: true,
    Balance: 300,
    ParentRef: { value: '10' },
    MetaData: { CreateTime: '2015-01-01T00:00:00Z', LastUpdatedTime: '2016-01-01T00:00:00Z' },
  },
];

const invoices = [
  {
    Id: '129',
    DocNumber: '1001',
    TxnDate: '2015-07-24',
    TotalAmt: 150,
    CustomerRef: { value: '1', name: 'Amy' },
  },
  {
    Id: '130',
    DocNumber: '007',
    TxnDate: '2015-06-30',
    TotalAmt: 300.5,
    CustomerRef: { value: '2', name: 'Bill' },
  },
  {
    Id: '131',
    DocNumber: 'A-17',
    TxnDate: '2026-01-15',
    TotalAmt: 99.99,
    CustomerRef: { value: '1', name: 'Amy' },
  },
  {
    Id: '132',
    DocNumber: '7',
    TxnDate: '2026-01-14',
    TotalAmt: 0,
    CustomerRef: { value: '10', name: 'Diego' },
  },
];

/** 2026-01-15 03:00 UTC is still 2026-01-14 in California. */
const NOW = new Date('2026-01-15T03:00:00Z');

function run<T extends object>(text: string, records: Iterable<T>, options: Partial<ExecuteOptions> = {}) {
  return executeQuery(parseQuery(text), records, { now: NOW, ...options });
}

function ids(
  text: string,
  records: Iterable<{ Id: string }> = customers,
  options: Partial<ExecuteOptions> = {},
) {
  return run(text, records, options).rows.map((record) => record.Id);
}

describe('executeQuery: operators', () => {
  it('= on text is case-insensitive and exact otherwise', () => {
    expect(ids("SELECT * FROM Customer WHERE DisplayName = 'cool CARS'")).toEqual(['3']);
    expect(ids("SELECT * FROM Customer WHERE DisplayName = 'Cool'")).toEqual([]);
  });

  it('matches an escaped quote in a value', () => {
    expect(ids(String.raw`SELECT * FROM Customer WHERE DisplayName = 'Adam\'s Candy Shop'`)).toEqual(['11']);
  });

  it.each([
    ["Balance > '239'", ['10', '11']],
    ["Balance >= '239.00'", ['1', '10', '11']],
    ['Balance < 85.0', ['3']],
    ['Balance <= 85', ['2', '3']],
    ["Balance = '1000.50'", ['10']],
    ['Balance > -1', ['1', '2', '3', '10', '11']],
  ])('compares numbers numerically, quoted or not: %s', (clause, expected) => {
    expect(ids(`SELECT * FROM Customer WHERE ${clause}`)).toEqual(expected);
  });

  it('compares numeric-string Ids as numbers, so 10 sorts after 2', () => {
    expect(ids("SELECT * FROM Customer WHERE Id > '2'")).toEqual(['3', '10', '11']);
    expect(ids('SELECT * FROM Customer WHERE Id <= 3')).toEqual(['1', '2', '3']);
  });

  it('keeps zero-padded text distinct from the number', () => {
    expect(ids("SELECT * FROM Invoice WHERE DocNumber = '007'", invoices)).toEqual(['130']);
    expect(ids("SELECT * FROM Invoice WHERE DocNumber = '7'", invoices)).toEqual(['132']);
  });

  it('compares unlike kinds as text', () => {
    // 'a-17' sorts after '1000' as text; '1001' is compared as a number.
    expect(ids("SELECT * FROM Invoice WHERE DocNumber > '1000'", invoices)).toEqual(['129', '131']);
  });

  it('IN matches any listed string, number or boolean', () => {
    expect(ids("SELECT * FROM Customer WHERE Id IN ('1', '11', '99')")).toEqual(['1', '11']);
    expect(ids("SELECT * FROM Customer WHERE Balance IN (85, '300.0')")).toEqual(['2', '11']);
    expect(ids('SELECT * FROM Customer WHERE Active IN (false)')).toEqual(['3']);
    expect(ids("SELECT * FROM Customer WHERE GivenName IN ('AMY', 'diego')")).toEqual(['1', '10']);
  });

  it.each([
    ["DisplayName LIKE 'Bill%'", ['2']],
    ["DisplayName LIKE '%Shop'", ['2', '11']],
    ["DisplayName LIKE '%s Cand%'", ['11']],
    ["DisplayName LIKE '%SHOP'", ['2', '11']],
    ["DisplayName LIKE 'cool cars'", ['3']],
    ["DisplayName LIKE 'Cool'", []],
    ["DisplayName LIKE 'Cool_Cars'", []],
    ["PrimaryPhone LIKE '(650)%'", ['1']],
    ["DisplayName LIKE '%'", ['1', '2', '3', '10', '11']],
  ])('LIKE with %% wildcards: %s', (clause, expected) => {
    expect(ids(`SELECT * FROM Customer WHERE ${clause}`)).toEqual(expected);
  });

  it('booleans match true/false, written bare or quoted', () => {
    expect(ids('SELECT * FROM Customer WHERE Active = false')).toEqual(['3']);
    expect(ids("SELECT * FROM Customer WHERE Active = 'TRUE'")).toEqual(['1', '2', '10', '11']);
  });

  it('ANDs conditions', () => {
    expect(
      ids("SELECT * FROM Customer WHERE Active = true AND Balance > 100 AND DisplayName LIKE 'A%'"),
    ).toEqual(['1', '11']);
  });

  it('never matches a record that lacks the property', () => {
    expect(ids("SELECT * FROM Customer WHERE GivenName LIKE '%'")).toEqual(['1', '2', '10']);
    expect(ids("SELECT * FROM Customer WHERE NoSuchField = 'x'")).toEqual([]);
  });
});

describe('executeQuery: property paths', () => {
  it('resolves keywords, entity-independent field names and dotted paths case-insensitively', () => {
    expect(ids("select * from cUstomer where givenname = 'bill'")).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE metadata.createtime >= '2015-01-01'")).toEqual(['11']);
  });

  it('compares a reference by its value', () => {
    expect(ids("SELECT * FROM Invoice WHERE CustomerRef = '1'", invoices)).toEqual(['129', '131']);
    expect(ids("SELECT * FROM Invoice WHERE CustomerRef IN ('2', '10')", invoices)).toEqual(['130', '132']);
    expect(ids("SELECT * FROM Customer WHERE ParentRef = '10'")).toEqual(['11']);
    expect(ids("SELECT * FROM Invoice WHERE CustomerRef.name = 'diego'", invoices)).toEqual(['132']);
  });

  it('compares an email by its Address', () => {
    expect(ids("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'birds@intuit.com'")).toEqual(['1']);
  });
});

describe('executeQuery: dates and times', () => {
  it('compares dates chronologically', () => {
    expect(ids("SELECT * FROM Invoice WHERE TxnDate > '2015-07-01'", invoices)).toEqual([
      '129',
      '131',
      '132',
    ]);
    expect(ids("SELECT * FROM Invoice WHERE TxnDate = '2015-07-24'", invoices)).toEqual(['129']);
    expect(ids("SELECT * FROM Invoice WHERE TxnDate < '2015-07-01'", invoices)).toEqual(['130']);
  });

  it('compares date-times as instants across offsets', () => {
    // Customer 2 was updated at 2015-03-01T17:00:00Z.
    expect(
      ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2015-03-01T12:00:00-05:00'"),
    ).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2015-03-01T17:00:00.000Z'")).toEqual(
      ['2'],
    );
    // 2015-12-23T10:00:00-07:00 is 17:00Z; 2015-12-23T18:00:00+01:00 is 17:00Z too.
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2015-12-23T17:00:00Z'")).toEqual([
      '3',
      '10',
    ]);
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2015-12-23T16:59:59Z'")).toEqual([
      '3',
      '10',
      '11',
    ]);
  });

  it('reads offsets without a colon, as in the old docs example', () => {
    expect(ids("SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '2011-08-10T10:20:30-0700'")).toEqual(
      ['1', '2', '3', '10', '11'],
    );
    expect(ids("SELECT * FROM Customer WHERE Metadata.LastUpdatedTime < '2015-03-01T09:00:01-0800'")).toEqual(
      ['1', '2'],
    );
  });

  it('reads a bare date as midnight in the company time zone (UTC by default)', () => {
    const query = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2015-03-02'";
    // 2015-03-01T17:00Z is before midnight UTC on 2015-03-02 ...
    expect(ids(query)).not.toContain('2');
    // ... but after midnight on 2015-03-02 in Tokyo (2015-03-01T15:00Z).
    expect(ids(query, customers, { timeZone: 'Asia/Tokyo' })).toContain('2');
  });

  it('takes CURRENT_DATE from now in the company time zone', () => {
    const query = 'SELECT * FROM Invoice WHERE TxnDate = CURRENT_DATE';
    expect(ids(query, invoices)).toEqual(['131']);
    expect(ids(query, invoices, { timeZone: 'America/Los_Angeles' })).toEqual(['132']);
    expect(
      ids("SELECT * FROM Invoice WHERE TxnDate > '2015-07-01' AND TxnDate <= CURRENT_DATE", invoices, {
        timeZone: 'America/Los_Angeles',
      }),
    ).toEqual(['129', '132']);
  });

  it('compares a date-time property with CURRENT_DATE as midnight', () => {
    const options = { now: new Date('2015-12-23T12:00:00Z') };
    expect(
      ids('SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= CURRENT_DATE', customers, options),
    ).toEqual(['3', '10', '11']);
  });
});

describe('executeQuery: ordering', () => {
  it('keeps store order without ORDERBY', () => {
    expect(ids('SELECT * FROM Customer')).toEqual(['1', '2', '3', '10', '11']);
  });

  it('orders numbers, text and Ids by their type', () => {
    expect(ids('SELECT * FROM Customer ORDERBY Balance DESC')).toEqual(['10', '11', '1', '2', '3']);
    expect(ids('SELECT * FROM Customer ORDERBY DisplayName')).toEqual(['11', '1', '2', '3', '10']);
    expect(ids('SELECT * FROM Customer ORDERBY Id DESC')).toEqual(['11', '10', '3', '2', '1']);
  });

  it('orders text case-insensitively', () => {
    const records = [
      { Id: '1', Name: 'banana' },
      { Id: '2', Name: 'Apple' },
      { Id: '3', Name: 'cherry' },
    ];
    expect(ids('SELECT * FROM Item ORDER BY Name ASC', records)).toEqual(['2', '1', '3']);
  });

  it('orders date-times as instants across offsets', () => {
    const records = [
      { Id: '1', MetaData: { LastUpdatedTime: '2015-01-01T10:00:00-08:00' } }, // 18:00Z
      { Id: '2', MetaData: { LastUpdatedTime: '2015-01-01T12:00:00-05:00' } }, // 17:00Z
      { Id: '3', MetaData: { LastUpdatedTime: '2015-01-01T19:00:00+01:00' } }, // 18:00Z, ties with 1
    ];
    expect(ids('SELECT * FROM Customer ORDERBY MetaData.LastUpdatedTime', records)).toEqual(['2', '1', '3']);
  });

  it('puts missing values first in ASC and last in DESC', () => {
    expect(ids('SELECT * FROM Customer ORDERBY GivenName')).toEqual(['3', '11', '1', '2', '10']);
    expect(ids('SELECT * FROM Customer ORDERBY GivenName DESC')).toEqual(['10', '2', '1', '3', '11']);
  });

  it('breaks ties with later fields, then keeps input order (stable)', () => {
    const records = [
      { Id: '1', Team: 'b', Rank: 2 },
      { Id: '2', Team: 'a', Rank: 1 },
      { Id: '3', Team: 'b', Rank: 1 },
      { Id: '4', Team: 'a', Rank: 1 },
      { Id: '5', Team: 'b', Rank: 2 },
    ];
    expect(ids('SELECT * FROM Item ORDERBY Team DESC, Rank ASC', records)).toEqual(['3', '1', '5', '2', '4']);
    expect(ids('SELECT * FROM Item ORDERBY Team', records)).toEqual(['2', '4', '1', '3', '5']);
    expect(ids('SELECT * FROM Item ORDERBY Team DESC', records)).toEqual(['1', '3', '5', '2', '4']);
  });

  it('does not reorder or copy the input', () => {
    const input = [...customers];
    const { rows } = run('SELECT * FROM Customer ORDERBY Balance', input);
    expect(input.map((record) => record.Id)).toEqual(['1', '2', '3', '10', '11']);
    expect(rows[0]).toBe(customers[2]);
  });
});

describe('executeQuery: pages and counts', () => {
  const many = Array.from({ length: 250 }, (_, index) => ({ Id: String(index + 1), Odd: index % 2 === 0 }));

  it('returns 100 rows by default with the total of all matches', () => {
    const result = run('SELECT * FROM Item', many);
    expect(result.rows).toHaveLength(100);
    expect(result.rows[99]?.Id).toBe('100');
    expect(result.totalCount).toBe(250);
  });

  it('pages with a 1-based STARTPOSITION and MAXRESULTS', () => {
    const result = run('SELECT * FROM Item WHERE Odd = true STARTPOSITION 3 MAXRESULTS 2', many);
    expect(result.rows.map((record) => record.Id)).toEqual(['5', '7']);
    expect(result.totalCount).toBe(125);
  });

  it('pages after ordering', () => {
    const result = run('SELECT * FROM Item ORDERBY Id DESC STARTPOSITION 2 MAXRESULTS 3', many);
    expect(result.rows.map((record) => record.Id)).toEqual(['249', '248', '247']);
    expect(result.totalCount).toBe(250);
  });

  it('returns no rows past the end but still the total', () => {
    expect(run('SELECT * FROM Item STARTPOSITION 251', many)).toEqual({ rows: [], totalCount: 250 });
    expect(run('SELECT * FROM Item STARTPOSITION 241 MAXRESULTS 1000', many).rows).toHaveLength(10);
  });

  it('counts every match and returns no rows for COUNT(*), whatever the page', () => {
    expect(run('SELECT COUNT(*) FROM Item WHERE Odd = false STARTPOSITION 5 MAXRESULTS 1', many)).toEqual({
      rows: [],
      totalCount: 125,
    });
    expect(run("SELECT count(*) FROM Customer WHERE Balance > '100'", customers)).toEqual({
      rows: [],
      totalCount: 3,
    });
  });

  it('reads any iterable once', () => {
    function* generate() {
      yield* customers;
    }
    expect(ids('SELECT * FROM Customer WHERE Active = true ORDERBY Balance', generate())).toEqual([
      '2',
      '1',
      '11',
      '10',
    ]);
  });
});

describe('executeQuery: active name-list records', () => {
  const withInactive = [
    ...customers,
    {
      Id: '12',
      DisplayName: 'No flag',
      Balance: 5,
      MetaData: { CreateTime: '2016-01-01T00:00:00Z', LastUpdatedTime: '2016-01-01T00:00:00Z' },
    },
  ];

  it('hides inactive records when the query does not mention Active', () => {
    expect(ids('SELECT * FROM Customer', withInactive, { activeByDefault: true })).toEqual([
      '1',
      '2',
      '10',
      '11',
      '12',
    ]);
    expect(run('SELECT COUNT(*) FROM Customer', withInactive, { activeByDefault: true }).totalCount).toBe(5);
  });

  it('lets a condition on Active decide instead', () => {
    const options = { activeByDefault: true };
    expect(ids('SELECT * FROM Customer WHERE active = false', withInactive, options)).toEqual(['3']);
    expect(ids('SELECT * FROM Customer WHERE Active IN (true, false)', withInactive, options)).toEqual([
      '1',
      '2',
      '3',
      '10',
      '11',
    ]);
  });

  it('shows every record for entities that are not name lists', () => {
    expect(ids('SELECT * FROM Customer', withInactive)).toHaveLength(6);
    expect(ids('SELECT * FROM Customer', withInactive, { activeByDefault: false })).toHaveLength(6);
  });
});

describe('executeQuery: known fields', () => {
  const known = new Set(['displayname', 'active', 'metadata.lastupdatedtime']);
  const knownFields = (path: string): boolean => known.has(path.toLowerCase());

  it('rejects a property the entity cannot be queried on, in WHERE or ORDERBY', () => {
    for (const text of ["SELECT * FROM Customer WHERE Foo = 'x'", 'SELECT * FROM Customer ORDERBY Foo']) {
      let thrown: unknown;
      try {
        run(text, customers, { knownFields });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(QueryError);
      expect(thrown).toMatchObject({
        kind: 'validation',
        detail: "QueryValidationError: property 'Foo' is not queryable",
      });
    }
  });

  it('asks about each path as written and accepts known ones', () => {
    const asked: string[] = [];
    const result = run(
      "SELECT * FROM Customer WHERE DisplayName LIKE 'A%' AND Metadata.LastUpdatedTime > '2015-01-01' ORDERBY active",
      customers,
      {
        knownFields: (path) => {
          asked.push(path);
          return knownFields(path);
        },
      },
    );
    expect(result.rows.map((record) => record.Id)).toEqual(['11']);
    expect(asked).toEqual(['DisplayName', 'Metadata.LastUpdatedTime', 'active']);
  });
});

describe('executeQuery: scale', () => {
  it('filters and sorts 20,000 records', () => {
    const records = Array.from({ length: 20_000 }, (_, index) => ({
      Id: String(index + 1),
      DisplayName: `Customer ${index % 977}`,
      Active: index % 10 !== 0,
      Balance: (index * 37) % 5000,
      MetaData: {
        LastUpdatedTime: new Date(Date.UTC(2020, 0, 1) + index * 60_000).toISOString().replace('Z', '-07:00'),
      },
    }));
    const query = parseQuery(
      "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2020-01-05T00:00:00Z' AND DisplayName LIKE 'customer 1%' " +
        "AND Balance >= '100' ORDERBY MetaData.LastUpdatedTime DESC, Id MAXRESULTS 1000",
    );
    // How fast is the emulator benchmark's job (npm run bench:emulator); this checks what it answers.
    const result = executeQuery(query, records, { now: NOW, activeByDefault: true });
    expect(result.totalCount).toBeGreaterThan(1000);
    expect(result.rows).toHaveLength(1000);

    // The same query, written out by hand over the same data.
    const after = Date.parse('2020-01-05T00:00:00Z');
    const expected = records
      .filter(
        (record) =>
          record.Active &&
          Date.parse(record.MetaData.LastUpdatedTime) > after &&
          record.DisplayName.startsWith('Customer 1') &&
          record.Balance >= 100,
      )
      .sort((a, b) => Date.parse(b.MetaData.LastUpdatedTime) - Date.parse(a.MetaData.LastUpdatedTime))
      .map((record) => record.Id);
    expect(result.totalCount).toBe(expected.length);
    expect(result.rows.map((record) => record.Id)).toEqual(expected.slice(0, 1000));
  });
});
