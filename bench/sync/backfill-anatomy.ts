import { backfillPageOverlap } from '../../src/activities/backfill';
import { pullCustomerChanges } from '../../src/contacts/pull';
import { projectionContext } from '../../src/activities/projection-context';
import { QboAccess } from '../../src/activities/qbo-access';
import { connectionModel } from '../../src/db/models/connection';
import { mongoMinuteCounter } from '../../src/db/models/qbo-budget';
import { storeTokens } from '../../src/oauth/connection-tokens';
import { applyRecords } from '../../src/projections/apply';
import { contactModel } from '../../src/contacts/model';
import { maxPageSize, qboIdentifier, qboQuery, type Customer } from '../../src/qbo';
import { billingProfile, customerToFields } from '../../src/sync/customer-mapping';
import { transactionTypes, transactionView, type QboTransactionRecord } from '../../src/sync/transactions';
import { round } from '../lib/stats';
import { emulatorAdmin } from './crm';
import { resetCollection } from './collections';
import { IntuitPacer } from './pacer';
import type { BenchStack } from './stack';

/** Steps of one backfill page, in the order src/activities/backfill.ts runs them. */
export const anatomySteps = [
  'open',
  'budget',
  'query',
  'held',
  'mapping',
  'insert',
  'propagate',
  'progress',
] as const;
export type AnatomyStep = (typeof anatomySteps)[number];

export interface BackfillAnatomy {
  pages: number;
  records: number;
  totalMs: number;
  /** Wall time per step over all pages. */
  steps: Record<AnatomyStep, number>;
  /** The handling of each page's rows already held, against the documents already in the collection. */
  heldByCollectionSize: { documents: number; ms: number }[];
  /** What each step means. */
  legend: Record<AnatomyStep, string>;
}

/** What each step does in the code as it is now (the report prints this, not the words stored with older runs). */
export const anatomyLegend: Record<AnatomyStep, string> = {
  open: 'QboAccess.open: the connection record and its sealed tokens',
  budget:
    "the realm's shared minute budget: one `$inc` (upserted) of the realm's counter for the minute per QBO request",
  query:
    'QboClient.query: HTTP to QBO, JSON parse, zod validation of 1,000 rows (its budget upsert is in "budget")',
  held:
    'applyRecords, the rest: the rows held (the overlap with the previous page), found by their inserts’ ' +
    'duplicate keys, read and written behind their SyncToken guard (applyRecords less mapping and insert)',
  mapping:
    'applyRecords, step 2: QBO JSON to projection documents (customerToFields, billingProfile, transactionView)',
  insert:
    "applyRecords, step 3: insertMany of the page's new documents (the ceiling's write of the same documents)",
  propagate: 'pullCustomerChanges: the contacts linked to the page’s customers (customers only)',
  progress: 'the progress update on the connection record',
};

/**
 * Where a backfill page's time goes: the same calls src/activities/backfill.ts makes for each page, run one by one
 * in this process against a fresh connection to the same company, each timed. The budget upsert, which
 * QboClient makes inside `query`, is timed on its own right before it (so it is counted once in `budget` and once
 * more inside `query`; `query` is reported without it). applyRecords is one call: its mapping is timed by running
 * the same mapping functions over the page, its insert is the ceiling's insertMany of the same documents into a
 * collection grown the same way, and what is left is the handling of the rows held.
 */
export async function backfillAnatomy(
  stack: BenchStack,
  realmId: string,
  ceilingWrites: readonly { entity: string; start: number; ms: number }[],
): Promise<BackfillAnatomy> {
  const db = stack.db.connection;
  const connectionId = `conn_anatomy_${Date.now()}`;
  const tokens = await emulatorAdmin<{ access_token: string; refresh_token: string }>(
    stack,
    'POST',
    `/companies/${realmId}/tokens`,
    {},
  );
  await connectionModel(db).create({
    _id: connectionId,
    accountId: 'acct_anatomy',
    realmId,
    environment: 'sandbox',
    status: 'active',
    homeCurrency: 'USD',
  });
  await storeTokens(
    db,
    stack.keys,
    connectionId,
    {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      accessExpiresAt: new Date(Date.now() + 3_600_000),
      refreshExpiresAt: new Date(Date.now() + 86_400_000),
    },
    new Date(),
  );
  const access = new QboAccess(db, stack.qboSettings());
  const counter = mongoMinuteCounter(db);
  // The budget bounds in-flight requests and the minute, not the second; a bare loop of small pages needs this.
  const pacer = new IntuitPacer();
  const steps = Object.fromEntries(anatomySteps.map((step) => [step, 0])) as Record<AnatomyStep, number>;
  const heldByCollectionSize: BackfillAnatomy['heldByCollectionSize'] = [];
  let pages = 0;
  let records = 0;
  /** Documents in each projection collection (emptied before the anatomy), kept up to date page by page. */
  const sizes: Record<'customers' | 'transactions', number> = { customers: 0, transactions: 0 };
  const measure = async (work: () => unknown): Promise<number> => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const timed = async <T>(step: AnatomyStep, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      steps[step] += performance.now() - started;
    }
  };
  const started = performance.now();
  // The customers and transactions of the books; a company's few items are not what a backfill's time goes to.
  for (const entity of ['Customer', ...transactionTypes] as const) {
    for (let start = 1; ; start += maxPageSize - backfillPageOverlap) {
      const { connection, client } = await timed('open', () => access.open(connectionId));
      const budgetMs = await measure(() => {
        const now = Date.now();
        return counter.increment(realmId, new Date(now - (now % 60_000)));
      });
      steps.budget += budgetMs;
      const where = entity === 'Customer' ? ' where Active in (true, false)' : '';
      const statement =
        qboQuery`select * from ${qboIdentifier(entity)}` +
        `${where} orderby Id startposition ${start} maxresults ${maxPageSize}`;
      let page: Awaited<ReturnType<typeof client.query<typeof entity>>> | undefined;
      await pacer.next();
      const queryMs = await measure(async () => (page = await client.query(statement, { entity })));
      // The client takes its budget inside the query: that part is counted in "budget" already.
      steps.query += Math.max(0, queryMs - budgetMs);
      const rows = page!.rows;
      const at = new Date();
      const context = projectionContext(db, connection, 'sandbox', at);
      const isCustomer = entity === 'Customer';
      const held = isCustomer ? 'customers' : 'transactions';
      const documents = sizes[held];
      const mappingMs = await measure(() => {
        for (const row of rows) {
          if (isCustomer) {
            customerToFields(row);
            billingProfile(row, { environment: 'sandbox', homeCurrency: 'USD' });
          } else
            transactionView(entity, row, {
              today: context.today,
              homeCurrency: 'USD',
              environment: 'sandbox',
            });
        }
      });
      steps.mapping += mappingMs;
      let counts: Awaited<ReturnType<typeof applyRecords>> | undefined;
      const applyMs = await measure(
        async () =>
          (counts = await applyRecords(context, entity, rows as (Customer | QboTransactionRecord)[], {
            expectNew: true,
          })),
      );
      const insertMs = ceilingWrites.find((page) => page.entity === entity && page.start === start)?.ms ?? 0;
      const findMs = Math.max(0, applyMs - mappingMs - insertMs);
      steps.insert += insertMs;
      steps.held += findMs;
      heldByCollectionSize.push({ documents, ms: round(findMs, 1) });
      if (isCustomer)
        await timed('propagate', () =>
          pullCustomerChanges(
            { db, connection, projection: context, channel: 'backfill', now: at },
            counts!.changed as { record: Customer; created: boolean }[],
            { announceChanges: false },
          ),
        );
      await timed('progress', () =>
        connectionModel(db).updateOne(
          { _id: connectionId },
          { $set: { 'backfill.entity': entity, [`backfill.counts.${entity}`]: start - 1 + rows.length } },
        ),
      );
      pages += 1;
      records += counts!.applied;
      sizes[held] += counts!.applied;
      if (rows.length < maxPageSize) break;
    }
  }
  const totalMs = performance.now() - started;
  await resetCollection(db.db!, 'qbo_customers');
  await resetCollection(db.db!, 'qbo_transactions');
  await contactModel(db).deleteMany({ connectionId });
  await connectionModel(db).deleteOne({ _id: connectionId });
  return {
    pages,
    records,
    totalMs: round(totalMs, 0),
    steps: Object.fromEntries(anatomySteps.map((step) => [step, round(steps[step], 0)])) as Record<
      AnatomyStep,
      number
    >,
    heldByCollectionSize,
    legend: anatomyLegend,
  };
}
