import {
  InvalidCursorError,
  contactSectionSchema,
  listContactTransactions,
  loadContactSection,
  transactionPageSchema,
  type TransactionItem,
} from '../../src/contacts/section';
import { applyTransactionDeleted } from '../../src/projections/apply';
import { contactKey, contactModel } from '../../src/contacts/model';
import { qboTransactionModel } from '../../src/projections/models';
import { isLive } from '../../src/sync/transactions';
import { seedBook, seededAt, today, type SeededBook } from './seed';

describe('the contact QuickBooks section, read from the projections', () => {
  let book: SeededBook;
  beforeAll(async () => {
    book = await seedBook();
  });
  afterAll(() => book?.close());

  const db = () => book.db.mongoose.connection;
  const section = (crmContactId: string, on = today) =>
    loadContactSection(db(), { connectionId: book.connectionId, crmContactId, today: on });
  const ids = (items: TransactionItem[]) => items.map((item) => `${item.type}:${item.qboId}`);
  const list = (options: Partial<Parameters<typeof listContactTransactions>[1]> = {}) =>
    listContactTransactions(db(), {
      connectionId: book.connectionId,
      qboCustomerId: book.euro.customerId,
      today,
      limit: 50,
      ...options,
    });

  it('gives the link, billing profile, summary in both currencies and the folder newest first', async () => {
    const found = await section(book.euro.crmContactId);
    expect(contactSectionSchema.parse(found)).toEqual(found);
    const { docs } = book.euro;
    expect(found).toMatchObject({
      connectionId: book.connectionId,
      crmContactId: book.euro.crmContactId,
      asOf: today,
      homeCurrency: 'USD',
      customer: {
        qboCustomerId: book.euro.customerId,
        displayName: 'Müller & Söhne GmbH',
        qboLink: `https://sandbox.qbo.intuit.com/app/customerdetail?nameId=${book.euro.customerId}`,
        active: true,
        mergedInto: null,
      },
      billingProfile: {
        terms: { name: 'Net 30' },
        paymentMethod: { name: 'Visa' },
        deliveryPreference: 'Email',
        currency: { code: 'EUR' },
      },
      billingSummary: {
        currency: { code: 'EUR' },
        openBalance: 2300,
        overdueBalance: 500,
        // The unapplied credit memo: owed to the customer, and netted only in netBalance.
        creditAvailable: 50,
        netBalance: 2250,
        lifetimeSales: 2825,
        lastPaymentDate: '2026-02-25',
        home: {
          currency: 'USD',
          openBalance: 2530,
          overdueBalance: 550,
          creditAvailable: 55,
          netBalance: 2475,
          lifetimeSales: 3107.5,
        },
        oldestOverdueDays: 21,
      },
    });
    expect(ids(found!.transactions)).toEqual([
      `Estimate:${docs.estimate}`,
      `Payment:${docs.payment}`,
      `Invoice:${docs.openInvoice}`,
      `CreditMemo:${docs.creditMemo}`,
      `Invoice:${docs.partlyPaidInvoice}`,
      `SalesReceipt:${docs.salesReceipt}`,
      `Invoice:${docs.voidedInvoice}`,
      `Invoice:${docs.paidInvoice}`,
      `Invoice:${docs.overdueInvoice}`,
    ]);
    expect(found!.transactions.map((item) => item.status)).toEqual([
      'pending',
      'applied',
      'open',
      'unapplied',
      'partially_paid',
      'paid',
      'voided',
      'paid',
      'overdue',
    ]);
  });

  it('nets open balance and credit as QuickBooks nets the customer’s own balance', async () => {
    const found = await section(book.euro.crmContactId);
    expect(found!.billingSummary.netBalance).toBe(found!.billingProfile.balance);
  });

  it('judges statuses on the day asked, not the day they were projected', async () => {
    const later = await section(book.euro.crmContactId, '2026-04-01');
    const status = (key: string) =>
      later!.transactions.find((item) => `${item.type}:${item.qboId}` === key)?.status;
    expect(status(`Invoice:${book.euro.docs.partlyPaidInvoice}`)).toBe('overdue');
    expect(status(`Invoice:${book.euro.docs.openInvoice}`)).toBe('overdue');
    expect(status(`Estimate:${book.euro.docs.estimate}`)).toBe('expired');
    expect(later!.billingSummary.overdueBalance).toBe(2300);

    const overdue = await list({ today: '2026-03-20', status: 'overdue' });
    expect(ids(overdue.data)).toEqual([
      `Invoice:${book.euro.docs.partlyPaidInvoice}`,
      `Invoice:${book.euro.docs.overdueInvoice}`,
    ]);
    const open = await list({ today: '2026-03-20', status: 'open' });
    expect(ids(open.data)).toEqual([`Invoice:${book.euro.docs.openInvoice}`]);
    const partlyPaid = await list({ today: '2026-03-20', status: 'partially_paid' });
    expect(partlyPaid.data).toEqual([]);
    expect(overdue.data[0]).toMatchObject({ status: 'overdue', partiallyPaid: true });
    expect(ids((await list({ today: '2026-03-01', status: 'partially_paid' })).data)).toEqual([
      `Invoice:${book.euro.docs.partlyPaidInvoice}`,
    ]);
    expect(ids((await list({ today: '2026-04-01', status: 'expired' })).data)).toEqual([
      `Estimate:${book.euro.docs.estimate}`,
    ]);
    expect((await list({ today: '2026-04-01', status: 'pending' })).data).toEqual([]);
  });

  it('pages by cursor through exactly the folder, and filters by type', async () => {
    const all = (await section(book.euro.crmContactId))!.transactions;
    const seen: TransactionItem[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = transactionPageSchema.parse(await list({ limit: 4, cursor }));
      seen.push(...page.data);
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);

    const invoices = await list({ type: 'Invoice', limit: 2 });
    expect(invoices.data.map((item) => item.type)).toEqual(['Invoice', 'Invoice']);
    const rest = await list({ type: 'Invoice', limit: 10, cursor: invoices.nextCursor! });
    expect(ids([...invoices.data, ...rest.data])).toEqual(ids(all.filter((item) => item.type === 'Invoice')));
    expect(rest.nextCursor).toBeNull();
  });

  it('relates a transaction to one that names it, when QBO records the link on that side only', async () => {
    const { docs } = book.euro;
    const payments = qboTransactionModel(db());
    const filter = { connectionId: book.connectionId, entity: 'Payment', qboId: docs.payment };
    const stored = await payments.findOne(filter, { 'view.linked': 1 }).lean();
    const linked = stored && isLive(stored.view) ? stored.view.linked : [];
    expect(linked).toHaveLength(2);
    await payments.updateOne(filter, { $set: { 'view.linked': [] } });
    try {
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      const expected = [
        { type: 'Invoice', id: docs.paidInvoice! },
        { type: 'Invoice', id: docs.partlyPaidInvoice! },
      ].sort(byId);
      const page = await list({ type: 'Payment' });
      expect([...page.data[0]!.linked].sort(byId)).toEqual(expected);
      const found = (await section(book.euro.crmContactId))!.transactions.find(
        (item) => item.type === 'Payment',
      );
      expect([...found!.linked].sort(byId)).toEqual(expected);
    } finally {
      await payments.updateOne(filter, { $set: { 'view.linked': linked } });
    }
  });

  it('refuses a cursor it did not hand out and a page size out of range', async () => {
    await expect(list({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(list({ cursor: Buffer.from('{"a":1}').toString('base64url') })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(list({ limit: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(list({ limit: 101 })).rejects.toBeInstanceOf(RangeError);
  });

  it('is null for a contact without a live link, and for another connection', async () => {
    expect(await section('crm-contact-unknown')).toBeNull();
    expect(
      await loadContactSection(db(), {
        connectionId: 'conn-of-someone-else',
        crmContactId: book.euro.crmContactId,
        today,
      }),
    ).toBeNull();
    const contacts = contactModel(db());
    const key = contactKey(book.connectionId, book.bakery.crmContactId);
    await contacts.updateOne({ _id: key }, { $set: { 'link.deletedAt': seededAt } });
    try {
      expect(await section(book.bakery.crmContactId)).toBeNull();
    } finally {
      await contacts.updateOne({ _id: key }, { $unset: { 'link.deletedAt': 1 } });
    }
    expect(await section(book.bakery.crmContactId)).not.toBeNull();
  });

  it('leaves deleted transactions out of the folder but counts them', async () => {
    await applyTransactionDeleted(
      {
        db: db(),
        connectionId: book.connectionId,
        environment: 'sandbox',
        homeCurrency: 'USD',
        today,
        now: seededAt,
      },
      'Invoice',
      book.bakery.docs.invoice!,
      seededAt.toISOString(),
    );
    const bakery = await section(book.bakery.crmContactId);
    expect(bakery!.transactions).toEqual([]);
    expect(bakery!.billingSummary).toMatchObject({ openBalance: 0, counts: { deleted: 1 } });
    const page = await list({ qboCustomerId: book.bakery.customerId });
    expect(page).toEqual({ data: [], nextCursor: null });
  });
});
