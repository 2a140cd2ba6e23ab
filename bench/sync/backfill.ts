import type { mongo } from 'mongoose';
import { backfillPageOverlap } from '../../src/activities/backfill';
import { connectionModel } from '../../src/db/models/connection';
import { qboCustomerModel, qboItemModel, qboTransactionModel } from '../../src/projections/models';
import { maxPageSize, qboIdentifier, qboQuery } from '../../src/qbo';
import { syncedEntities } from '../../src/sync/transactions';
import { median, round } from '../lib/stats';
import { Crm, emulatorAdmin, seededCompany, sleep, waitFor, type BenchAccount } from './crm';
import type { BenchStack } from './stack';
import { backfillAnatomy, type BackfillAnatomy } from './backfill-anatomy';
import { resetCollection } from './collections';
import { IntuitPacer } from './pacer';
import { ProcessMonitor, type MonitorResult } from './proc';
import { historyBreakdown, type HistoryBreakdown } from './temporal-history';
import { readTraffic, type TrafficSummary } from './traffic';
import { meets, targets } from './targets';

export interface BackfillOptions {
  customers: number;
  transactions: number;
  runs: number;
}

export interface CeilingRun {
  ms: number;
  fetchMs: number;
  writeMs: number;
  requests: number;
  documents: number;
  /** What the backfill itself stored (customers, items, transactions): the ceiling must write as many. */
  stored: number;
  /** Write time per page, by entity and start position: the anatomy compares its pages with these. */
  pageWrites: { entity: string; start: number; ms: number }[];
  load?: MonitorResult;
}

export interface BackfillRun {
  realmId: string;
  records: number;
  seedMs: number;
  /** From the connect request (POST /v1/connections/quickbooks) to `backfill.finishedAt` (set by the worker). */
  endToEndMs: number;
  /** From the connect request to this process seeing `backfill.status: done` (polled every 50 ms). */
  observedMs: number;
  /**
   * When the CRM received `connection.status_changed: backfill_completed`, measured from the connect request;
   * null when it had not arrived by the time the run ended.
   */
  announcedMs: number | null;
  recordsPerSecond: number;
  qboRequests: number;
  ceiling: CeilingRun;
  ceilingRecordsPerSecond: number;
  /** End-to-end time over the ceiling's time: 1 is as fast as the bare loop (the target is in targets.ts). */
  ratio: number;
  breakdown: HistoryBreakdown;
  /** From the connect request to the backfill workflow's first event: OAuth, the company read, workflow starts. */
  connectMs: number;
  /** CPU and memory of each process while the backfill ran. */
  load: MonitorResult;
}

export interface BackfillResult {
  options: BackfillOptions;
  runs: BackfillRun[];
  median: {
    endToEndMs: number;
    recordsPerSecond: number;
    ceilingMs: number;
    ceilingRecordsPerSecond: number;
    ratio: number;
    seedMs: number;
  };
  traffic: TrafficSummary;
  target: { ratio: number; met: boolean };
  anatomy: BackfillAnatomy;
}

function countRecords(counts: Record<string, number>): number {
  return syncedEntities.reduce((sum, entity) => sum + (counts[entity] ?? 0), 0);
}

/** The statement src/activities/backfill.ts sends for one page. */
function pageStatement(entity: (typeof syncedEntities)[number], startPosition: number): string {
  const where = entity === 'Customer' ? ' where Active in (true, false)' : '';
  return (
    qboQuery`select * from ${qboIdentifier(entity)}` +
    `${where} orderby Id startposition ${startPosition} maxresults ${maxPageSize}`
  );
}

/**
 * The physical limit of a backfill on this machine: the same requests (the opening CDC read and every page, with
 * the same statements and overlap) sent one after another by a bare fetch loop, and the documents the real
 * backfill stored, bulk-written with the MongoDB driver's insertMany into collections with the same indexes.
 * Nothing else: no Temporal, no token store, no request budget, no mapping.
 */
/** A projection document as read back: keyed by a string `_id`, written back as it is. */
type StoredDocument = { _id: string } & Record<string, unknown>;

async function runCeiling(stack: BenchStack, realmId: string, connectionId: string): Promise<CeilingRun> {
  const db = stack.db.connection;
  const customers = new Map<string, StoredDocument>(
    (await qboCustomerModel(db).find({ connectionId }).lean()).map((doc) => [`Customer:${doc.qboId}`, doc]),
  );
  const transactions = new Map<string, StoredDocument>(
    (await qboTransactionModel(db).find({ connectionId }).lean()).map((doc) => [
      `${doc.entity}:${doc.qboId}`,
      doc,
    ]),
  );
  const items = new Map<string, StoredDocument>(
    (await qboItemModel(db).find({ connectionId }).lean()).map((doc) => [`Item:${doc.qboId}`, doc]),
  );
  const scratch = async (source: string): Promise<mongo.Collection<StoredDocument>> => {
    const name = `bench_ceiling_${source}`;
    await db
      .db!.collection(name)
      .drop()
      .catch(() => undefined);
    const target = db.db!.collection<StoredDocument>(name);
    const indexes = (
      (await db.db!.collection(source).listIndexes().toArray()) as {
        name: string;
        key: Record<string, mongo.IndexDirection>;
      }[]
    ).filter((index) => index.name !== '_id_');
    if (indexes.length > 0)
      await target.createIndexes(indexes.map((index) => ({ key: index.key, name: index.name })));
    return target;
  };
  const customerTarget = await scratch('qbo_customers');
  const itemTarget = await scratch('qbo_items');
  const transactionTarget = await scratch('qbo_transactions');
  /** Where the backfill stored an entity's records, and the scratch copy the ceiling writes them to. */
  const storeOf = (entity: string) =>
    entity === 'Customer'
      ? { source: customers, target: customerTarget }
      : entity === 'Item'
        ? { source: items, target: itemTarget }
        : { source: transactions, target: transactionTarget };
  const { access_token: token } = await emulatorAdmin<{ access_token: string }>(
    stack,
    'POST',
    `/companies/${realmId}/tokens`,
    {},
  );
  // Intuit's limits hold for the ceiling too: never more than 10 requests in any second, 500 in any minute.
  const pacer = new IntuitPacer();
  const get = async (query: Record<string, string>, path: string): Promise<unknown> => {
    await pacer.next();
    const search = new URLSearchParams({ minorversion: '75', ...query });
    const response = await fetch(`${stack.emulatorUrl}/v3/company/${realmId}${path}?${search.toString()}`, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    // The realm's own connection workflow may poll in the same second: wait as any client would, and ask again.
    if (response.status === 429) {
      await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
      return get(query, path);
    }
    if (response.status !== 200)
      throw new Error(`ceiling ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  };

  let fetchMs = 0;
  let writeMs = 0;
  const pageWrites: CeilingRun['pageWrites'] = [];
  let requests = 0;
  let documents = 0;
  const written = new Set<string>();
  const started = performance.now();
  let mark = performance.now();
  await get({ entities: 'Customer', changedSince: new Date(Date.now() - 60_000).toISOString() }, '/cdc');
  requests += 1;
  fetchMs += performance.now() - mark;
  for (const entity of syncedEntities) {
    for (let start = 1; ; start += maxPageSize - backfillPageOverlap) {
      mark = performance.now();
      const body = (await get({ query: pageStatement(entity, start) }, '/query')) as {
        QueryResponse: Record<string, { Id: string }[] | undefined>;
      };
      requests += 1;
      fetchMs += performance.now() - mark;
      const rows = body.QueryResponse[entity] ?? [];
      const fresh = rows.map((row) => `${entity}:${row.Id}`).filter((key) => !written.has(key));
      let pageWriteMs = 0;
      if (fresh.length > 0) {
        const { source, target } = storeOf(entity);
        const docs = fresh.map((key) => {
          const doc = source.get(key);
          if (!doc) throw new Error(`the backfill stored no ${key}`);
          return doc;
        });
        mark = performance.now();
        await target.insertMany(docs, { ordered: false });
        pageWriteMs = performance.now() - mark;
        writeMs += pageWriteMs;
        for (const key of fresh) written.add(key);
        documents += docs.length;
      }
      pageWrites.push({ entity, start, ms: round(pageWriteMs, 1) });
      if (rows.length < maxPageSize) break;
    }
  }
  const ms = performance.now() - started;
  await Promise.all([customerTarget.drop(), itemTarget.drop(), transactionTarget.drop()]);
  return {
    ms: round(ms, 0),
    fetchMs: round(fetchMs, 0),
    writeMs: round(writeMs, 0),
    requests,
    documents,
    stored: customers.size + items.size + transactions.size,
    pageWrites,
  };
}

async function runOnce(
  stack: BenchStack,
  crm: Crm,
  options: BackfillOptions,
  index: number,
  log: (line: string) => void,
): Promise<BackfillRun> {
  const company = await seededCompany(stack, `Backfill Bench ${index}`, options);
  const records = countRecords(company.counts);
  const account: BenchAccount = await crm.newAccount(`Backfill bench ${index}`);
  await crm.subscribe(account);
  // The CRM's copy of the moment: `connection.status_changed: backfill_completed`, if it is delivered at all.
  let announcedAt: number | undefined;
  const unsubscribe = stack.receiver.onEvent(({ at, event }) => {
    if (event.accountId === account.id && event.data.status === 'backfill_completed') announcedAt = at;
  });
  const db = stack.db.connection;
  const monitor = new ProcessMonitor(stack.pids);
  monitor.start();
  const startedWall = Date.now();
  const started = performance.now();
  const connection = await crm.connect(account, company.realmId, true);
  let lastReport = performance.now();
  const stored = await waitFor(
    'the backfill to finish',
    () => connectionModel(db).findById(connection.id, { backfill: 1 }).lean(),
    (record) => {
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        const counts = record?.backfill?.counts ?? {};
        log(
          `backfill run ${index}: ${Object.values(counts).reduce((sum, count) => sum + count, 0)} records read so far`,
        );
      }
      return record?.backfill?.status === 'done';
    },
    // A slow machine makes a slow backfill; only a stuck one should fail the run.
    1_800_000,
    50,
  );
  const observedMs = performance.now() - started;
  const load = monitor.stop();
  // finishedAt is written by the worker's last activity: the end of the backfill, to the millisecond.
  const endToEndMs = (stored?.backfill?.finishedAt?.getTime() ?? Number.NaN) - startedWall;
  const [customers, transactions] = await Promise.all([
    qboCustomerModel(db).countDocuments({ connectionId: connection.id }),
    qboTransactionModel(db).countDocuments({ connectionId: connection.id }),
  ]);
  if (customers + transactions !== records)
    throw new Error(`backfill stored ${customers + transactions} records, the company has ${records}`);
  const traffic = await emulatorAdmin<{ traffic: { requests: number } }>(
    stack,
    'GET',
    `/companies/${company.realmId}/traffic`,
  );
  const breakdown = await historyBreakdown(stack.temporal, `connection:${connection.id}/backfill`);
  // The announcement follows the backfill's end by a workflow turn and a delivery: give it a few seconds.
  const announceBy = performance.now() + 5000;
  while (announcedAt === undefined && performance.now() < announceBy) await sleep(50);
  unsubscribe();
  const announcedMs = announcedAt === undefined ? null : round(announcedAt - started, 0);
  // Stop its polling before the ceiling runs, so the two never share the machine.
  await crm.ok(account, 'DELETE', `/v1/connections/${connection.id}`);
  await sleep(500);
  log(
    `backfill run ${index}: ${records} records end to end in ${Math.round(endToEndMs)} ms; measuring the ceiling`,
  );
  const ceilingMonitor = new ProcessMonitor(stack.pids);
  ceilingMonitor.start();
  const ceiling = {
    ...(await runCeiling(stack, company.realmId, connection.id)),
    load: ceilingMonitor.stop(),
  };
  if (ceiling.documents !== ceiling.stored)
    throw new Error(
      `the ceiling wrote ${ceiling.documents} documents, the backfill stored ${ceiling.stored}`,
    );
  // The next run starts from empty projections, as this one did.
  await resetCollection(db.db!, 'qbo_customers');
  await resetCollection(db.db!, 'qbo_items');
  await resetCollection(db.db!, 'qbo_transactions');
  log(`backfill run ${index}: ceiling ${ceiling.ms} ms (fetch ${ceiling.fetchMs}, write ${ceiling.writeMs})`);
  return {
    realmId: company.realmId,
    records,
    seedMs: round(company.seedMs, 0),
    endToEndMs: round(endToEndMs, 0),
    observedMs: round(observedMs, 0),
    announcedMs,
    recordsPerSecond: round(records / (endToEndMs / 1000), 0),
    qboRequests: traffic.traffic.requests,
    ceiling,
    ceilingRecordsPerSecond: round(records / (ceiling.ms / 1000), 0),
    ratio: round(endToEndMs / ceiling.ms, 2),
    breakdown,
    connectMs: round(breakdown.firstEventAt - startedWall, 0),
    load,
  };
}

/**
 * Benchmark 1: a whole company (customers and transactions) read through the real connect flow and backfill
 * workflow, against the bare loop on the same pages, alternating run by run so both see the same machine.
 */
export async function runBackfillBench(
  stack: BenchStack,
  options: BackfillOptions,
  log: (line: string) => void,
): Promise<BackfillResult> {
  const crm = new Crm(stack);
  const runs: BackfillRun[] = [];
  for (let index = 1; index <= options.runs; index += 1)
    runs.push(await runOnce(stack, crm, options, index, log));
  const ratio = median(runs.map((run) => run.ratio));
  log('backfill: timing each step of every page once more (anatomy)');
  await sleep(1100);
  const anatomy = await backfillAnatomy(stack, runs.at(-1)!.realmId, runs.at(-1)!.ceiling.pageWrites);
  return {
    anatomy,
    options,
    runs,
    median: {
      endToEndMs: median(runs.map((run) => run.endToEndMs)),
      recordsPerSecond: median(runs.map((run) => run.recordsPerSecond)),
      ceilingMs: median(runs.map((run) => run.ceiling.ms)),
      ceilingRecordsPerSecond: median(runs.map((run) => run.ceilingRecordsPerSecond)),
      ratio,
      seedMs: median(runs.map((run) => run.seedMs)),
    },
    traffic: await readTraffic(
      stack,
      runs.map((run) => run.realmId),
    ),
    target: { ratio: targets.backfillRatio.value, met: meets(targets.backfillRatio, ratio) },
  };
}
