import { emailOptOutModel, followUpModel } from '../../src/followups/models';
import { salesLine } from '../support/emulator';
import { startFollowUpHarness, type FollowUpHarness } from './support';

/**
 * Unsubscribing end to end: reminders sent by the worker through SMTP carry a signed `List-Unsubscribe` link; the
 * one-click POST a mail client makes to it (RFC 8058), over HTTP to the API's route, stores the opt-out; the next
 * run emails that customer nothing and records why, while another customer's reminders still go out.
 */
describe('unsubscribing from reminder emails', () => {
  let harness: FollowUpHarness;
  const ids = { olga: '', carl: '', olgaInvoices: [] as string[], carlInvoice: '' };
  let unsubscribeUrl = '';
  const olgaEmails = () => harness.smtp.to('olga@example.com');
  const carlEmails = () => harness.smtp.to('carl@example.com');
  const followUpOf = (qboId: string, stage: string) =>
    followUpModel(harness.db.mongoose.connection)
      .findOne({ connectionId: harness.connectionId, qboId, stage })
      .lean();

  beforeAll(async () => {
    harness = await startFollowUpHarness();
    const { qbo } = harness;
    const customer = async (name: string, email: string) =>
      (await qbo.create('Customer', { DisplayName: name, PrimaryEmailAddr: { Address: email } }))
        .Id as string;
    const invoice = async (customerId: string, amount: number) =>
      (
        await qbo.create('Invoice', {
          CustomerRef: { value: customerId },
          TxnDate: '2026-02-01',
          DueDate: '2026-03-01',
          Line: [salesLine(amount)],
        })
      ).Id as string;
    ids.olga = await customer('Olga Opt-Out', 'olga@example.com');
    ids.carl = await customer('Carl Carries-On', 'carl@example.com');
    ids.olgaInvoices = [await invoice(ids.olga, 100), await invoice(ids.olga, 200)];
    ids.carlInvoice = await invoice(ids.carl, 300);
    await harness.project();
    await harness.setPolicy({
      channels: { crm: true, email: true },
    });
  });
  afterAll(() => harness?.close());

  it('puts a one-click unsubscribe link on every reminder', async () => {
    const result = await harness.runReminders('2026-03-02T18:00:00Z');
    expect(result).toMatchObject({ planned: 3, delivered: 3 });
    const emails = olgaEmails();
    expect(emails).toHaveLength(2);
    for (const email of emails) {
      expect(email.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
      expect(email.headers['list-unsubscribe']).toMatch(
        new RegExp(`^<${harness.apiUrl}/v1/unsubscribe/[^>\\s]+>$`),
      );
    }
    unsubscribeUrl = /^<(.+)>$/.exec(emails[0]!.headers['list-unsubscribe']!)![1]!;
  });

  it('asks before unsubscribing on GET, and refuses a tampered link with 400', async () => {
    const page = await fetch(unsubscribeUrl, { signal: AbortSignal.timeout(5000) });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Stop sending payment reminder emails to olga@example.com?');
    expect(html).toContain('<form method="post"');

    const tampered = unsubscribeUrl.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    for (const method of ['GET', 'POST']) {
      const refused = await fetch(tampered, { method, signal: AbortSignal.timeout(5000) });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('its signature does not match');
    }
    const garbled = await fetch(`${harness.apiUrl}/v1/unsubscribe/nonsense`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(garbled.status).toBe(400);
    expect(await garbled.text()).toContain('could not be read');
    // Neither the page nor the refusals stored anything.
    expect(await emailOptOutModel(harness.db.mongoose.connection).countDocuments()).toBe(0);
  });

  it('stores the opt-out on the one-click POST, once however often it is made', async () => {
    for (let click = 0; click < 2; click += 1) {
      const response = await fetch(unsubscribeUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(
        'No more payment reminder emails will be sent to olga@example.com',
      );
    }
    const optOuts = await emailOptOutModel(harness.db.mongoose.connection).find().lean();
    expect(optOuts).toEqual([
      expect.objectContaining({
        accountId: harness.accountId,
        connectionId: harness.connectionId,
        qboCustomerId: ids.olga,
        address: 'olga@example.com',
      }),
    ]);
  });

  it('emails an opted-out customer nothing on the next run, and records why', async () => {
    const result = await harness.runReminders('2026-03-08T18:00:00Z');
    expect(result).toMatchObject({ planned: 3, delivered: 3 });
    // The run did send: Carl's 7-day reminder arrived.
    expect(carlEmails().map((email) => email.subject)).toEqual([
      'Payment reminder: invoice 1003 is 1 day overdue',
      'Payment reminder: invoice 1003 is 7 days overdue',
    ]);
    expect(olgaEmails()).toHaveLength(2);
    for (const qboId of ids.olgaInvoices) {
      const followUp = await followUpOf(qboId, 'overdue-7');
      expect(followUp).toMatchObject({
        status: 'sent',
        channels: {
          crm: { status: 'recorded' },
          email: { status: 'skipped', reason: 'opted_out', to: 'olga@example.com' },
        },
      });
      expect(followUp!.history.at(-1)).toMatchObject({ action: 'email_skipped', reason: 'opted_out' });
    }
  });
});
