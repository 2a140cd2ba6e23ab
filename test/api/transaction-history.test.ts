import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine } from '../support/emulator';
import { eventually } from '../support/env';
import { historyStart } from '../../src/sync/transaction-history';
import { formatQboDate } from '../../src/time/zoned-time';

const daysAgo = (days: number, timeZone: string) =>
  formatQboDate(new Date(Date.now() - days * 86_400_000), timeZone);

/**
 * The transaction history window, through the API and the emulator: chosen at connect, it decides which invoices the
 * backfill imports into a contact's folder (`TxnDate >= …` in the backfill's queries), is shown in the preview, and
 * leaves CDC alone: a later change to an older invoice still arrives.
 */
describe('the transaction history window', () => {
  let harness: ApiHarness;
  /** Each company: one customer with invoices three years, 25 months and one month old. */
  const invoices = new Map<string, { customerId: string; old: string[]; recent: string[] }>();

  const beforeConnect = async (realmId: string) => {
    const qbo = await harness.qboFor(realmId);
    const customer = await qbo.create('Customer', { DisplayName: 'Olde Worlde Books' });
    const invoice = async (txnDate: string) =>
      (
        await qbo.create('Invoice', {
          CustomerRef: { value: customer.Id },
          TxnDate: txnDate,
          Line: [salesLine(50)],
        })
      ).Id as string;
    const zone = 'America/Los_Angeles';
    invoices.set(realmId, {
      customerId: customer.Id,
      old: [await invoice(daysAgo(3 * 365, zone)), await invoice(daysAgo(25 * 31, zone))],
      recent: [await invoice(daysAgo(30, zone))],
    });
  };

  const connectWith = async (transactionHistory: unknown) => {
    const connection = await harness.connect(harness.account, {
      beforeConnect,
      body: { transactionHistory },
    });
    return (
      await eventually(
        () => harness.request('GET', `/v1/connections/${connection.id}`),
        (response) => response.json.backfill?.status === 'done',
        30_000,
        'the backfill to finish',
      )
    ).json;
  };

  /** Links a contact to the company's customer and reads the invoices in its folder. */
  const folder = async (connection: { id: string; realmId: string }, crmContactId: string) => {
    const { customerId } = invoices.get(connection.realmId)!;
    const put = await harness.request('PUT', `/v1/contacts/${crmContactId}?connectionId=${connection.id}`, {
      body: {
        updatedAt: '2000-01-01T00:00:00Z',
        fields: { displayName: 'Olde Worlde Books' },
        qboCustomerId: customerId,
      },
    });
    expect(put.status).toBe(202);
    await eventually(
      async () =>
        (await harness.request('GET', `/v1/contacts/${crmContactId}?connectionId=${connection.id}`)).json,
      (contact) => contact.sync?.state === 'synced',
      20_000,
      `${crmContactId} synced`,
    );
    return async () =>
      (
        await harness.request(
          'GET',
          `/v1/contacts/${crmContactId}/quickbooks/transactions?connectionId=${connection.id}&limit=100`,
        )
      ).json.data
        .map((transaction: { qboId: string }) => transaction.qboId)
        .sort();
  };

  beforeAll(async () => {
    harness = await startApiHarness();
  });
  afterAll(() => harness?.close());

  it('imports only the last 24 months when connected so, shows it in the preview, and still takes CDC’s changes', async () => {
    const connection = await connectWith({ months: 24 });
    const { old, recent } = invoices.get(connection.realmId)!;
    const since = historyStart({ months: 24 }, formatQboDate(new Date(), connection.timeZone.name));
    expect(connection.settings.transactionHistory).toEqual({ months: 24 });
    expect(connection.backfill.transactionsSince).toBe(since);

    const read = await folder(connection, 'crm-olde-24');
    expect(await read()).toEqual([...recent].sort());

    const preview = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { source: 'stored' },
    });
    expect(preview.status).toBe(201);
    expect(preview.json.transactions).toEqual({ history: { months: 24 }, since, imported: recent.length });

    // A bookkeeper edits a three-year-old invoice: CDC brings it, window or not.
    const qbo = await harness.qboFor(connection.realmId);
    const current = (await qbo.read('Invoice', old[0]!)).json.Invoice;
    const edited = await qbo.write('Invoice', {
      Id: old[0],
      SyncToken: current.SyncToken,
      sparse: true,
      PrivateNote: 'found in the archive',
    });
    expect(edited.status).toBe(200);
    await harness.request('POST', `/v1/connections/${connection.id}/sync`);
    await eventually(read, (ids: string[]) => ids.includes(old[0]!), 20_000, 'the edited old invoice');
    expect(await read()).toEqual([old[0]!, ...recent].sort());
  });

  it('imports everything with "all"', async () => {
    const connection = await connectWith('all');
    const { old, recent } = invoices.get(connection.realmId)!;
    expect(connection.settings.transactionHistory).toBe('all');
    expect(connection.backfill.transactionsSince).toBeNull();
    const read = await folder(connection, 'crm-olde-all');
    expect(await read()).toEqual([...old, ...recent].sort());
  });

  it('changes with PATCH, and refuses a window that is not one, naming the field', async () => {
    const connection = await harness.connect(harness.account);
    expect(connection.settings.transactionHistory).toBe('all');
    const patched = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { transactionHistory: { months: 12 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.settings.transactionHistory).toEqual({ months: 12 });

    for (const bad of [{ months: 0 }, { months: 2.5 }, { years: 2 }, 'recent', 24]) {
      const refusedPatch = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
        body: { transactionHistory: bad },
      });
      expect(refusedPatch.status).toBe(400);
      expect(refusedPatch.json).toMatchObject({
        code: 'validation_failed',
        field: expect.stringMatching(/^body\.transactionHistory/),
      });
      const refusedConnect = await harness.request('POST', '/v1/connections/quickbooks', {
        body: { transactionHistory: bad },
      });
      expect(refusedConnect.status).toBe(400);
      expect(refusedConnect.json).toMatchObject({
        code: 'validation_failed',
        field: expect.stringMatching(/^body\.transactionHistory/),
      });
    }
  });
});
