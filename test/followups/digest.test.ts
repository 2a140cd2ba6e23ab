import { Mailer } from '../../src/email/mailer';
import { deliverFollowUps } from '../../src/followups/delivery';
import {
  emailOptOutModel,
  emailSendModel,
  followUpModel,
  type FollowUpRecord,
} from '../../src/followups/models';
import { digestId } from '../../src/followups/stages';
import { outboundEventModel } from '../../src/outbound/events';
import { launchChromium } from '../support/chromium';
import { salesLine } from '../support/emulator';
import { startFollowUpHarness, type FollowUpHarness } from './support';

/**
 * Digests end to end: with `email.delivery: 'digest'`, a reminders run through Temporal emails each customer once,
 * listing every overdue invoice due a reminder with its own pay link; concurrent and retried runs send nothing
 * twice; an opted-out customer gets nothing until they resubscribe; per-document delivery still works.
 * Company time is Los Angeles; 18:00Z is mid-morning there.
 */
describe('one reminder email per customer (digest)', () => {
  let harness: FollowUpHarness;
  const ids = { dana: '', carl: '', cara: '', danaInvoices: [] as string[], onlineInvoice: '' };
  let unsubscribeUrl = '';
  const conn = () => harness.db.mongoose.connection;
  const followUpsOf = (qboCustomerId: string, stage: string) =>
    followUpModel(conn())
      .find({ connectionId: harness.connectionId, qboCustomerId, stage })
      .sort({ _id: 1 })
      .lean();
  const sendsOf = (followUps: FollowUpRecord[]) =>
    emailSendModel(conn())
      .find({ followUpId: { $in: followUps.map((followUp) => followUp._id) } })
      .lean();
  const template = 'https://pay.example.com/{realmId}/invoice/{id}';
  const policy = async (delivery: 'digest' | 'per_document') => {
    await harness.setPolicy({
      channels: { crm: true, email: true },
      email: { senderName: 'Acme Billing', linkTemplate: template, delivery },
    });
  };

  beforeAll(async () => {
    harness = await startFollowUpHarness();
    const { qbo } = harness;
    const customer = async (name: string, email: string) =>
      (await qbo.create('Customer', { DisplayName: name, PrimaryEmailAddr: { Address: email } }))
        .Id as string;
    const invoice = async (customerId: string, amount: number, online = false) =>
      (
        await qbo.create('Invoice', {
          CustomerRef: { value: customerId },
          TxnDate: '2026-02-01',
          DueDate: '2026-03-01',
          Line: [salesLine(amount)],
          ...(online && { AllowOnlineCreditCardPayment: true }),
        })
      ).Id as string;
    ids.dana = await customer('Dana Digest', 'dana@example.com');
    ids.carl = await customer('Carl Carries-On', 'carl@example.com');
    ids.danaInvoices = [await invoice(ids.dana, 100), await invoice(ids.dana, 250.5, true)];
    ids.onlineInvoice = ids.danaInvoices[1]!;
    ids.danaInvoices.push(await invoice(ids.dana, 400));
    await invoice(ids.carl, 300);
    await harness.project({ withPaymentLinks: [ids.onlineInvoice] });
    await policy('digest');
  });
  afterAll(() => harness?.close());

  it('emails a customer with three overdue invoices once, listing each with its pay link, and the total', async () => {
    const result = await harness.runReminders('2026-03-02T18:00:00Z');
    expect(result).toMatchObject({ planned: 4, delivered: 4, cancelled: 0, quiet: false });

    const emails = harness.smtp.to('dana@example.com');
    expect(emails).toHaveLength(1);
    // SMTP carries text with CRLF line ends.
    const email = { ...emails[0]!, text: emails[0]!.text.replace(/\r\n/g, '\n') };
    expect(email.subject).toBe('Payment reminder: 3 overdue invoices');
    expect(email.from).toBe('Acme Billing <billing@acme.example>');
    expect(email.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    unsubscribeUrl = /^<(.+)>$/.exec(email.headers['list-unsubscribe']!)![1]!;

    const followUps = await followUpsOf(ids.dana, 'overdue-1');
    expect(followUps).toHaveLength(3);
    for (const followUp of followUps) {
      const { number, paymentLink, qboId, balance } = followUp.document;
      const link =
        qboId === ids.onlineInvoice
          ? paymentLink!
          : `https://pay.example.com/${harness.qbo.realmId}/invoice/${qboId}`;
      expect(link).toMatch(/^https?:\/\//);
      const amount = balance.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
      expect(email.text).toContain(
        `- Invoice ${number}, due March 1, 2026 (1 day overdue): ${amount}\n  Pay or view invoice ${number}: ${link}`,
      );
      expect(email.html).toContain(
        `<a href="${link.replace(/&/g, '&amp;')}">Pay or view invoice ${number}</a>`,
      );
    }
    expect(email.text).toContain('Total due: $750.50.');
    expect(email.html.match(/<li>/g)).toHaveLength(3);

    // One digest id, derived from the attempts it claimed, on the message, each follow-up, each attempt and each event.
    const digest = digestId(followUps.map((followUp) => `${followUp._id}#0`));
    expect(email.headers['x-qbosync-digest']).toBe(digest);
    for (const followUp of followUps) {
      expect(followUp).toMatchObject({
        status: 'sent',
        channels: {
          crm: { status: 'recorded' },
          email: { status: 'sent', to: 'dana@example.com', digestId: digest },
        },
      });
      expect(followUp.history.map((entry) => entry.action)).toEqual([
        'planned',
        'crm_recorded',
        'email_sent',
      ]);
    }
    const sends = await sendsOf(followUps);
    expect(sends).toHaveLength(3);
    expect(sends.every((send) => send.digestId === digest && send.status === 'sent')).toBe(true);
    const events = await outboundEventModel(conn())
      .find({ connectionId: harness.connectionId, type: 'followup.created', qboCustomerId: ids.dana })
      .lean();
    const eventData = events.map((event) => event.data as { id: string; digestId?: string });
    // In code-point order, as the database sorted the follow-ups (localeCompare would fold case).
    expect(eventData.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))).toEqual(
      followUps.map((followUp) => expect.objectContaining({ id: followUp._id, digestId: digest })),
    );

    // A customer with one overdue invoice gets the same email, listing one.
    expect(harness.smtp.to('carl@example.com').map((sent) => sent.subject)).toEqual([
      'Payment reminder: 1 overdue invoice',
    ]);
  });

  it('sends nothing twice when two runs race, or a run is retried after sending but before recording', async () => {
    const { qbo } = harness;
    ids.cara = (
      await qbo.create('Customer', {
        DisplayName: 'Cara Concurrent',
        PrimaryEmailAddr: { Address: 'cara@example.com' },
      })
    ).Id as string;
    for (const amount of [10, 20])
      await qbo.create('Invoice', {
        CustomerRef: { value: ids.cara },
        TxnDate: '2026-02-01',
        DueDate: '2026-03-01',
        Line: [salesLine(amount)],
      });
    await harness.project();

    const runs = await Promise.all([
      harness.runReminders('2026-03-02T19:00:00Z'),
      harness.runReminders('2026-03-02T19:00:00Z'),
    ]);
    // Both ran: between them they planned Cara's two reminders once and delivered each once.
    expect(runs.map((run) => run.planned).reduce((a, b) => a + b)).toBe(2);
    expect(runs.map((run) => run.delivered).reduce((a, b) => a + b)).toBe(2);
    const cara = await followUpsOf(ids.cara, 'overdue-1');
    expect(cara.map((followUp) => followUp.status)).toEqual(['sent', 'sent']);
    expect(harness.smtp.to('cara@example.com')).toHaveLength(1);
    expect(await sendsOf(cara)).toHaveLength(2);

    // A worker that died after SMTP took the digest, before the follow-ups recorded it: its deliveries race again.
    await followUpModel(conn()).updateMany(
      { _id: { $in: cara.map((followUp) => followUp._id) } },
      { $set: { status: 'pending' }, $unset: { 'channels.email': 1, sentAt: 1 } },
    );
    const mailer = new Mailer({ smtpUrl: harness.smtp.url, from: 'billing@acme.example', timeoutMs: 2000 });
    try {
      const run = {
        db: conn(),
        connectionId: harness.connectionId,
        asOf: new Date('2026-03-02T20:00:00Z'),
        now: () => new Date(),
      };
      const retries = await Promise.all([
        deliverFollowUps(run, { mailer, limit: 10 }),
        deliverFollowUps(run, { mailer, limit: 10 }),
      ]);
      expect(retries.map((retry) => retry.delivered).reduce((a, b) => a + b)).toBe(2);
    } finally {
      mailer.close();
    }
    const recovered = await followUpsOf(ids.cara, 'overdue-1');
    expect(recovered.map((followUp) => followUp.channels.email?.status)).toEqual(['sent', 'sent']);
    expect(recovered.map((followUp) => followUp.status)).toEqual(['sent', 'sent']);
    expect(harness.smtp.to('cara@example.com')).toHaveLength(1);
    expect(await sendsOf(recovered)).toHaveLength(2);
    expect(harness.smtp.to('dana@example.com')).toHaveLength(1);
  });

  it('emails an opted-out customer nothing, and emails them again once they resubscribe', async () => {
    const unsubscribed = await fetch(unsubscribeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      signal: AbortSignal.timeout(5000),
    });
    expect(unsubscribed.status).toBe(200);
    const page = await unsubscribed.text();
    const resubscribePath = new URL(unsubscribeUrl).pathname + '/resubscribe';
    expect(page).toContain(`<form method="post" action="${resubscribePath}">`);

    const week = await harness.runReminders('2026-03-08T18:00:00Z');
    expect(week).toMatchObject({ planned: 6, delivered: 6 });
    // The run did email: Carl's and Cara's 7-day digests arrived.
    expect(harness.smtp.to('carl@example.com')).toHaveLength(2);
    expect(harness.smtp.to('cara@example.com')).toHaveLength(2);
    expect(harness.smtp.to('dana@example.com')).toHaveLength(1);
    for (const followUp of await followUpsOf(ids.dana, 'overdue-7')) {
      expect(followUp).toMatchObject({
        status: 'sent',
        channels: { email: { status: 'skipped', reason: 'opted_out', to: 'dana@example.com' } },
      });
    }

    // The person, in a browser: the link's page, its Unsubscribe button, then the undo on the page that answers.
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(unsubscribeUrl);
      await tab.getByRole('button', { name: 'Unsubscribe' }).click();
      await tab
        .getByText('No more payment reminder emails will be sent to dana@example.com.')
        .waitFor({ timeout: 10_000 });
      expect(await emailOptOutModel(conn()).countDocuments({ connectionId: harness.connectionId })).toBe(1);
      await tab.getByRole('button', { name: 'Resubscribe' }).click();
      await tab.getByRole('heading', { name: 'You are subscribed again' }).waitFor({ timeout: 10_000 });
      expect(await tab.textContent('body')).toContain(
        'Payment reminder emails will be sent to dana@example.com again.',
      );
      expect(new URL(tab.url()).pathname).toBe(resubscribePath);
    } finally {
      await browser.close();
    }
    expect(await emailOptOutModel(conn()).countDocuments({ connectionId: harness.connectionId })).toBe(0);
    const tampered = await fetch(
      new URL(
        resubscribePath.replace(
          /(.)\/resubscribe$/,
          (_m, last: string) => `${last === 'A' ? 'B' : 'A'}/resubscribe`,
        ),
        unsubscribeUrl,
      ),
      {
        method: 'POST',
        signal: AbortSignal.timeout(5000),
      },
    );
    expect(tampered.status).toBe(400);

    await harness.runReminders('2026-03-15T18:00:00Z');
    const emails = harness.smtp.to('dana@example.com');
    expect(emails.map((email) => email.subject)).toEqual([
      'Payment reminder: 3 overdue invoices',
      'Payment reminder: 3 overdue invoices',
    ]);
    expect(emails[1]!.text).toContain('(14 days overdue)');
  });

  it('still sends one email per invoice when delivery is per document', async () => {
    await policy('per_document');
    const result = await harness.runReminders('2026-03-31T18:00:00Z');
    expect(result).toMatchObject({ planned: 6, delivered: 6 });
    const subjects = harness.smtp
      .to('dana@example.com')
      .slice(2)
      .map((email) => email.subject);
    expect(subjects).toHaveLength(3);
    expect(
      subjects.every((subject) => /^Payment reminder: invoice \S+ is 30 days overdue$/.test(subject)),
    ).toBe(true);
    for (const followUp of await followUpsOf(ids.dana, 'overdue-30'))
      expect(followUp.channels.email).toMatchObject({ status: 'sent' });
    expect(
      (await followUpsOf(ids.dana, 'overdue-30')).every(
        (followUp) => followUp.channels.email?.digestId === undefined,
      ),
    ).toBe(true);
  });
});
