import { salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

interface Row {
  Id: string;
  TotalAmt: number;
  Balance: number;
  [field: string]: any;
}

const seededEntities = [
  'Customer',
  'Invoice',
  'Payment',
  'Estimate',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
];
const today = '2026-03-02'; // the harness clock starts at 2026-03-02T17:00Z, 09:00 in Los Angeles

/** Every row of a query (these books are kept under one 1,000-row page). */
async function all(qbo: QboClient, entity: string, where = ''): Promise<Row[]> {
  const response = await qbo.query(`select * from ${entity} ${where} maxresults 1000`);
  expect(response.status).toBe(200);
  const rows: Row[] = response.json.QueryResponse[entity] ?? [];
  expect(rows.length).toBeLessThan(1000);
  return rows;
}

async function count(qbo: QboClient, entity: string, where = ''): Promise<number> {
  return (await qbo.query(`select count(*) from ${entity} ${where}`)).json.QueryResponse.totalCount;
}

const idsOf = (rows: Row[]) => rows.map((row) => row.Id);
const cents = (amount: number) => Math.round(amount * 100);

describe('emulator conformance: seeded demo companies', () => {
  let emulator: TestEmulator;

  /** A new company seeded through the admin API; returns its client and the seed summary. */
  async function seeded(company: Record<string, unknown>, seed: Record<string, number>) {
    const qbo = await emulator.company(company);
    const response = await emulator.admin('POST', `/companies/${qbo.realmId}/seed`, seed);
    expect(response.status).toBe(200);
    return { qbo, summary: response.json as Record<string, number> };
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  describe('a multicurrency book of business', () => {
    let qbo: QboClient;
    let summary: Record<string, number>;
    let invoices: Row[];

    beforeAll(async () => {
      ({ qbo, summary } = await seeded(
        { companyName: 'Seeded Multi', multiCurrency: true },
        { customers: 80, transactions: 500, seed: 7 },
      ));
      invoices = await all(qbo, 'Invoice');
    });

    it('serves through the API exactly what the seed summary reports', async () => {
      const keys: Record<string, string> = {
        Customer: 'customers',
        Invoice: 'invoices',
        Payment: 'payments',
        Estimate: 'estimates',
        SalesReceipt: 'salesReceipts',
        CreditMemo: 'creditMemos',
        RefundReceipt: 'refundReceipts',
      };
      for (const entity of seededEntities) {
        const expected = summary[keys[entity]!];
        expect([entity, await count(qbo, entity)]).toEqual([entity, expected]);
        expect(expected).toBeGreaterThan(0);
      }
    });

    it('makes some invoices overdue: DueDate before today and an open balance', async () => {
      const overdue = await all(qbo, 'Invoice', `where DueDate < '${today}' AND Balance > '0'`);
      expect(overdue.length).toBe(summary.overdueInvoices);
      expect(overdue.length).toBeGreaterThan(0);
      expect(overdue.length).toBeLessThan(invoices.length);
      for (const invoice of overdue) {
        expect(invoice.DueDate < today && invoice.Balance > 0).toBe(true);
      }
      const expected = invoices.filter((invoice) => invoice.DueDate < today && invoice.Balance > 0);
      expect(idsOf(overdue)).toEqual(idsOf(expected));
      expect(idsOf(await all(qbo, 'Invoice', 'where DueDate < CURRENT_DATE and Balance > 0'))).toEqual(
        idsOf(expected),
      );
    });

    it('pays invoices partly and fully, each balance being its total minus the payments linked to it', async () => {
      const applied = new Map<string, { cents: number; payments: string[] }>();
      for (const payment of await all(qbo, 'Payment')) {
        for (const line of payment.Line as {
          Amount: number;
          LinkedTxn: { TxnId: string; TxnType: string }[];
        }[]) {
          for (const link of line.LinkedTxn) {
            expect(link.TxnType).toBe('Invoice');
            const entry = applied.get(link.TxnId) ?? { cents: 0, payments: [] };
            entry.cents += cents(line.Amount);
            entry.payments.push(payment.Id);
            applied.set(link.TxnId, entry);
          }
        }
      }
      for (const invoice of invoices) {
        const entry = applied.get(invoice.Id) ?? { cents: 0, payments: [] };
        expect([invoice.Id, cents(invoice.TotalAmt) - cents(invoice.Balance)]).toEqual([
          invoice.Id,
          entry.cents,
        ]);
        const linked = (invoice.LinkedTxn as { TxnId: string; TxnType: string }[])
          .filter((link) => link.TxnType === 'Payment')
          .map((link) => link.TxnId);
        expect(linked.sort()).toEqual([...entry.payments].sort());
      }
      const partly = invoices.filter((invoice) => invoice.Balance > 0 && invoice.Balance < invoice.TotalAmt);
      const fully = invoices.filter((invoice) => invoice.Balance === 0 && invoice.TotalAmt > 0);
      const unpaid = invoices.filter((invoice) => invoice.Balance === invoice.TotalAmt);
      expect([partly.length > 0, fully.length > 0, unpaid.length > 0]).toEqual([true, true, true]);
      for (const invoice of [...partly, ...fully]) expect(applied.has(invoice.Id)).toBe(true);
      expect(await count(qbo, 'Invoice', "where Balance = '0'")).toBe(fully.length);
    });

    it('has estimates in every status, sales receipts paid in full, credit memos and refunds', async () => {
      const estimates = await all(qbo, 'Estimate');
      expect([...new Set(estimates.map((estimate) => estimate.TxnStatus))].sort()).toEqual([
        'Accepted',
        'Closed',
        'Converted',
        'Pending',
        'Rejected',
      ]);
      const accepted = await all(qbo, 'Estimate', "where TxnStatus = 'Accepted'");
      expect(accepted.length).toBeGreaterThan(0);
      for (const estimate of accepted) expect(estimate.AcceptedDate).toMatch(/^\d{4}-\d\d-\d\d$/);

      const receipts = await all(qbo, 'SalesReceipt');
      expect(receipts.length).toBeGreaterThan(0);
      for (const receipt of receipts) {
        expect(receipt.Balance).toBe(0);
        expect(receipt.TotalAmt).toBeGreaterThan(0);
      }
      for (const memo of await all(qbo, 'CreditMemo')) expect(memo.RemainingCredit).toBe(memo.TotalAmt);
    });

    it('has foreign-currency customers whose invoices carry an exchange rate and home amounts, and sub-customers', async () => {
      const foreign = await all(qbo, 'Customer', "where CurrencyRef IN ('EUR', 'GBP', 'CAD')");
      expect(foreign.length).toBeGreaterThan(0);
      expect(foreign.length).toBeLessThan(summary.customers!);
      const currencyOf = new Map(
        (await all(qbo, 'Customer')).map((customer) => [customer.Id, customer.CurrencyRef.value as string]),
      );
      const foreignInvoices = invoices.filter((invoice) => invoice.CurrencyRef.value !== 'USD');
      expect(foreignInvoices.length).toBeGreaterThan(0);
      for (const invoice of invoices) {
        expect(invoice.CurrencyRef.value).toBe(currencyOf.get(invoice.CustomerRef.value));
        if (invoice.CurrencyRef.value === 'USD') expect(invoice.ExchangeRate).toBe(1);
        else expect(invoice.ExchangeRate).not.toBe(1);
        expect(
          Math.abs(cents(invoice.HomeTotalAmt) - cents(invoice.TotalAmt * invoice.ExchangeRate)),
        ).toBeLessThanOrEqual(1);
      }
      const currencies = await all(qbo, 'CompanyCurrency');
      expect(currencies.map((currency) => currency.Code).sort()).toEqual(
        [...new Set(foreign.map((customer) => customer.CurrencyRef.value))].sort(),
      );

      const jobs = await all(qbo, 'Customer', 'where Job = true');
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        expect(job.ParentRef.value).toEqual(expect.any(String));
        expect(job.FullyQualifiedName).toContain(':');
      }
    });
  });

  it('keeps a single-currency book in the home currency, without exchange rates', async () => {
    const { qbo, summary } = await seeded(
      { companyName: 'Seeded Single' },
      { customers: 40, transactions: 200, seed: 7 },
    );
    expect(await count(qbo, 'Customer', "where CurrencyRef = 'USD'")).toBe(summary.customers);
    const invoices = await all(qbo, 'Invoice');
    expect(invoices.length).toBe(summary.invoices);
    for (const invoice of invoices) {
      expect(invoice.CurrencyRef).toEqual({ value: 'USD', name: 'United States Dollar' });
      expect([invoice.ExchangeRate, invoice.HomeTotalAmt, invoice.HomeBalance]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    }
  });

  it('is deterministic: the same seed gives the same book in a fresh company, another seed a different one', async () => {
    const options = { customers: 30, transactions: 150, seed: 99 };
    const book = async (qbo: QboClient) => {
      const entities: Record<string, unknown[]> = {};
      for (const entity of seededEntities) {
        entities[entity] = (await all(qbo, entity)).map(({ MetaData: _meta, ...record }) => record);
      }
      return entities;
    };
    const first = await seeded({ companyName: 'Twin A', multiCurrency: true }, options);
    const second = await seeded({ companyName: 'Twin B', multiCurrency: true }, options);
    const { milliseconds: _a, ...firstSummary } = first.summary;
    const { milliseconds: _b, ...secondSummary } = second.summary;
    expect(secondSummary).toEqual(firstSummary);
    const firstBook = await book(first.qbo);
    expect(firstBook.Customer).toHaveLength(30);
    expect(await book(second.qbo)).toEqual(firstBook);

    const other = await seeded({ companyName: 'Other Seed', multiCurrency: true }, { ...options, seed: 100 });
    const names = (customers: unknown[]) => customers.map((customer) => (customer as Row).DisplayName);
    expect(names((await book(other.qbo)).Customer!)).not.toEqual(names(firstBook.Customer!));
  });

  describe('a company whose home currency is not USD', () => {
    it('answers Preferences and defaults CurrencyRef to the home currency, refusing others without multicurrency', async () => {
      const { qbo, summary } = await seeded(
        { companyName: 'London Ltd', homeCurrency: 'GBP', country: 'GB' },
        { customers: 20, transactions: 60 },
      );
      const preferences = (await qbo.request('GET', '/preferences')).json.Preferences;
      expect(preferences.CurrencyPrefs).toEqual({
        HomeCurrency: { value: 'GBP' },
        MultiCurrencyEnabled: false,
      });
      const customer = await qbo.create('Customer', { DisplayName: 'Camden Market' });
      expect(customer.CurrencyRef).toEqual({ value: 'GBP', name: 'British Pound Sterling' });
      const standardRate = (await qbo.query("select * from TaxCode where Name = '20.0% S'")).json
        .QueryResponse.TaxCode[0];
      const line = salesLine(10);
      const invoice = await qbo.create('Invoice', {
        CustomerRef: { value: customer.Id },
        Line: [
          {
            ...line,
            SalesItemLineDetail: { ...line.SalesItemLineDetail, TaxCodeRef: { value: standardRate.Id } },
          },
        ],
      });
      expect(invoice).toMatchObject({ TotalAmt: 12, TxnTaxDetail: { TotalTax: 2 } });
      expect(invoice.CurrencyRef).toEqual({ value: 'GBP', name: 'British Pound Sterling' });
      expect(invoice.ExchangeRate).toBeUndefined();
      const dollars = await qbo.write('Customer', {
        DisplayName: 'Yankee Co',
        CurrencyRef: { value: 'USD' },
      });
      expect(dollars.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'CurrencyRef' });
      expect(await count(qbo, 'Customer', "where CurrencyRef = 'GBP'")).toBe(summary.customers! + 1);
      expect(await count(qbo, 'Invoice', "where CurrencyRef = 'GBP'")).toBe(summary.invoices! + 1);
    });

    it('converts foreign amounts into the home currency when multicurrency is on', async () => {
      const qbo = await emulator.company({
        companyName: 'Toronto Inc',
        homeCurrency: 'CAD',
        multiCurrency: true,
      });
      const preferences = (await qbo.request('GET', '/preferences')).json.Preferences;
      expect(preferences.CurrencyPrefs).toEqual({
        HomeCurrency: { value: 'CAD' },
        MultiCurrencyEnabled: true,
      });
      const local = await qbo.create('Customer', { DisplayName: 'Maple Syrup Co' });
      expect(local.CurrencyRef.value).toBe('CAD');
      const homeInvoice = await qbo.create('Invoice', {
        CustomerRef: { value: local.Id },
        Line: [salesLine(10)],
      });
      expect(homeInvoice).toMatchObject({ ExchangeRate: 1, HomeTotalAmt: 10 });
      const euro = await qbo.create('Customer', { DisplayName: 'Paris SARL', CurrencyRef: { value: 'EUR' } });
      const euroInvoice = await qbo.create('Invoice', {
        CustomerRef: { value: euro.Id },
        Line: [salesLine(100)],
      });
      // A euro is worth more than a Canadian dollar: more than one home unit per foreign unit.
      expect(euroInvoice.ExchangeRate).toBeGreaterThan(1);
      expect(euroInvoice.HomeTotalAmt).toBeCloseTo(100 * euroInvoice.ExchangeRate, 2);
      // And a US dollar is worth less than one: away from a USD home, USD is a foreign currency like any other.
      const dollar = await qbo.create('Customer', {
        DisplayName: 'Boston LLC',
        CurrencyRef: { value: 'USD' },
      });
      const dollarInvoice = await qbo.create('Invoice', {
        CustomerRef: { value: dollar.Id },
        Line: [salesLine(100)],
      });
      expect(dollarInvoice.ExchangeRate).toBeGreaterThan(1);
      expect(dollarInvoice.ExchangeRate).toBeLessThan(euroInvoice.ExchangeRate);
    });
  });
});

describe('emulator conformance: overdue follows DueDate, the clock and payments', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  /** Moves the emulator's clock over HTTP, then takes a fresh token (an hour-long one would have expired). */
  async function advanceDays(days: number): Promise<string> {
    const moved = await emulator.admin('POST', '/clock', { advanceMs: days * 86_400_000 });
    expect(moved.status).toBe(200);
    const tokens = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {});
    qbo.accessToken = tokens.json.access_token;
    return moved.json.now;
  }

  /** The overdue invoices for `date`, asserting CURRENT_DATE (the company's today) agrees. */
  async function overdue(date: string): Promise<string[]> {
    const literal = idsOf(await all(qbo, 'Invoice', `where DueDate < '${date}' AND Balance > '0'`));
    const current = idsOf(await all(qbo, 'Invoice', "where DueDate < CURRENT_DATE AND Balance > '0'"));
    expect(current).toEqual(literal);
    return literal;
  }

  const pay = (invoiceId: string, amount: number) =>
    qbo.create('Payment', {
      CustomerRef: { value: '1' },
      TotalAmt: amount,
      Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
    });

  it('becomes overdue once DueDate passes, stays overdue while part is open, and stops when paid', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Slow Payer' });
    expect(customer.Id).toBe('1');
    const net15 = (await all(qbo, 'Term', "where Name = 'Net 15'"))[0]!;
    const explicit = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      DueDate: '2026-03-12',
      Line: [salesLine(100)],
    });
    const fromTerms = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      SalesTermRef: { value: net15.Id },
      Line: [salesLine(50)],
    });
    expect([explicit.TxnDate, explicit.DueDate, fromTerms.DueDate]).toEqual([
      today,
      '2026-03-12',
      '2026-03-17',
    ]);
    expect(await overdue(today)).toEqual([]);

    expect(await advanceDays(12)).toBe('2026-03-14T17:00:00.000Z');
    expect(await overdue('2026-03-14')).toEqual([explicit.Id]);
    await pay(explicit.Id, 40);
    expect((await qbo.read('Invoice', explicit.Id)).json.Invoice.Balance).toBe(60);
    expect(await overdue('2026-03-14')).toEqual([explicit.Id]);
    await pay(explicit.Id, 60);
    expect(await overdue('2026-03-14')).toEqual([]);

    await advanceDays(4);
    expect(await overdue('2026-03-18')).toEqual([fromTerms.Id]);
    // On its due date an invoice is not yet overdue.
    expect(await all(qbo, 'Invoice', "where DueDate < '2026-03-17' AND Balance > '0'")).toEqual([]);
  });
});
