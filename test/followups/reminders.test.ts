import { outboundEventModel } from '../../src/outbound/events';
import {
  contactArModel,
  emailSendModel,
  emailSuppressionModel,
  followUpModel,
  type FollowUpRecord,
} from '../../src/followups/models';
import { seedLinkedContact } from '../support/contacts';
import { onTransactionsApplied } from '../../src/followups/sync-hook';
import { salesLine } from '../support/emulator';
import { bouncingDomain, startFollowUpHarness, type FollowUpHarness } from './support';

/**
 * Reminders end to end: invoices created in the emulator, projected as the sync engine does, a real Temporal
 * worker running the reminders workflow at injected "as of" instants, and a real SMTP server reading what arrives.
 * Company time is Los Angeles; 18:00Z is mid-morning there, 12:00Z is 4–5 am (quiet hours).
 */
describe('overdue reminders through Temporal, MongoDB, the emulator and SMTP', () => {
  let harness: FollowUpHarness;
  const ids = {
    amy: '',
    eva: '',
    bob: '',
    nina: '',
    amyInvoice: '',
    evaInvoice: '',
    bobInvoice: '',
    ninaInvoice: '',
  };

  const followUps = () => followUpModel(harness.db.mongoose.connection);
  const followUpOf = (qboId: string, stage: string) =>
    followUps().findOne({ connectionId: harness.connectionId, qboId, stage }).lean();
  const events = (type: string) =>
    outboundEventModel(harness.db.mongoose.connection)
      .find({ connectionId: harness.connectionId, type })
      .sort({ createdAt: 1, _id: 1 })
      .lean();
  const amyEmails = () => harness.smtp.to('amy@example.com');

  beforeAll(async () => {
    harness = await startFollowUpHarness();
    const { qbo } = harness;
    const customer = async (name: string, email?: string, currency?: string) =>
      (
        await qbo.create('Customer', {
          DisplayName: name,
          ...(email && { PrimaryEmailAddr: { Address: email } }),
          ...(currency && { CurrencyRef: { value: currency } }),
        })
      ).Id as string;
    ids.amy = await customer('Amy Overdue', 'amy@example.com');
    ids.eva = await customer('Eva Euro', 'eva@example.com', 'EUR');
    ids.bob = await customer('Bob Bounce', `bob@${bouncingDomain}`);
    ids.nina = await customer('Nina No-Email');
    const invoice = async (customerId: string, amount: number, dueDate = '2026-03-01') =>
      (
        await qbo.create('Invoice', {
          CustomerRef: { value: customerId },
          TxnDate: '2026-02-01',
          DueDate: dueDate,
          Line: [salesLine(amount)],
        })
      ).Id as string;
    ids.amyInvoice = await invoice(ids.amy, 1234.5);
    ids.evaInvoice = await invoice(ids.eva, 980);
    ids.bobInvoice = await invoice(ids.bob, 300);
    ids.ninaInvoice = await invoice(ids.nina, 50);
    await harness.project();
    // Amy's customer is linked to a CRM contact, so her follow-ups and tags name it.
    await seedLinkedContact(
      harness.db.mongoose.connection,
      harness.connectionId,
      'crm-amy',
      ids.amy,
      new Date(),
    );
    await harness.setPolicy({
      channels: { crm: true, email: true },
      email: { senderName: 'Acme Billing', linkTemplate: 'https://pay.example.com/{realmId}/invoice/{id}' },
    });
  });
  afterAll(() => harness?.close());

  it('sends the first reminder the day after the due date, by email and to the CRM', async () => {
    const result = await harness.runReminders('2026-03-02T18:00:00Z');
    expect(result).toMatchObject({ planned: 4, delivered: 4, cancelled: 0, quiet: false });

    const [email, ...others] = amyEmails();
    expect(others).toHaveLength(0);
    expect(email).toMatchObject({
      subject: 'Payment reminder: invoice 1001 is 1 day overdue',
      from: 'Acme Billing <billing@acme.example>',
    });
    expect(email!.text).toContain('was due on March 1, 2026 and is now 1 day overdue');
    expect(email!.text).toContain('Amount due: $1,234.50.');
    expect(email!.text).toContain(`https://pay.example.com/${harness.qbo.realmId}/invoice/${ids.amyInvoice}`);
    expect(email!.html).toContain('<strong>$1,234.50</strong>');

    const amy = await followUpOf(ids.amyInvoice, 'overdue-1');
    expect(amy).toMatchObject({
      status: 'sent',
      kind: 'invoice_overdue',
      daysOverdue: 1,
      crmContactId: 'crm-amy',
      customerName: 'Amy Overdue',
      channels: { crm: { status: 'recorded' }, email: { status: 'sent', to: 'amy@example.com' } },
    });
    expect(email!.headers['x-qbosync-followup']).toBe(amy!._id);
    expect(amy!.history.map((entry) => entry.action)).toEqual(['planned', 'crm_recorded', 'email_sent']);

    const created = await events('followup.created');
    expect(created).toHaveLength(4);
    expect(created.find((event) => event.crmContactId === 'crm-amy')?.data).toMatchObject({
      id: amy!._id,
      stage: 'overdue-1',
      document: { number: '1001', balance: 1234.5, currency: 'USD', dueDate: '2026-03-01' },
    });
  });

  it('writes a euro invoice in euros', async () => {
    const [email] = harness.smtp.to('eva@example.com');
    expect(email?.text).toContain('Amount due: €980.00.');
    expect(email?.html).toContain('<strong>€980.00</strong>');
    expect((await followUpOf(ids.evaInvoice, 'overdue-1'))?.document).toMatchObject({
      currency: 'EUR',
      total: 980,
    });
  });

  it('records a bounce for a refused address, and skips a customer without one', async () => {
    const bob = await followUpOf(ids.bobInvoice, 'overdue-1');
    expect(bob).toMatchObject({
      status: 'sent',
      channels: { crm: { status: 'recorded' }, email: { status: 'bounced', to: `bob@${bouncingDomain}` } },
    });
    const sends = await emailSendModel(harness.db.mongoose.connection).find({ followUpId: bob!._id }).lean();
    expect(sends).toEqual([
      expect.objectContaining({
        status: 'bounced',
        to: `bob@${bouncingDomain}`,
        error: expect.stringMatching(/550/),
      }),
    ]);
    expect(
      await emailSuppressionModel(harness.db.mongoose.connection).exists({
        address: `bob@${bouncingDomain}`,
      }),
    ).toBeTruthy();
    expect(await followUpOf(ids.ninaInvoice, 'overdue-1')).toMatchObject({
      status: 'sent',
      channels: { email: { status: 'skipped', detail: 'the customer has no email address' } },
    });
  });

  it('tags the linked contact and tells the CRM once', async () => {
    const ar = await contactArModel(harness.db.mongoose.connection)
      .findOne({ connectionId: harness.connectionId, qboCustomerId: ids.amy })
      .lean();
    expect(ar).toMatchObject({
      crmContactId: 'crm-amy',
      tags: ['qb:customer', 'qb:overdue'],
      figures: { currency: 'USD', openBalance: 1234.5, overdueBalance: 1234.5, oldestOverdueDays: 1 },
    });
    const updates = await events('contact.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.data).toMatchObject({ crmContactId: 'crm-amy', tags: ['qb:customer', 'qb:overdue'] });
  });

  it('sends nothing twice when the run is repeated, one after another or at the same time', async () => {
    const before = { emails: harness.smtp.received.length, followUps: await followUps().countDocuments() };
    await harness.runReminders('2026-03-02T18:00:00Z');
    await Promise.all([
      harness.runReminders('2026-03-02T19:00:00Z'),
      harness.runReminders('2026-03-02T19:00:00Z'),
    ]);
    expect(harness.smtp.received.length).toBe(before.emails);
    expect(await followUps().countDocuments()).toBe(before.followUps);
    expect(await events('followup.created')).toHaveLength(4);
    expect(await events('contact.updated')).toHaveLength(1);
  });

  it('sends each cadence step once: 1, 7, 14 and 30 days past due', async () => {
    for (const asOf of [
      '2026-03-05T18:00:00Z',
      '2026-03-08T18:00:00Z',
      '2026-03-12T18:00:00Z',
      '2026-03-15T18:00:00Z',
      '2026-03-15T19:30:00Z',
      '2026-03-31T18:00:00Z',
      '2026-04-01T18:00:00Z',
    ]) {
      await harness.runReminders(asOf);
    }
    expect(amyEmails().map((email) => email.subject)).toEqual([
      'Payment reminder: invoice 1001 is 1 day overdue',
      'Payment reminder: invoice 1001 is 7 days overdue',
      'Payment reminder: invoice 1001 is 14 days overdue',
      'Payment reminder: invoice 1001 is 30 days overdue',
    ]);
    const stages = (await followUps().find({ qboId: ids.amyInvoice }).sort({ createdAt: 1 }).lean()).map(
      (followUp: FollowUpRecord) => [followUp.stage, followUp.status],
    );
    expect(stages).toEqual([
      ['overdue-1', 'sent'],
      ['overdue-7', 'sent'],
      ['overdue-14', 'sent'],
      ['overdue-30', 'sent'],
    ]);
    // Bob bounced once; his later reminders reach the CRM only.
    expect(await followUpOf(ids.bobInvoice, 'overdue-7')).toMatchObject({
      channels: {
        crm: { status: 'recorded' },
        email: { status: 'skipped', detail: 'an earlier email to this address bounced' },
      },
    });
    expect(harness.smtp.to(`bob@${bouncingDomain}`)).toHaveLength(0);
  });

  it('sends nothing for an invoice paid, voided or deleted after its reminder was planned', async () => {
    const { qbo } = harness;
    const invoice = async (amount: number) =>
      (await qbo.create('Invoice', {
        CustomerRef: { value: ids.amy },
        TxnDate: '2026-03-02',
        DueDate: '2026-04-01',
        Line: [salesLine(amount)],
      })) as { Id: string; SyncToken: string; DocNumber: string };
    const paid = await invoice(500);
    const voided = await invoice(600);
    const deleted = await invoice(700);
    await harness.project();

    // Planned in quiet hours (04:00 in Los Angeles): pending, nothing delivered yet.
    const night = await harness.runReminders('2026-04-02T11:00:00Z');
    expect(night).toMatchObject({ planned: 3, delivered: 0, quiet: true });
    for (const { Id } of [paid, voided, deleted]) {
      expect(await followUpOf(Id, 'overdue-1')).toMatchObject({ status: 'pending' });
    }

    await qbo.create('Payment', {
      CustomerRef: { value: ids.amy },
      TxnDate: '2026-04-02',
      TotalAmt: 500,
      Line: [{ Amount: 500, LinkedTxn: [{ TxnId: paid.Id, TxnType: 'Invoice' }] }],
    });
    expect(
      (await qbo.write('Invoice', { Id: voided.Id, SyncToken: voided.SyncToken }, { operation: 'void' }))
        .status,
    ).toBe(200);
    expect(
      (await qbo.write('Invoice', { Id: deleted.Id, SyncToken: deleted.SyncToken }, { operation: 'delete' }))
        .status,
    ).toBe(200);
    await harness.project({ deleted: [{ entity: 'Invoice', id: deleted.Id }] });

    // The sync engine's hook, right after it applied the changes: nothing stays pending for a settled invoice.
    const settled = await onTransactionsApplied(
      {
        db: harness.db.mongoose.connection,
        connectionId: harness.connectionId,
        asOf: new Date('2026-04-02T12:00:00Z'),
        now: () => new Date(),
      },
      [paid, voided, deleted].map(({ Id }) => ({ qboId: Id, customerQboId: ids.amy })),
    );
    expect(settled.cancelled).toBe(3);
    expect(await followUpOf(paid.Id, 'overdue-1')).toMatchObject({
      status: 'cancelled',
      statusReason: 'paid',
    });
    expect(await followUpOf(voided.Id, 'overdue-1')).toMatchObject({
      status: 'cancelled',
      statusReason: 'voided',
    });
    expect(await followUpOf(deleted.Id, 'overdue-1')).toMatchObject({
      status: 'cancelled',
      statusReason: 'deleted',
    });

    const emailsBefore = amyEmails().length;
    const morning = await harness.runReminders('2026-04-02T18:00:00Z');
    expect(morning).toMatchObject({ cancelled: 0, quiet: false });
    // The only new email is the thank-you for the payment.
    expect(
      amyEmails()
        .slice(emailsBefore)
        .map((email) => email.subject),
    ).toEqual(['Thank you for your payment of $500.00']);

    await harness.runReminders('2026-04-08T18:00:00Z');
    for (const { Id } of [paid, voided, deleted]) {
      expect(await followUps().countDocuments({ qboId: Id, stage: 'overdue-7' })).toBe(0);
    }
    expect(amyEmails().slice(emailsBefore)).toHaveLength(1);
  });

  it('never resends an email whose worker died mid-send', async () => {
    const { qbo } = harness;
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: ids.amy },
      TxnDate: '2026-04-01',
      DueDate: '2026-05-01',
      Line: [salesLine(42)],
    });
    await harness.project();
    await harness.runReminders('2026-05-02T11:00:00Z');
    const pending = await followUpOf(invoice.Id, 'overdue-1');
    expect(pending?.status).toBe('pending');
    // As a worker that claimed the send and was killed before SMTP answered leaves it.
    await emailSendModel(harness.db.mongoose.connection).create({
      _id: `${pending!._id}#0`,
      followUpId: pending!._id,
      attempt: 0,
      accountId: harness.accountId,
      connectionId: harness.connectionId,
      to: 'amy@example.com',
      from: 'billing@acme.example',
      subject: 'Payment reminder',
      status: 'sending',
      createdAt: new Date(Date.now() - 60_000),
    });
    const emailsBefore = amyEmails().length;
    await harness.runReminders('2026-05-02T18:00:00Z');
    await harness.runReminders('2026-05-02T19:00:00Z');
    expect(amyEmails()).toHaveLength(emailsBefore);
    expect(await followUpOf(invoice.Id, 'overdue-1')).toMatchObject({
      status: 'sent',
      channels: {
        crm: { status: 'recorded' },
        email: { status: 'failed', detail: expect.stringMatching(/interrupted/) },
      },
    });
  });

  it('updates the tags once the contact has nothing overdue', async () => {
    const { qbo } = harness;
    const open = await qbo.query(`select * from Invoice where CustomerRef = '${ids.amy}'`);
    for (const invoice of open.json.QueryResponse.Invoice as { Id: string; Balance: number }[]) {
      if (invoice.Balance <= 0) continue;
      await qbo.create('Payment', {
        CustomerRef: { value: ids.amy },
        TxnDate: '2026-05-03',
        TotalAmt: invoice.Balance,
        Line: [{ Amount: invoice.Balance, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      });
    }
    await harness.project();
    await harness.runReminders('2026-05-03T18:00:00Z');
    const ar = await contactArModel(harness.db.mongoose.connection)
      .findOne({ connectionId: harness.connectionId, qboCustomerId: ids.amy })
      .lean();
    expect(ar?.tags).toEqual(['qb:customer']);
    // Three invoices paid, all late: 91, 31 and 32 days after their dates.
    expect(ar?.figures).toMatchObject({
      openBalance: 0,
      overdueBalance: 0,
      oldestOverdueDays: null,
      averageDaysToPay: 51.3,
      onTimePaymentRatio: 0,
      paidInvoicesMeasured: 3,
    });
    const updates = await events('contact.updated');
    expect(updates.map((event) => event.data.tags)).toEqual([['qb:customer', 'qb:overdue'], ['qb:customer']]);
  });

  it('links the email to QuickBooks’ payment page when the invoice takes online payment', async () => {
    const customer = (
      await harness.qbo.create('Customer', {
        DisplayName: 'Pat Online',
        PrimaryEmailAddr: { Address: 'pat@example.com' },
      })
    ).Id as string;
    const invoice = await harness.qbo.create('Invoice', {
      CustomerRef: { value: customer },
      TxnDate: '2026-05-01',
      DueDate: '2026-06-01',
      Line: [salesLine(75)],
      AllowOnlineCreditCardPayment: true,
    });
    await harness.project({ withPaymentLinks: [invoice.Id] });
    await harness.runReminders('2026-06-02T18:00:00Z');
    const [email] = harness.smtp.to('pat@example.com');
    const followUp = await followUpOf(invoice.Id, 'overdue-1');
    const paymentLink = followUp?.document.paymentLink;
    expect(paymentLink).toMatch(/^https?:\/\//);
    expect(email?.text).toContain(paymentLink);
    expect(email?.text).not.toContain('https://pay.example.com/');
  });
});
