import { connectionModel } from '../../src/db/models/connection';
import { contactKey, contactModel } from '../../src/contacts/model';
import { markContactDeleted, recordOutcome, storeCrmVersion } from '../../src/contacts/store';
import { recordSyncEvents } from '../../src/history/sync-events';
import { toSyncFields } from '../../src/sync/fields';
import { salesLine, type QboClient } from '../support/emulator';
import { link, project, seededAt, type SeededBook } from './seed';

/**
 * Every state the panel has beyond the book's two customers: a customer whose payments, estimates, credits and
 * refunds relate to its invoices; a long history that needs paging; a customer without transactions; and CRM
 * contacts that are waiting, rejected (with and without a customer), deleted or never sent.
 */
export interface PanelStates {
  /** USD: an estimate that became an invoice, the payment that paid it, an overdue invoice, credit and a refund. */
  harbor: { crmContactId: string; docs: Record<string, string> };
  /** Thirty invoices: two pages. */
  long: { crmContactId: string; invoices: number };
  empty: { crmContactId: string };
  pending: { crmContactId: string };
  rejected: { crmContactId: string };
  deleted: { crmContactId: string };
  /** The bakery, linked, whose latest change QuickBooks refused. */
  rejectedLinked: { crmContactId: string };
  neverSent: { crmContactId: string };
  /** When the connection last polled QuickBooks: three minutes before the seeded instant. */
  lastPolledAt: Date;
}

async function seedHarbor(qbo: QboClient) {
  const customer = await qbo.create('Customer', {
    DisplayName: 'Harbor Supply Co',
    PrimaryEmailAddr: { Address: 'ap@harbor.example' },
  });
  const ref = { CustomerRef: { value: customer.Id } };
  const estimate = await qbo.create('Estimate', {
    ...ref,
    DocNumber: 'E-301',
    TxnDate: '2026-01-05',
    ExpirationDate: '2026-02-05',
    Line: [salesLine(400)],
  });
  const converted = await qbo.create('Invoice', {
    ...ref,
    DocNumber: 'H-1001',
    TxnDate: '2026-01-08',
    DueDate: '2026-02-07',
    LinkedTxn: [{ TxnId: estimate.Id, TxnType: 'Estimate' }],
    Line: [salesLine(400)],
  });
  const payment = await qbo.create('Payment', {
    ...ref,
    PaymentRefNum: 'ACH-5521',
    TxnDate: '2026-02-01',
    TotalAmt: 400,
    Line: [{ Amount: 400, LinkedTxn: [{ TxnId: converted.Id, TxnType: 'Invoice' }] }],
  });
  const overdue = await qbo.create('Invoice', {
    ...ref,
    DocNumber: 'H-1002',
    TxnDate: '2026-01-15',
    DueDate: '2026-02-14',
    Line: [salesLine(250)],
  });
  const creditMemo = await qbo.create('CreditMemo', {
    ...ref,
    DocNumber: 'CM-31',
    TxnDate: '2026-02-10',
    Line: [salesLine(60)],
  });
  const refund = await qbo.create('RefundReceipt', {
    ...ref,
    DocNumber: 'RF-8',
    TxnDate: '2026-02-12',
    Line: [salesLine(25)],
  });
  const unapplied = await qbo.create('Payment', {
    ...ref,
    PaymentRefNum: 'WIRE-77',
    TxnDate: '2026-02-20',
    TotalAmt: 100,
  });
  return {
    customerId: customer.Id as string,
    docs: {
      estimate: estimate.Id,
      converted: converted.Id,
      payment: payment.Id,
      overdue: overdue.Id,
      creditMemo: creditMemo.Id,
      refund: refund.Id,
      unapplied: unapplied.Id,
    },
  };
}

export async function seedPanelStates(book: SeededBook): Promise<PanelStates> {
  const { qbo, connectionId } = book;
  const db = book.db.mongoose.connection;
  const harbor = await seedHarbor(qbo);
  const longCustomer = await qbo.create('Customer', { DisplayName: 'Longview Traders' });
  const invoices = 30;
  for (let index = 0; index < invoices; index += 1) {
    const day = String(1 + (index % 28)).padStart(2, '0');
    await qbo.create('Invoice', {
      CustomerRef: { value: longCustomer.Id },
      DocNumber: `L-${String(index + 1).padStart(3, '0')}`,
      TxnDate: `2026-0${index < 28 ? 1 : 2}-${day}`,
      DueDate: '2026-04-30',
      Line: [salesLine(10 + index)],
    });
  }
  const emptyCustomer = await qbo.create('Customer', { DisplayName: 'Quiet Meadow Farm' });
  await project(db, qbo, connectionId);

  const states: PanelStates = {
    harbor: { crmContactId: 'crm-harbor', docs: harbor.docs },
    long: { crmContactId: 'crm-long', invoices },
    empty: { crmContactId: 'crm-empty' },
    pending: { crmContactId: 'crm-pending' },
    rejected: { crmContactId: 'crm-rejected' },
    deleted: { crmContactId: 'crm-deleted' },
    rejectedLinked: { crmContactId: book.bakery.crmContactId },
    neverSent: { crmContactId: 'crm-never-sent' },
    lastPolledAt: new Date(seededAt.getTime() - 3 * 60_000),
  };
  await link(db, connectionId, states.harbor.crmContactId, harbor.customerId);
  await link(db, connectionId, states.long.crmContactId, longCustomer.Id);
  await link(db, connectionId, states.empty.crmContactId, emptyCustomer.Id);

  // The CRM's side of the contacts, as the API stores them, and the engine's verdicts on them.
  const receivedAt = new Date(seededAt.getTime() - 60 * 60_000);
  const store = async (crmContactId: string, fields: Record<string, string>, deleted = false) => {
    await storeCrmVersion(
      db,
      connectionId,
      crmContactId,
      { fields: toSyncFields(fields), updatedAt: receivedAt.toISOString() },
      receivedAt,
      5000,
    );
    if (deleted) await markContactDeleted(db, connectionId, crmContactId, receivedAt);
  };
  const reject = async (crmContactId: string, problems: { field: string; problem: string }[]) => {
    const contact = await contactModel(db).findById(contactKey(connectionId, crmContactId)).lean();
    await recordOutcome(db, contact!, contact!.crm.version, { state: 'rejected', at: receivedAt });
    await recordSyncEvents(
      db,
      [
        {
          connectionId,
          crmContactId,
          kind: 'rejected',
          fields: problems.map((problem) => problem.field),
          detail: { problems },
          at: new Date(receivedAt.getTime() + 2000),
        },
      ],
      90,
    );
  };
  await store(states.pending.crmContactId, { displayName: 'Pat Pending' });
  await store(states.rejected.crmContactId, { displayName: 'Rex: Rejected', email: 'rex@@example' });
  await reject(states.rejected.crmContactId, [
    { field: 'displayName', problem: 'QuickBooks does not allow ":" in a display name' },
    { field: 'email', problem: 'is not an email address QuickBooks accepts' },
  ]);
  await store(states.deleted.crmContactId, { displayName: 'Dee Leted' }, true);
  await store(states.rejectedLinked.crmContactId, {
    displayName: 'Alder Street Bakery',
    phone: '+1 (555) 010-0000 ext. 12345678901234567890',
  });
  await reject(states.rejectedLinked.crmContactId, [
    { field: 'phone', problem: 'is longer than the 30 characters QuickBooks allows' },
  ]);
  await connectionModel(db).updateOne({ _id: connectionId }, { $set: { lastPolledAt: states.lastPolledAt } });
  return states;
}
