import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine, type QboClient } from '../support/emulator';
import { eventually } from '../support/env';
import { formatQboDate } from '../../src/time/zoned-time';

/** The next 06:30 UTC: already tomorrow in New York (01:30), still today in Los Angeles (22:30 or 23:30). */
function nextHalfPastSixUtc(now = new Date()): Date {
  const at = new Date(now);
  at.setUTCHours(6, 30, 0, 0);
  if (at <= now) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}

/**
 * A New York company's "today" is New York's, not Los Angeles': the zone is inferred from its CompanyInfo address
 * at connect, shown on the connection, the contact section and the follow-up policy, and decides what is overdue.
 */
describe('the company’s time zone, over the API', () => {
  const startAt = nextHalfPastSixUtc();
  const newYorkToday = formatQboDate(startAt, 'America/New_York');
  const losAngelesToday = formatQboDate(startAt, 'America/Los_Angeles');
  let harness: ApiHarness;
  let connection: { id: string; realmId: string; timeZone: unknown };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness({ startAt });
    connection = await harness.connect(harness.account, {
      company: { companyName: 'Hudson Supplies', timeZone: 'America/New_York' },
    });
    qbo = await harness.qboFor(connection.realmId);
  });
  afterAll(() => harness?.close());

  it('is inferred from the company address and shown on the connection and the follow-up policy', async () => {
    // The premise: at this instant the two calendars disagree.
    expect(newYorkToday > losAngelesToday).toBe(true);
    const info = (await qbo.read('CompanyInfo', connection.realmId)).json.CompanyInfo;
    expect(info.CompanyAddr).toMatchObject({
      City: 'New York',
      CountrySubDivisionCode: 'NY',
      Country: 'USA',
    });
    expect(connection.timeZone).toEqual({ name: 'America/New_York', basis: 'city' });
    const detail = await harness.request('GET', `/v1/connections/${connection.id}`);
    expect(detail.json.timeZone).toEqual({ name: 'America/New_York', basis: 'city' });
    const policy = await harness.request('GET', `/v1/connections/${connection.id}/follow-up-policy`);
    expect(policy.status).toBe(200);
    expect(policy.json.timeZone).toBe('America/New_York');
  });

  it('judges an invoice due on Los Angeles’ today overdue, on New York’s calendar', async () => {
    const put = await harness.request('PUT', '/v1/contacts/crm-hudson', {
      body: { updatedAt: new Date(startAt).toISOString(), fields: { displayName: 'Empire Diner' } },
    });
    expect(put.status).toBe(202);
    const contact = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/crm-hudson')).json,
      (body) => body.sync?.state === 'synced',
      10_000,
      'the contact to be created in QBO',
    );
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: contact.quickbooks.customerId },
      TxnDate: losAngelesToday,
      DueDate: losAngelesToday,
      Line: [salesLine(120)],
    });
    expect(invoice.DueDate).toBe(losAngelesToday);
    await harness.request('POST', `/v1/connections/${connection.id}/sync`);
    const section = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/crm-hudson/quickbooks')).json,
      (body) => body.transactions?.length === 1,
      20_000,
      'the invoice in the contact section',
    );
    expect(section).toMatchObject({ asOf: newYorkToday, timeZone: 'America/New_York' });
    expect(section.transactions[0]).toMatchObject({ qboId: invoice.Id, status: 'overdue' });
    expect(section.billingSummary).toMatchObject({
      openBalance: 120,
      overdueBalance: 120,
      oldestOverdueDays: 1,
    });
    const overdue = await harness.request(
      'GET',
      '/v1/contacts/crm-hudson/quickbooks/transactions?status=overdue',
    );
    expect(overdue.json.data.map((item: { qboId: string }) => item.qboId)).toEqual([invoice.Id]);
  });
});
