import type { Connection } from 'mongoose';
import { connectionModel } from '../../src/db/models/connection';
import { applyRecords, type ProjectedEntity } from '../../src/projections/apply';
import { seedLinkedContact } from '../support/contacts';
import { salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';
import { openTestDatabase, uniqueName, type TestDatabase } from '../support/env';

/** The emulator's clock and the company's calendar day (Pacific) at that instant. */
export const seededAt = new Date('2026-03-02T17:00:00Z');
export const today = '2026-03-02';
const rate = 1.1;

export interface SeededContact {
  crmContactId: string;
  customerId: string;
  /** QBO Ids by role, e.g. `docs.overdueInvoice`. */
  docs: Record<string, string>;
}

export interface SeededBook {
  emulator: TestEmulator;
  db: TestDatabase;
  qbo: QboClient;
  accountId: string;
  connectionId: string;
  /** A EUR customer in a USD company: every status, five kinds of transaction. */
  euro: SeededContact;
  /** A USD customer with one invoice. */
  bakery: SeededContact;
  close(): Promise<void>;
}

async function refId(qbo: QboClient, entity: string, name: string): Promise<string> {
  const found = await qbo.query(`select * from ${entity} where Name = '${name}'`);
  const id = found.json?.QueryResponse?.[entity]?.[0]?.Id;
  if (typeof id !== 'string') throw new Error(`no ${entity} named ${name}: ${found.text}`);
  return id;
}

async function seedEuroCustomer(qbo: QboClient): Promise<Omit<SeededContact, 'crmContactId'>> {
  const customer = await qbo.create('Customer', {
    DisplayName: 'Müller & Söhne GmbH',
    CompanyName: 'Müller & Söhne GmbH',
    PrimaryEmailAddr: { Address: 'buchhaltung@mueller-soehne.example' },
    CurrencyRef: { value: 'EUR' },
    SalesTermRef: { value: await refId(qbo, 'Term', 'Net 30') },
    PaymentMethodRef: { value: await refId(qbo, 'PaymentMethod', 'Visa') },
    PreferredDeliveryMethod: 'Email',
  });
  const ref = { CustomerRef: { value: customer.Id }, ExchangeRate: rate };
  const invoice = (amount: number, TxnDate: string, DueDate: string, extra: Record<string, unknown> = {}) =>
    qbo.create('Invoice', { ...ref, TxnDate, DueDate, Line: [salesLine(amount)], ...extra });
  const openInvoice = await invoice(1200, '2026-02-20', '2026-03-22');
  // Payable online: the panel offers its payment page.
  const overdueInvoice = await invoice(500, '2026-01-10', '2026-02-09', {
    AllowOnlineCreditCardPayment: true,
  });
  const paidInvoice = await invoice(300, '2026-01-20', '2026-02-19');
  const partlyPaidInvoice = await invoice(800, '2026-02-15', '2026-03-17');
  const voidedInvoice = await invoice(150, '2026-02-01', '2026-03-03');
  const voided = await qbo.write(
    'Invoice',
    { Id: voidedInvoice.Id, SyncToken: voidedInvoice.SyncToken },
    { operation: 'void' },
  );
  if (voided.status !== 200) throw new Error(`void failed: ${voided.text}`);
  const payment = await qbo.create('Payment', {
    ...ref,
    TxnDate: '2026-02-25',
    PaymentRefNum: 'SEPA-4471',
    TotalAmt: 500,
    Line: [
      { Amount: 300, LinkedTxn: [{ TxnId: paidInvoice.Id, TxnType: 'Invoice' }] },
      { Amount: 200, LinkedTxn: [{ TxnId: partlyPaidInvoice.Id, TxnType: 'Invoice' }] },
    ],
  });
  const estimate = await qbo.create('Estimate', {
    ...ref,
    TxnDate: '2026-02-27',
    ExpirationDate: '2026-03-31',
    Line: [salesLine(950)],
  });
  const salesReceipt = await qbo.create('SalesReceipt', {
    ...ref,
    TxnDate: '2026-02-12',
    Line: [salesLine(75)],
  });
  const creditMemo = await qbo.create('CreditMemo', {
    ...ref,
    TxnDate: '2026-02-18',
    Line: [salesLine(50)],
  });
  return {
    customerId: customer.Id,
    docs: {
      openInvoice: openInvoice.Id,
      overdueInvoice: overdueInvoice.Id,
      paidInvoice: paidInvoice.Id,
      partlyPaidInvoice: partlyPaidInvoice.Id,
      voidedInvoice: voidedInvoice.Id,
      payment: payment.Id,
      estimate: estimate.Id,
      salesReceipt: salesReceipt.Id,
      creditMemo: creditMemo.Id,
    },
  };
}

/** Reads the company's records over QBO's query API, as the backfill does, and projects them (again: it converges). */
export async function project(db: Connection, qbo: QboClient, connectionId: string): Promise<void> {
  const context = {
    db,
    connectionId,
    environment: 'sandbox' as const,
    homeCurrency: 'USD',
    today,
    now: seededAt,
  };
  const entities: ProjectedEntity[] = [
    'Customer',
    'Invoice',
    'Payment',
    'Estimate',
    'SalesReceipt',
    'CreditMemo',
    'RefundReceipt',
  ];
  for (const entity of entities) {
    const result = await qbo.query(`select * from ${entity} maxresults 1000`);
    if (result.status !== 200) throw new Error(`query ${entity} failed: ${result.text}`);
    const rows: { Id: string; AllowOnlineCreditCardPayment?: boolean }[] =
      result.json.QueryResponse[entity] ?? [];
    // An invoice payable online is read as the sync reads its own, with its payment link.
    const read = async (row: (typeof rows)[number]) =>
      entity === 'Invoice' && row.AllowOnlineCreditCardPayment
        ? (await qbo.request('GET', `/invoice/${row.Id}`, { query: { include: 'invoiceLink' } })).json.Invoice
        : row;
    await applyRecords(context, entity, await Promise.all(rows.map(read)));
  }
}

export async function link(
  db: Connection,
  connectionId: string,
  crmContactId: string,
  qboCustomerId: string,
) {
  await seedLinkedContact(db, connectionId, crmContactId, qboCustomerId, seededAt);
}

export async function seedBook(): Promise<SeededBook> {
  const emulator = await startTestEmulator({ startAt: seededAt });
  const db = await openTestDatabase('embed');
  try {
    const qbo = await emulator.company({ companyName: 'Northwind Trading', multiCurrency: true });
    const euro = await seedEuroCustomer(qbo);
    const bakery = await qbo.create('Customer', { DisplayName: 'Alder Street Bakery' });
    const bakeryInvoice = await qbo.create('Invoice', {
      CustomerRef: { value: bakery.Id },
      TxnDate: '2026-02-26',
      DueDate: '2026-03-28',
      Line: [salesLine(240)],
    });

    const connection = db.mongoose.connection;
    const accountId = uniqueName('acct');
    const connectionId = uniqueName('conn');
    await connectionModel(connection).create({
      _id: connectionId,
      accountId,
      realmId: qbo.realmId,
      environment: 'sandbox',
      status: 'active',
      companyName: 'Northwind Trading',
      homeCurrency: 'USD',
      multiCurrency: true,
    });
    await project(connection, qbo, connectionId);
    const seeded = {
      euro: { ...euro, crmContactId: 'crm-contact-1001' },
      bakery: {
        customerId: bakery.Id,
        docs: { invoice: bakeryInvoice.Id },
        crmContactId: 'crm-contact-2002',
      },
    };
    await link(connection, connectionId, seeded.euro.crmContactId, seeded.euro.customerId);
    await link(connection, connectionId, seeded.bakery.crmContactId, seeded.bakery.customerId);
    return {
      emulator,
      db,
      qbo,
      accountId,
      connectionId,
      ...seeded,
      async close() {
        await db.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await db.close();
    await emulator.close();
    throw error;
  }
}
