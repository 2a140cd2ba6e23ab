import type { Connection } from 'mongoose';
import { settingsOf, type ConnectionRecord } from '../db/models/connection';
import { defaultRetention, type RetentionSettings } from '../db/retention';
import { recordSyncEvents, syncEventModel } from '../history/sync-events';
import { ConnectionNeedsReauthError } from '../oauth/connection-tokens';
import { applyRecords, type ProjectionContext } from '../projections/apply';
import { QboApiError, requestIdFor, type QboClient } from '../qbo';
import { fromCents, roundMoney, sumCents } from '../sync/money';
import type { QboItem } from '../sync/product-mapping';
import type { QboTransactionRecord } from '../sync/transactions';
import { companyLists } from './company';
import { qboDocumentBody } from './qbo-body';
import { documentEntities, type DocumentEntity, type DocumentKind, type DocumentRequest } from './request';
import { resolveCustomer, resolveProducts } from './resolve';
import {
  readDocumentRecord,
  recordRejected,
  recordUpdated,
  recordUpdateRejected,
  recordWritten,
  type DocumentRecord,
  type DocumentUpdate,
  type QboTotals,
} from './store';
import {
  usesSalesTax,
  validateDocument,
  type CompanyLists,
  type DocumentPlan,
  type DocumentProblem,
  type LineProduct,
} from './validate';

/**
 * Writes a document the CRM asked for (./store.ts holds the request) to QBO: the customer and products resolved,
 * everything checked against the company before anything is sent, missing products created when the policy says so,
 * then one create whose `requestid` derives from the document and its attempt. Run by the document workflow's
 * activity: a retry after any crash, even one between QBO's answer and our record, sends the same requestid and gets
 * QBO's first answer back, so the deal has one document in QBO, and it is the one recorded.
 */
export interface DocumentWriteContext {
  db: Connection;
  client: QboClient;
  connection: ConnectionRecord;
  projection: ProjectionContext;
  /** The sync engine's push of one contact: how a CRM contact not yet in QBO becomes a customer. */
  pushContact: (crmContactId: string) => Promise<void>;
  retention?: RetentionSettings;
  now: Date;
}

export type WriteOutcome =
  { state: 'written'; qboId: string } | { state: 'rejected'; problems: DocumentProblem[] };

export async function writeDocument(
  context: DocumentWriteContext,
  documentId: string,
): Promise<WriteOutcome> {
  const record = await readDocumentRecord(context.db, documentId);
  if (!record) throw new Error(`no document ${documentId}`);
  const { update } = record;
  if (record.state === 'written' && update?.state === 'writing' && update.request) {
    const reject = async (problems: DocumentProblem[]): Promise<WriteOutcome> => {
      await recordUpdateRejected(context.db, { _id: record._id, update }, problems, context.now);
      return { state: 'rejected', problems };
    };
    const writing = { ...update, request: update.request };
    return refusalsRecorded(() => writeUpdate(context, { ...record, update: writing }, reject), reject);
  }
  if (record.state === 'written') return { state: 'written', qboId: record.qboId! };
  if (record.state === 'rejected') return { state: 'rejected', problems: record.problems ?? [] };
  const reject = async (problems: DocumentProblem[]): Promise<WriteOutcome> => {
    await recordRejected(context.db, record, problems, context.now);
    return { state: 'rejected', problems };
  };
  return refusalsRecorded(() => writeNew(context, record, reject), reject);
}

/** QBO's refusals and a dead grant are the document's outcome; throttling, outages and lost answers are retried. */
async function refusalsRecorded(
  write: () => Promise<WriteOutcome>,
  reject: (problems: DocumentProblem[]) => Promise<WriteOutcome>,
): Promise<WriteOutcome> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConnectionNeedsReauthError)
      return reject([
        {
          code: 'connection_inactive',
          field: 'path.id',
          message:
            'QuickBooks no longer accepts this connection’s grant: reconnect it, then send the document again',
        },
      ]);
    if (error instanceof QboApiError && !error.retryable && error.kind !== 'stale-object')
      return reject([
        {
          code: 'qbo_rejected',
          field: 'body',
          message: `QuickBooks refused it${error.element ? ` (${error.element})` : ''}: ${error.message}`,
        },
      ]);
    throw error;
  }
}

type Prepared =
  | { ok: true; qboCustomerId: string; plan: DocumentPlan; body: Record<string, unknown> }
  | { ok: false; problems: DocumentProblem[] };

/** The QBO body of a request: its customer and products resolved, everything checked, missing items created. */
async function prepare(
  context: DocumentWriteContext,
  kind: DocumentKind,
  request: DocumentRequest,
): Promise<Prepared> {
  const { db, client, connection } = context;
  const customer = await resolveCustomer(db, client, connection, request.customer, context.pushContact);
  if (!customer.ok) return { ok: false, problems: [customer.problem] };
  const [products, company] = await Promise.all([
    resolveProducts(
      db,
      connection._id,
      request.lines.map((line) => line.product),
      settingsOf(connection),
    ),
    companyLists(db, client, connection._id, context.now),
  ]);
  const checked = validateDocument({
    kind,
    request,
    company,
    customer: { qboCustomerId: customer.qboCustomerId, currency: customer.currency },
    products,
    today: context.projection.today,
  });
  if (!checked.ok) return checked;
  const items = await itemsFor(context, checked.plan, products, company);
  if (!items.ok) return items;
  return {
    ok: true,
    qboCustomerId: customer.qboCustomerId,
    plan: checked.plan,
    body: qboDocumentBody(kind, request, checked.plan, customer.qboCustomerId, items.ids),
  };
}

/** The answer as stored: an invoice's payment link is there only when a read asks for it. */
async function projected(context: DocumentWriteContext, entity: DocumentEntity, written: { Id: string }) {
  const stored =
    entity === 'Invoice'
      ? await context.client.read('Invoice', written.Id, { include: ['invoiceLink'] })
      : written;
  await applyRecords(context.projection, entity, [stored as QboTransactionRecord]);
}

async function writeNew(
  context: DocumentWriteContext,
  record: DocumentRecord,
  reject: (problems: DocumentProblem[]) => Promise<WriteOutcome>,
): Promise<WriteOutcome> {
  const prepared = await prepare(context, record.kind, record.request);
  if (!prepared.ok) return reject(prepared.problems);
  const entity = documentEntities[record.kind];
  const created = await context.client.create(
    entity,
    prepared.body,
    requestIdFor(context.connection._id, entity, 'create', record.dealId, String(record.attempt)),
  );
  await projected(context, entity, created);
  await recordDocumentWritten(context, record, created.Id, prepared.qboCustomerId);
  await recordWritten(
    context.db,
    record,
    {
      qboId: created.Id,
      qboCustomerId: prepared.qboCustomerId,
      expected: prepared.plan.expected,
      qboTotals: qboTotalsOf(created),
    },
    context.now,
  );
  return { state: 'written', qboId: created.Id };
}

/**
 * The sync history's record of a document written (what an undo voids): once per document, recorded before the
 * document is marked written, so a retry after a crash in between finds it rather than recording it twice.
 */
async function recordDocumentWritten(
  context: DocumentWriteContext,
  record: DocumentRecord,
  qboId: string,
  qboCustomerId: string,
): Promise<void> {
  const connectionId = context.connection._id;
  const detail = { documentId: record._id, documentKind: record.kind, dealId: record.dealId, qboId };
  if (
    await syncEventModel(context.db).exists({ connectionId, kind: 'document_written', 'detail.qboId': qboId })
  )
    return;
  const customer = record.request.customer;
  await recordSyncEvents(
    context.db,
    [
      {
        connectionId,
        ...('crmContactId' in customer ? { crmContactId: customer.crmContactId } : {}),
        qboCustomerId,
        kind: 'document_written',
        detail,
        at: context.now,
      },
    ],
    (context.retention ?? defaultRetention).syncEventDays,
  );
}

/**
 * A change to a written document: a sparse update of every field the request gives (the lines replaced whole),
 * against the version QBO holds now, with a requestid from the change and that version.
 */
async function writeUpdate(
  context: DocumentWriteContext,
  record: DocumentRecord & { update: DocumentUpdate & { request: DocumentRequest } },
  reject: (problems: DocumentProblem[]) => Promise<WriteOutcome>,
): Promise<WriteOutcome> {
  const prepared = await prepare(context, record.kind, record.update.request);
  if (!prepared.ok) return reject(prepared.problems);
  const entity = documentEntities[record.kind];
  const qboId = record.qboId!;
  const current = await context.client.read(entity, qboId);
  const updated = await context.client.update(
    entity,
    { ...prepared.body, Id: qboId, SyncToken: current.SyncToken },
    requestIdFor(
      context.connection._id,
      entity,
      'update',
      qboId,
      String(record.update.revision),
      current.SyncToken,
    ),
  );
  await projected(context, entity, updated);
  await recordUpdated(
    context.db,
    record,
    {
      qboCustomerId: prepared.qboCustomerId,
      expected: prepared.plan.expected,
      qboTotals: qboTotalsOf(updated),
    },
    context.now,
  );
  return { state: 'written', qboId };
}

/** QBO's subtotal, discount and tax of a sales form, from its lines and `TxnTaxDetail`. */
export function qboTotalsOf(form: {
  Line?: { DetailType?: string; Amount?: number }[];
  TxnTaxDetail?: { TotalTax?: number };
}): QboTotals {
  const sum = (type: string) =>
    fromCents(
      sumCents((form.Line ?? []).filter((line) => line.DetailType === type).map((line) => line.Amount ?? 0)),
    );
  return {
    subtotal: sum('SalesItemLineDetail'),
    discount: sum('DiscountLineDetail'),
    tax: roundMoney(form.TxnTaxDetail?.TotalTax ?? 0),
  };
}

/**
 * The QBO item of each planned line: its own, or, for a product QBO lacks under `create_item`, a service item
 * created for it (once per product, by a requestid derived from its SKU or name, so a retry or a later document
 * naming it gets the same item) in the company's first income account.
 */
async function itemsFor(
  context: DocumentWriteContext,
  plan: DocumentPlan,
  products: readonly LineProduct[],
  company: CompanyLists,
): Promise<{ ok: true; ids: string[] } | { ok: false; problems: DocumentProblem[] }> {
  const toCreate = plan.lines.some((line) => line.itemId === null);
  if (!toCreate) return { ok: true, ids: plan.lines.map((line) => line.itemId!) };
  const account = company.incomeAccounts.find((entry) => entry.active);
  if (!account)
    return {
      ok: false,
      problems: [
        {
          code: 'product_not_found',
          field: 'body.lines',
          message: 'products QuickBooks lacks cannot be created: the company has no active income account',
        },
      ],
    };
  const created = new Map<string, string>();
  const ids: string[] = [];
  for (const [index, line] of plan.lines.entries()) {
    const product = products[index]!;
    if (line.itemId !== null || product.kind !== 'to_create') {
      ids.push(line.itemId!);
      continue;
    }
    const key = product.sku ?? product.name;
    let id = created.get(key);
    if (id === undefined) {
      const item = await context.client.create(
        'Item',
        {
          Name: product.name,
          Type: 'Service',
          ...(product.sku !== null ? { Sku: product.sku } : {}),
          UnitPrice: line.unitPrice,
          IncomeAccountRef: { value: account.id },
          ...(usesSalesTax(company)
            ? { Taxable: line.taxCodeId === 'TAX' }
            : line.taxCodeId !== undefined
              ? { SalesTaxCodeRef: { value: line.taxCodeId } }
              : {}),
        },
        requestIdFor(context.connection._id, 'Item', 'create', key),
      );
      await applyRecords(context.projection, 'Item', [item as QboItem]);
      id = item.Id!;
      created.set(key, id);
    }
    ids.push(id);
  }
  return { ok: true, ids };
}
