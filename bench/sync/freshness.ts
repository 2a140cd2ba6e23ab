import { connectionModel } from '../../src/db/models/connection';
import type { LoggedRequest } from '../../src/emulator/company';
import { contactModel } from '../../src/contacts/model';
import { inboxModel } from '../../src/ingest/inbox';
import { round, summarizeLatency, type LatencySummary } from '../lib/stats';
import {
  Crm,
  emulatorAdmin,
  mapLimit,
  seededCompany,
  sleep,
  subscribeIntuitWebhooks,
  waitFor,
  type BenchAccount,
  type FeedItem,
} from './crm';
import { ProcessMonitor, type MonitorResult } from './proc';
import type { BenchStack } from './stack';
import { meets, realmRequestsPerMinute, targets, type Target } from './targets';
import { readRequestLog, readTraffic, type TrafficSummary } from './traffic';

export interface FreshnessOptions {
  realms: number;
  /** Edits per second over all realms, half made in QBO and half in the CRM. */
  editsPerSecond: number;
  /** Linked contacts per realm and direction; each is edited again only after a full cycle through them. */
  contactsPerDirection: number;
  warmupSeconds: number;
  /** Measured with Intuit's webhooks delivered and the product's default poll interval. */
  webhookSeconds: number;
  /** Measured with every Intuit webhook dropped and the poll interval at its minimum. */
  pollingSeconds: number;
  pollIntervalSeconds: number;
}

type Direction = 'qbo' | 'crm';
export type Phase = 'webhooks' | 'polling';

interface RealmSetup {
  index: number;
  realmId: string;
  account: BenchAccount;
  connectionId: string;
  pools: Record<
    Direction,
    { crmContactId: string; qboCustomerId: string; fields: Record<string, unknown> }[]
  >;
  visits: number;
}

interface Edit {
  seq: number;
  direction: Direction;
  realm: RealmSetup;
  qboCustomerId: string;
  marker: string;
  /** performance.now() and Date.now() when the edit was sent. */
  at: number;
  wall: number;
  phase: Phase | 'transition';
  latencyMs?: number;
  /** QBO edits: Date.now() when the CRM received the change, to compare with the webhook's arrival. */
  receivedWall?: number;
  /** QBO edits with webhooks on: from the arrival at our endpoint of the webhook naming the customer. */
  fromArrivalMs?: number;
  /** CRM edits: the PUT's own answer time. */
  putMs?: number;
  /** The edit could not be made: the API or the emulator refused it or timed out (a CRM would retry). */
  failed?: string;
}

export interface PhaseLatency extends LatencySummary {
  /** Edits that were made and never arrived by the end of the run. */
  lost: number;
  /** Edits that could not be made at all (e.g. the API answered 5xx); they have no latency. */
  failed: number;
  failures: string[];
  /** From the webhook's arrival only: edits that reached the CRM with no webhook arrived before them. */
  withoutWebhook?: number;
}

export interface PhaseBudget {
  phase: Phase;
  seconds: number;
  edits: Record<Direction, number>;
  /** Admitted QBO requests whose start fell in the phase's window, by what they were for. */
  requests: {
    total: number;
    qboEditReads: number;
    crmEditReads: number;
    crmEditWrites: number;
    cdcPolls: number;
    other: number;
  };
  perChangedRecord: number;
  perChangedRecordByDirection: Record<Direction, number>;
  /** CDC polls per realm per minute over the window, as a share of Intuit's budget of 500 requests a minute. */
  pollShareOfRealmBudget: { max: number; mean: number };
}

export interface FreshnessResult {
  options: FreshnessOptions;
  setupMs: number;
  latency: {
    qboToCrm: Record<Phase, PhaseLatency>;
    crmToQbo: Record<Phase, PhaseLatency>;
    /**
     * QBO edits with webhooks on, from the arrival at our webhook endpoint of the first Intuit delivery naming the
     * customer after the edit (its inbox record's `receivedAt`) to the CRM's receipt: our part of the chain.
     */
    qboToCrmFromArrival: PhaseLatency;
    /** The API's own answer to PUT /v1/contacts/{id} (stored and signalled). */
    contactPut: LatencySummary;
  };
  /** p95 per 10-second bucket of edit time, for the chart. */
  budget: PhaseBudget[];
  budgetOverall: { edits: number; requests: number; perChangedRecord: number };
  /** Failures in the worker's and the API's logs from the first edit to the end of the drain. */
  health: {
    activityFailures: number;
    activityFailuresByType: Record<string, number>;
    api5xx: number;
  };
  database: string;
  /** CPU and memory of each process during each phase (edits made in that window; their work mostly in it too). */
  load: Record<Phase, MonitorResult>;
  traffic: TrafficSummary;
  receiver: { received: number; duplicates: number; rejected: number };
  targets: Record<
    | 'qboToCrmFromArrivalP95Ms'
    | 'qboToCrmPollingP95Ms'
    | 'crmToQboP95Ms'
    | 'lostOrRefused'
    | 'pollingBudgetShare'
    | 'requestsPerChangedRecord',
    { target: number; met: boolean }
  >;
}

const crmContactId = (realm: number, direction: Direction, index: number): string =>
  `bench-${realm}-${direction}-${index}`;

async function setUpRealm(
  stack: BenchStack,
  crm: Crm,
  options: FreshnessOptions,
  index: number,
): Promise<RealmSetup> {
  const company = await seededCompany(stack, `Freshness ${index}`, {
    customers: options.contactsPerDirection * 2 + 10,
    transactions: 20,
  });
  await subscribeIntuitWebhooks(stack, company.realmId);
  const account = await crm.newAccount(`Freshness CRM ${index}`);
  await crm.subscribe(account);
  const connection = await crm.connect(account, company.realmId, true);
  return {
    index,
    realmId: company.realmId,
    account,
    connectionId: connection.id,
    pools: { qbo: [], crm: [] },
    visits: 0,
  };
}

/** Links 2·K customers to CRM contacts with the customers' own fields, so linking changes nothing on either side. */
async function linkContacts(crm: Crm, realm: RealmSetup, perDirection: number): Promise<void> {
  const feed = await crm.ok<{ data: FeedItem[] }>(
    realm.account,
    'GET',
    `/v1/contacts?changedSince=1970-01-01T00:00:00Z&connectionId=${realm.connectionId}&limit=200`,
  );
  const customers = feed.data.filter((item) => item.crmContactId === null).slice(0, perDirection * 2);
  if (customers.length < perDirection * 2) throw new Error(`realm ${realm.realmId} has too few customers`);
  for (const [position, item] of customers.entries()) {
    const direction: Direction = position < perDirection ? 'qbo' : 'crm';
    const id = crmContactId(realm.index, direction, position % perDirection);
    await crm.ok(realm.account, 'PUT', `/v1/contacts/${id}?connectionId=${realm.connectionId}`, {
      updatedAt: '2000-01-01T00:00:00Z',
      fields: item.fields,
      qboCustomerId: item.qboCustomerId,
    });
    realm.pools[direction].push({
      crmContactId: id,
      qboCustomerId: item.qboCustomerId,
      fields: { ...item.fields },
    });
  }
}

function classify(
  log: readonly LoggedRequest[],
  realm: RealmSetup,
  from: number,
  to: number,
): PhaseBudget['requests'] {
  const qboIds = new Set(realm.pools.qbo.map((pool) => pool.qboCustomerId));
  const crmIds = new Set(realm.pools.crm.map((pool) => pool.qboCustomerId));
  const counts = { total: 0, qboEditReads: 0, crmEditReads: 0, crmEditWrites: 0, cdcPolls: 0, other: 0 };
  for (const request of log) {
    const at = Date.parse(request.at);
    if (at < from || at >= to) continue;
    counts.total += 1;
    const read = /^\/customer\/(\d+)$/i.exec(request.path)?.[1];
    const bodyId = (request.body as { Id?: unknown } | undefined)?.Id;
    const written =
      request.method === 'POST' && /^\/customer$/i.test(request.path) && typeof bodyId === 'string'
        ? bodyId
        : undefined;
    if (read !== undefined && qboIds.has(read)) counts.qboEditReads += 1;
    else if (read !== undefined && crmIds.has(read)) counts.crmEditReads += 1;
    else if (written !== undefined && crmIds.has(written)) counts.crmEditWrites += 1;
    else if (/^\/cdc$/i.test(request.path)) counts.cdcPolls += 1;
    else counts.other += 1;
  }
  return counts;
}

function addCounts(a: PhaseBudget['requests'], b: PhaseBudget['requests']): PhaseBudget['requests'] {
  return {
    total: a.total + b.total,
    qboEditReads: a.qboEditReads + b.qboEditReads,
    crmEditReads: a.crmEditReads + b.crmEditReads,
    crmEditWrites: a.crmEditWrites + b.crmEditWrites,
    cdcPolls: a.cdcPolls + b.cdcPolls,
    other: a.other + b.other,
  };
}

/**
 * Sets each QBO edit's time from the arrival of the webhook naming its customer: the first inbox record of the realm
 * and customer received at or after the edit was made, to the CRM's receipt of the change. Edits whose webhook never
 * arrived, or that reached the CRM before it did (a poll got there first), have none.
 */
async function timeFromWebhookArrival(stack: BenchStack, edits: readonly Edit[]): Promise<void> {
  if (edits.length === 0) return;
  const from = new Date(Math.min(...edits.map((edit) => edit.wall)));
  const records = await inboxModel(stack.db.connection)
    .find(
      {
        realmId: { $in: [...new Set(edits.map((edit) => edit.realm.realmId))] },
        entity: 'Customer',
        receivedAt: { $gte: from },
      },
      { realmId: 1, entityId: 1, receivedAt: 1 },
    )
    .sort({ receivedAt: 1 })
    .lean();
  const arrivals = new Map<string, number[]>();
  for (const record of records) {
    const key = `${record.realmId}/${record.entityId}`;
    arrivals.set(key, [...(arrivals.get(key) ?? []), record.receivedAt.getTime()]);
  }
  for (const edit of edits) {
    if (edit.receivedWall === undefined) continue;
    const arrival = arrivals
      .get(`${edit.realm.realmId}/${edit.qboCustomerId}`)
      ?.find((receivedAt) => receivedAt >= edit.wall);
    if (arrival !== undefined && arrival <= edit.receivedWall)
      edit.fromArrivalMs = edit.receivedWall - arrival;
  }
}

/**
 * Benchmarks 2 and 4: a steady stream of edits spread over N realms, half made by a bookkeeper in QBO (admin API,
 * published like any web-app edit) and half by the CRM (PUT /v1/contacts/{id}), first with Intuit's webhooks
 * delivered, then with all of them dropped and the poll interval at its minimum. QBO→CRM is measured at the CRM's
 * webhook receiver, CRM→QBO by reading the customer in the emulator until the change is there. The emulator's
 * request log then says how many QBO requests each changed record cost.
 */
export async function runFreshnessBench(
  stack: BenchStack,
  options: FreshnessOptions,
  log: (line: string) => void,
): Promise<FreshnessResult> {
  const crm = new Crm(stack);
  const setupStarted = performance.now();
  log(`freshness: connecting ${options.realms} companies`);
  const realms = await mapLimit(
    Array.from({ length: options.realms }, (_, index) => index + 1),
    4,
    (index) => setUpRealm(stack, crm, options, index),
  );
  const db = stack.db.connection;
  await waitFor(
    'every backfill to finish',
    () =>
      connectionModel(db).countDocuments({
        _id: { $in: realms.map((realm) => realm.connectionId) },
        'backfill.status': 'done',
      }),
    (done) => done === realms.length,
    300_000,
    250,
  );
  log('freshness: linking contacts');
  await mapLimit(realms, 4, (realm) => linkContacts(crm, realm, options.contactsPerDirection));
  await waitFor(
    'every contact link to sync',
    () =>
      contactModel(db).countDocuments({
        connectionId: { $in: realms.map((realm) => realm.connectionId) },
        'link.syncedAt': { $exists: true },
      }),
    (synced) => synced === realms.length * options.contactsPerDirection * 2,
    300_000,
    250,
  );
  const setupMs = performance.now() - setupStarted;

  const edits: Edit[] = [];
  const pendingQbo = new Map<string, Edit>();
  const pendingCrm = new Set<Edit>();
  const unsubscribe = stack.receiver.onEvent(({ at, event }) => {
    const notes = event.data.contact?.notes;
    if (typeof notes !== 'string') return;
    const edit = pendingQbo.get(notes);
    if (!edit) return;
    edit.latencyMs = at - edit.at;
    edit.receivedWall = Date.now();
    pendingQbo.delete(notes);
  });
  // CRM→QBO: read each pending customer in the emulator every 5 ms until the edit is there.
  const watcher = setInterval(() => {
    const now = performance.now();
    for (const edit of pendingCrm) {
      const customer = stack.emulator.company(edit.realm.realmId)?.get('Customer', edit.qboCustomerId);
      if (customer?.Notes === edit.marker) {
        edit.latencyMs = now - edit.at;
        pendingCrm.delete(edit);
      }
    }
  }, 5);

  const healthBefore = structuredClone(stack.health);
  let phase: Edit['phase'] = 'transition';
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const makeEdit = (seq: number): void => {
    const realm = realms[seq % realms.length]!;
    const direction: Direction = realm.visits % 2 === 0 ? 'qbo' : 'crm';
    const pool = realm.pools[direction];
    const target = pool[Math.floor(realm.visits / 2) % pool.length]!;
    realm.visits += 1;
    const marker = `bench ${direction} ${seq}`;
    const edit: Edit = {
      seq,
      direction,
      realm,
      qboCustomerId: target.qboCustomerId,
      marker,
      at: performance.now(),
      wall: Date.now(),
      phase,
    };
    edits.push(edit);
    const work =
      direction === 'qbo'
        ? (async () => {
            pendingQbo.set(marker, edit);
            await emulatorAdmin(stack, 'POST', `/companies/${realm.realmId}/entities/Customer`, {
              operation: 'update',
              entity: { Id: target.qboCustomerId, Notes: marker },
            });
          })()
        : (async () => {
            pendingCrm.add(edit);
            target.fields.notes = marker;
            const reply = await crm.request(
              realm.account,
              'PUT',
              `/v1/contacts/${target.crmContactId}?connectionId=${realm.connectionId}`,
              { updatedAt: new Date().toISOString(), fields: target.fields },
            );
            edit.putMs = reply.ms;
            if (reply.status !== 202) throw new Error(`PUT /v1/contacts answered ${reply.status}`);
          })();
    const tracked = work
      .catch((error: unknown) => {
        edit.failed = error instanceof Error ? error.message : String(error);
        pendingQbo.delete(marker);
        pendingCrm.delete(edit);
        failures += 1;
        if (failures <= 5) log(`edit ${seq} (${direction}) failed: ${edit.failed}`);
      })
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const intervalMs = 1000 / options.editsPerSecond;
  let seq = 0;
  const start = performance.now();
  /** Sends edits on a fixed grid until `until` (performance.now()), tagging them with the current phase. */
  const editUntil = async (until: number): Promise<void> => {
    for (;;) {
      const due = start + seq * intervalMs;
      if (due >= until) return;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      makeEdit(seq);
      seq += 1;
    }
  };

  const windows: Record<Phase, { from: number; to: number; seconds: number }> = {
    webhooks: { from: 0, to: 0, seconds: options.webhookSeconds },
    polling: { from: 0, to: 0, seconds: options.pollingSeconds },
  };
  log(
    `freshness: ${options.editsPerSecond} edits/s over ${realms.length} realms, webhooks on, ${options.webhookSeconds} s`,
  );
  await editUntil(start + options.warmupSeconds * 1000);
  phase = 'webhooks';
  windows.webhooks.from = Date.now();
  let monitor = new ProcessMonitor(stack.pids);
  monitor.start();
  await editUntil(performance.now() + options.webhookSeconds * 1000);
  const webhookLoad = monitor.stop();
  windows.webhooks.to = Date.now();
  phase = 'transition';
  // Edits keep coming while every realm's webhooks are switched off and every poll interval shortened.
  const switching = (async () => {
    await mapLimit(realms, 5, async (realm) => {
      await emulatorAdmin(stack, 'PUT', `/companies/${realm.realmId}/faults`, { webhooks: { dropRate: 1 } });
      await crm.ok(realm.account, 'PATCH', `/v1/connections/${realm.connectionId}`, {
        pollIntervalSeconds: options.pollIntervalSeconds,
      });
    });
  })();
  const switchStarted = performance.now();
  await Promise.all([switching, editUntil(switchStarted + 2000)]);
  // A webhook already batched before the switch may still be delivered: leave a margin, then measure.
  await editUntil(Math.max(performance.now(), switchStarted) + 2000);
  log(
    `freshness: webhooks dropped, poll interval ${options.pollIntervalSeconds} s, ${options.pollingSeconds} s`,
  );
  phase = 'polling';
  windows.polling.from = Date.now();
  monitor = new ProcessMonitor(stack.pids);
  monitor.start();
  await editUntil(performance.now() + options.pollingSeconds * 1000);
  const pollingLoad = monitor.stop();
  windows.polling.to = Date.now();
  phase = 'transition';
  await Promise.all(inFlight);
  // Let the last edits arrive: a poll interval and a margin.
  const drainUntil = performance.now() + (options.pollIntervalSeconds + 10) * 1000;
  while ((pendingQbo.size > 0 || pendingCrm.size > 0) && performance.now() < drainUntil) await sleep(100);
  clearInterval(watcher);
  unsubscribe();
  const health = {
    activityFailures: stack.health.activityFailures - healthBefore.activityFailures,
    activityFailuresByType: Object.fromEntries(
      Object.entries(stack.health.activityFailuresByType).map(([type, count]) => [
        type,
        count - (healthBefore.activityFailuresByType[type] ?? 0),
      ]),
    ),
    api5xx: stack.health.api5xx - healthBefore.api5xx,
  };

  if (failures > 5) log(`${failures} edits failed in all`);
  await timeFromWebhookArrival(
    stack,
    edits.filter((edit) => edit.direction === 'qbo' && edit.phase === 'webhooks'),
  );
  const summary = (
    direction: Direction,
    which: Phase,
    measure: (edit: Edit) => number | undefined = (edit) => edit.latencyMs,
  ): PhaseLatency => {
    const set = edits.filter((edit) => edit.direction === direction && edit.phase === which);
    const measured = set.map(measure).filter((ms): ms is number => ms !== undefined);
    const failed = set.filter((edit) => edit.failed !== undefined);
    return {
      ...summarizeLatency(measured),
      failed: failed.length,
      failures: [...new Set(failed.map((edit) => edit.failed!))].slice(0, 3),
      lost: set.length - measured.length - failed.length,
    };
  };
  const latency = {
    qboToCrm: { webhooks: summary('qbo', 'webhooks'), polling: summary('qbo', 'polling') },
    crmToQbo: { webhooks: summary('crm', 'webhooks'), polling: summary('crm', 'polling') },
    contactPut: summarizeLatency(edits.filter((edit) => edit.putMs !== undefined).map((edit) => edit.putMs!)),
  };
  const fromArrival = summary('qbo', 'webhooks', (edit) => edit.fromArrivalMs);
  const qboToCrmFromArrival: PhaseLatency = {
    ...fromArrival,
    lost: latency.qboToCrm.webhooks.lost,
    withoutWebhook: latency.qboToCrm.webhooks.count - fromArrival.count,
  };

  log('freshness: reading the request logs');
  const logs = await mapLimit(realms, 5, (realm) => readRequestLog(stack, realm.realmId));
  const budget: PhaseBudget[] = (['webhooks', 'polling'] as const).map((which) => {
    const { from, to, seconds } = windows[which];
    const perRealm = realms.map((realm, index) => classify(logs[index]!, realm, from, to));
    const requests = perRealm.reduce(addCounts, {
      total: 0,
      qboEditReads: 0,
      crmEditReads: 0,
      crmEditWrites: 0,
      cdcPolls: 0,
      other: 0,
    });
    const minutes = Math.max(1, to - from) / 60_000;
    const shares = perRealm.map((counts) => counts.cdcPolls / minutes / realmRequestsPerMinute);
    const count = (direction: Direction): number =>
      edits.filter((edit) => edit.direction === direction && edit.wall >= from && edit.wall < to).length;
    const made = { qbo: count('qbo'), crm: count('crm') };
    const changed = made.qbo + made.crm;
    // Polls serve both directions; they are shared out by the number of changes.
    const pollShare = (direction: Direction): number =>
      changed === 0 ? 0 : (requests.cdcPolls * made[direction]) / changed;
    return {
      phase: which,
      seconds,
      edits: made,
      requests,
      perChangedRecord: round(requests.total / Math.max(1, changed), 3),
      perChangedRecordByDirection: {
        qbo: round((requests.qboEditReads + pollShare('qbo')) / Math.max(1, made.qbo), 3),
        crm: round(
          (requests.crmEditReads + requests.crmEditWrites + pollShare('crm')) / Math.max(1, made.crm),
          3,
        ),
      },
      pollShareOfRealmBudget: {
        max: round(Math.max(0, ...shares), 4),
        mean: round(shares.reduce((sum, share) => sum + share, 0) / Math.max(1, shares.length), 4),
      },
    };
  });
  const totalEdits = budget.reduce((sum, part) => sum + part.edits.qbo + part.edits.crm, 0);
  const totalRequests = budget.reduce((sum, part) => sum + part.requests.total, 0);
  const traffic = await readTraffic(
    stack,
    realms.map((realm) => realm.realmId),
  );
  // No clean-up: the stack is torn down after each benchmark.
  const perChangedRecord = round(totalRequests / Math.max(1, totalEdits), 3);
  const crmP95 = Math.max(latency.crmToQbo.webhooks.p95, latency.crmToQbo.polling.p95);
  const webhooksLostOrRefused = [latency.qboToCrm.webhooks, latency.crmToQbo.webhooks].reduce(
    (sum, part) => sum + part.lost + part.failed,
    0,
  );
  const pollShare = budget.find((part) => part.phase === 'polling')!.pollShareOfRealmBudget.max;
  const judge = (target: Target, measured: number) => ({
    target: target.value,
    met: meets(target, measured),
  });
  return {
    options,
    setupMs: round(setupMs, 0),
    latency: { ...latency, qboToCrmFromArrival },
    budget,
    budgetOverall: { edits: totalEdits, requests: totalRequests, perChangedRecord },
    load: { webhooks: webhookLoad, polling: pollingLoad },
    health,
    database: stack.database,
    traffic,
    receiver: {
      received: stack.receiver.received,
      duplicates: stack.receiver.duplicates,
      rejected: stack.receiver.rejected,
    },
    targets: {
      qboToCrmFromArrivalP95Ms: judge(targets.qboToCrmFromArrivalP95Ms, qboToCrmFromArrival.p95),
      qboToCrmPollingP95Ms: judge(targets.qboToCrmPollingP95Ms, latency.qboToCrm.polling.p95),
      crmToQboP95Ms: judge(targets.crmToQboP95Ms, crmP95),
      lostOrRefused: judge(targets.lostOrRefused, webhooksLostOrRefused),
      pollingBudgetShare: judge(targets.pollingBudgetShare, pollShare),
      requestsPerChangedRecord: judge(targets.requestsPerChangedRecord, perChangedRecord),
    },
  };
}
