import { salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

interface Row {
  Id: string;
  TotalAmt: number;
  [field: string]: unknown;
}

/** The `-0700` form of a `-07:00` timestamp: Intuit's docs use both, and they must compare as the same instant. */
const compactOffset = (timestamp: string): string => timestamp.replace(/([+-]\d\d):(\d\d)$/, '$1$2');

describe('emulator conformance: the query language over HTTP', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let alpha: Row;
  let beta: Row;
  /** Created in this order, so Id order is 300, 100, 400, 200. */
  let invoices: Row[];

  /** Runs a statement, asserts a 200, and returns the entity rows (none for an empty `{}` response). */
  async function rows(statement: string, client = qbo): Promise<Row[]> {
    const response = await client.query(statement);
    expect(response.status).toBe(200);
    const body = response.json.QueryResponse as Record<string, unknown>;
    const entity = Object.keys(body).find((key) => /^[A-Z]/.test(key));
    return entity ? (body[entity] as Row[]) : [];
  }
  const totals = async (where: string) =>
    (await rows(`select * from Invoice ${where}`)).map((row) => row.TotalAmt);
  const ids = async (statement: string, client = qbo) => (await rows(statement, client)).map((row) => row.Id);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
    alpha = await qbo.create('Customer', { DisplayName: 'Query Alpha' });
    beta = await qbo.create('Customer', { DisplayName: 'Query Beta' });
    invoices = [];
    for (const [customer, amount, txnDate] of [
      [alpha, 300, '2026-01-15'],
      [beta, 100, '2026-02-15'],
      [alpha, 400, '2026-02-01'],
      [beta, 200, '2026-01-01'],
    ] as const) {
      invoices.push(
        await qbo.create('Invoice', {
          CustomerRef: { value: customer.Id },
          TxnDate: txnDate,
          Line: [salesLine(amount)],
        }),
      );
    }
  });
  afterAll(() => emulator.close());

  it('compares amounts with <, > and <= as numbers, not as text', async () => {
    expect(await totals("where TotalAmt < '200'")).toEqual([100]);
    expect(await totals("where TotalAmt > '300'")).toEqual([400]);
    expect(await totals("where TotalAmt <= '200'")).toEqual([100, 200]);
    // As text, '1000' sorts before '200' and this would match nothing.
    expect(await totals("where TotalAmt < '1000'")).toEqual([300, 100, 400, 200]);
    expect(await totals('where TotalAmt > 250 and TotalAmt <= 400')).toEqual([300, 400]);
  });

  it('compares dates with <, > and <=, and CURRENT_DATE as the company’s today', async () => {
    expect(await totals("where TxnDate < '2026-02-01'")).toEqual([300, 200]);
    expect(await totals("where TxnDate <= '2026-02-01'")).toEqual([300, 400, 200]);
    // The Intuit docs' own example: TxnDate > '…' AND TxnDate <= CURRENT_DATE.
    expect(await totals("where TxnDate > '2026-01-31' and TxnDate <= CURRENT_DATE")).toEqual([100, 400]);
    expect(await totals('where TxnDate > CURRENT_DATE')).toEqual([]);
  });

  it('returns Id order without ORDERBY, and ascending order for ASC or no direction', async () => {
    expect(await totals('')).toEqual([300, 100, 400, 200]);
    expect(await ids('select * from Invoice')).toEqual(invoices.map((invoice) => invoice.Id));
    expect(await totals('orderby TotalAmt')).toEqual([100, 200, 300, 400]);
    expect(await totals('ORDERBY TotalAmt ASC')).toEqual([100, 200, 300, 400]);
    expect(await totals('order by TxnDate asc')).toEqual([200, 300, 400, 100]);
    // Several keys: by customer, then the larger invoice first.
    expect(await totals('orderby CustomerRef ASC, TotalAmt DESC')).toEqual([400, 300, 200, 100]);
  });

  it('filters with IN on fields other than Active: Id and DocNumber', async () => {
    const [first, , third] = invoices;
    expect(await ids(`select * from Invoice where Id in ('${first!.Id}', '${third!.Id}', '987654')`)).toEqual(
      [first!.Id, third!.Id],
    );
    const docNumbers = `('${String(invoices[1]!.DocNumber)}', '${String(invoices[3]!.DocNumber)}')`;
    expect(await totals(`where DocNumber IN ${docNumbers}`)).toEqual([100, 200]);
    expect(await totals(`where DocNumber IN ${docNumbers} and TotalAmt > '150'`)).toEqual([200]);
    expect(await ids(`select * from Customer where Id IN ('${beta.Id}')`)).toEqual([beta.Id]);
  });

  it('pages with STARTPOSITION and MAXRESULTS, reporting what each page holds', async () => {
    const page = await qbo.query('select * from Invoice orderby TotalAmt startposition 2 maxresults 2');
    expect(page.json.QueryResponse).toMatchObject({ startPosition: 2, maxResults: 2 });
    expect(page.json.QueryResponse.Invoice.map((row: Row) => row.TotalAmt)).toEqual([200, 300]);
    const last = await qbo.query('select * from Invoice orderby TotalAmt startposition 4 maxresults 2');
    expect(last.json.QueryResponse).toMatchObject({ startPosition: 4, maxResults: 1 });
    expect(last.json.QueryResponse.Invoice.map((row: Row) => row.TotalAmt)).toEqual([400]);
    const beyond = await qbo.query('select * from Invoice startposition 5 maxresults 2');
    expect(beyond.json.QueryResponse).toEqual({});
  });

  it('defaults to 100 rows, allows MAXRESULTS 1000 but not 1001, and pages through every record once', async () => {
    const big = await emulator.company({ companyName: 'Paging Co' });
    const seeded = await emulator.admin('POST', `/companies/${big.realmId}/seed`, {
      customers: 150,
      transactions: 0,
    });
    expect(seeded.json.customers).toBe(150);
    const firstPage = await big.query('select * from Customer');
    expect(firstPage.json.QueryResponse).toMatchObject({ startPosition: 1, maxResults: 100 });
    const everything = await ids('select * from Customer maxresults 1000', big);
    expect(everything).toHaveLength(150);
    const tooMany = await big.query('select * from Customer maxresults 1001');
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.Fault.Error[0]).toMatchObject({
      code: '4001',
      Detail: expect.stringContaining('value 1001 is too large. Max allowed value is 1000'),
    });

    // node-quickbooks' fetchAll: keep paging while a page comes back full.
    const paged: string[] = [];
    for (let start = 1; ; start += 40) {
      const page = await ids(`select * from Customer startposition ${start} maxresults 40`, big);
      paged.push(...page);
      if (page.length < 40) break;
    }
    expect(paged).toEqual(everything);
    expect(new Set(paged).size).toBe(150);
  });

  it('counts with COUNT(*), honouring WHERE, and answers 0 when nothing matches', async () => {
    const count = async (where: string) =>
      (await qbo.query(`select count(*) from Invoice ${where}`)).json.QueryResponse;
    expect(await count("where TotalAmt >= '200'")).toEqual({ totalCount: 3 });
    expect(await count(`where CustomerRef = '${alpha.Id}'`)).toEqual({ totalCount: 2 });
    expect(await count("where TotalAmt > '1000'")).toEqual({ totalCount: 0 });
  });

  it('refuses what the grammar lacks: OR, != and NOT are 4000 parse errors', async () => {
    const orClause = await qbo.query(
      "select * from Invoice where TotalAmt = '100' OR TxnDate = '2026-01-01'",
    );
    expect(orClause.status).toBe(400);
    expect(orClause.json.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [
        {
          code: '4000',
          Message: 'Error parsing query',
          Detail: expect.stringContaining('Encountered " <OR> "OR "" at line 1, column 46.'),
        },
      ],
    });
    for (const statement of [
      "select * from Invoice where TotalAmt != '100'",
      "select * from Invoice where not TotalAmt = '100'",
    ]) {
      const refused = await qbo.query(statement);
      expect([refused.status, refused.json.Fault.Error[0].code]).toEqual([400, '4000']);
    }
    const unknown = await qbo.query("select * from Invoice where Colour = 'red'");
    expect(unknown.json.Fault.Error[0]).toMatchObject({
      code: '4001',
      Detail: expect.stringContaining("property 'Colour' is not queryable"),
    });
  });

  it('filters and sorts on MetaData.LastUpdatedTime with <, >, <= across offset forms', async () => {
    const advance = (minutes: number) => emulator.admin('POST', '/clock', { advanceMs: minutes * 60_000 });
    await advance(10);
    const later = await qbo.create('Customer', { DisplayName: 'Query Later' });
    await advance(10);
    const touched = (
      await qbo.write('Customer', { Id: alpha.Id, SyncToken: '0', sparse: true, Notes: 'touched' })
    ).json.Customer;
    const t1: string = later.MetaData.LastUpdatedTime;
    const t1Utc = new Date(t1).toISOString().replace('.000Z', 'Z');
    const customers = (where: string) => ids(`select * from Customer ${where}`);

    expect(await customers(`where MetaData.LastUpdatedTime > '${t1}'`)).toEqual([touched.Id]);
    expect(await customers(`where MetaData.LastUpdatedTime < '${compactOffset(t1)}'`)).toEqual([beta.Id]);
    expect(await customers(`where MetaData.LastUpdatedTime <= '${t1Utc}'`)).toEqual([beta.Id, later.Id]);
    expect(
      await customers(
        `where MetaData.LastUpdatedTime > '2026-03-02' and MetaData.LastUpdatedTime < '${touched.MetaData.LastUpdatedTime}'`,
      ),
    ).toEqual([beta.Id, later.Id]);
    expect(await customers('orderby MetaData.LastUpdatedTime DESC')).toEqual([touched.Id, later.Id, beta.Id]);
    expect(await customers('orderby MetaData.LastUpdatedTime')).toEqual([beta.Id, later.Id, touched.Id]);
  });
});
