import type { AuditCounts } from '../../src/audit/store';
import { contactModel } from '../../src/contacts/model';
import { countMatching } from '../../src/db/count';
import type { LoggedRequest } from '../../src/emulator/company';
import { round } from '../lib/stats';
import {
  Crm,
  emulatorAdmin,
  mapLimit,
  seededCompany,
  waitFor,
  type BenchAccount,
  type FeedItem,
} from './crm';
import type { BenchStack } from './stack';
import { meets, targets } from './targets';
import { readRequestLog, readTraffic, type TrafficSummary } from './traffic';

export interface AuditOptions {
  customers: number;
  transactions: number;
  /** Customers edited in QBO behind the engine's back (a new phone): drift the audit can heal. */
  editedCustomers: number;
  /** Linked customers made inactive in QBO: drift the audit reports and leaves for a person. */
  deactivatedCustomers: number;
  /** Invoices changed, created and deleted in QBO behind the engine's back, this many of each: all healable. */
  driftedInvoices: number;
}

export interface AuditResult {
  options: AuditOptions;
  realmId: string;
  seedMs: number;
  backfillMs: number;
  /** 10,000 contacts linked to their customers (POST /v1/contacts/batch, pinned), until all are synced. */
  linkMs: number;
  linkedContacts: number;
  /** QBO requests the linking made: none is needed when the contact holds the customer's own fields. */
  linkRequests: number;
  /** From POST /v1/connections/{id}/audit to the audit's `finishedAt`. */
  auditMs: number;
  /** QBO requests during the audit, from the emulator's request log, by kind (e.g. `query Customer`). */
  requests: { total: number; byKind: Record<string, number> };
  /** The emulator's throttle counters, reset just before the audit: its peaks alone. */
  traffic: TrafficSummary;
  counts: AuditCounts;
  introduced: {
    drifted: number;
    healable: number;
    /** Linked customers inactive in QBO: those made inactive, and their sub-customers, which QBO deactivates too. */
    inactive: number;
    transactions: { missing: number; behind: number; deleted: number };
  };
  /** Contacts holding QBO's new phone after the audit, checked in the database (not the audit's own word). */
  contactsHealedVerified: number;
  targets: {
    perMinute: { value: number; met: boolean };
    concurrent: { value: number; met: boolean };
    /** Drift found equals drift introduced (customers and transactions), and every healable one was healed. */
    found: { met: boolean };
  };
}

/** What a request in the emulator's log was: a query names its entity, a read or write its entity. */
export function requestKind(request: Pick<LoggedRequest, 'method' | 'path' | 'query'>): string {
  const path = request.path.toLowerCase();
  if (path === '/query') {
    const statement = typeof request.query.query === 'string' ? request.query.query : '';
    const entity = /\bfrom\s+(\w+)/i.exec(statement)?.[1] ?? '?';
    return `query ${entity}`;
  }
  if (path === '/cdc') return 'cdc';
  const entity = /^\/(\w+)/.exec(request.path)?.[1] ?? '?';
  return `${request.method === 'GET' ? 'read' : 'write'} ${entity.toLowerCase()}`;
}

function countByKind(log: readonly LoggedRequest[], from: number): AuditResult['requests'] {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const request of log) {
    if (Date.parse(request.at) < from) continue;
    total += 1;
    const kind = requestKind(request);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total, byKind };
}

/** Every customer of the connection as the CRM reads it from the feed, 200 a page. */
async function readFeed(crm: Crm, account: BenchAccount, connectionId: string): Promise<FeedItem[]> {
  const items: FeedItem[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: FeedItem[]; nextCursor: string | null } = await crm.ok(
      account,
      'GET',
      `/v1/contacts?changedSince=1970-01-01T00:00:00Z&connectionId=${connectionId}&limit=200` +
        (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
    );
    items.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/**
 * The drift audit at the size: a company of 10,000 customers and 50,000 transactions, connected with a
 * backfill, every active customer linked to a CRM contact holding its own fields; then, with Intuit's webhooks not
 * subscribed and polls an hour apart, customers are edited and deactivated directly in the emulator (as a person in
 * the QBO web app), and the audit runs on demand through the API. Intuit's limits are on.
 */
export async function runAuditBench(
  stack: BenchStack,
  options: AuditOptions,
  log: (line: string) => void,
): Promise<AuditResult> {
  const crm = new Crm(stack);
  const db = stack.db.connection;
  const company = await seededCompany(stack, 'Audit Bench', options);
  const account = await crm.newAccount('Audit bench');
  const backfillStarted = performance.now();
  // No Intuit webhook subscription: the engine hears of a QBO edit only from its polls, set an hour apart below.
  const connection = await crm.connect(account, company.realmId, true);
  await crm.ok(account, 'PATCH', `/v1/connections/${connection.id}`, {
    pollIntervalSeconds: 3600,
    activePollIntervalSeconds: 3600,
  });
  await waitFor(
    'the backfill to finish',
    () => crm.ok<{ backfill: { status: string } | null }>(account, 'GET', `/v1/connections/${connection.id}`),
    (found) => found.backfill?.status === 'done',
    // 19 minutes on this 2-core machine at a load average of 13; 40 s when it is quiet.
    3_600_000,
    500,
  );
  const backfillMs = performance.now() - backfillStarted;
  log(`audit: ${options.customers} customers backfilled in ${Math.round(backfillMs)} ms; linking contacts`);

  const feed = (await readFeed(crm, account, connection.id)).filter((item) => item.active);
  const linkStarted = performance.now();
  const linkFrom = Date.now();
  // Batches of 200, not the API's 1,000: each is stored within the client's 30 s even on a loaded machine.
  const batches = Array.from({ length: Math.ceil(feed.length / 200) }, (_, index) =>
    feed.slice(index * 200, (index + 1) * 200),
  );
  for (const batch of batches) {
    const reply = await crm.ok<{ refused: number; results: unknown[] }>(
      account,
      'POST',
      `/v1/contacts/batch?connectionId=${connection.id}`,
      {
        contacts: batch.map((item) => ({
          crmContactId: `audit-${item.qboCustomerId}`,
          // Older than every QBO change: were anything to differ, QBO's version would win.
          updatedAt: '2000-01-01T00:00:00Z',
          fields: item.fields,
          qboCustomerId: item.qboCustomerId,
        })),
      },
    );
    if (reply.refused > 0)
      throw new Error(`the CRM's batch was refused in part: ${JSON.stringify(reply.results.slice(0, 3))}`);
  }
  await waitFor(
    `${feed.length} contacts synced`,
    // An index count (countDocuments scans the collection on the embedded server); a count the loaded database
    // drops is said and read again, the deadline still bounding the wait.
    () =>
      countMatching(contactModel(db), { connectionId: connection.id, state: 'synced' }).catch(
        (error: unknown) => {
          log(`audit: counting synced contacts failed, reading again: ${(error as Error).message}`);
          return -1;
        },
      ),
    (synced) => synced === feed.length,
    // Each new link reads its customer once: 10,000 reads take 20 minutes at Intuit's 500 a minute.
    3_600_000,
    1000,
  );
  const linkMs = performance.now() - linkStarted;
  const linkRequests = countByKind(await readRequestLog(stack, company.realmId), linkFrom).total;
  log(`audit: ${feed.length} contacts linked in ${Math.round(linkMs)} ms; introducing drift`);

  // Drift behind the engine's back, spread over the company. QBO refuses to make a customer with a balance
  // inactive, so those made inactive are picked among customers without one.
  const books = stack.emulator.company(company.realmId)!;
  const settled = (item: FeedItem) =>
    Number(books.get('Customer', item.qboCustomerId)?.BalanceWithJobs ?? 0) === 0;
  const spread = <T>(items: readonly T[], count: number) =>
    items.filter((_, index) => index % Math.max(1, Math.floor(items.length / count)) === 0).slice(0, count);
  const deactivated = spread(feed.filter(settled), options.deactivatedCustomers);
  const chosen = new Set(deactivated);
  const edited = spread(
    feed.filter((item) => !chosen.has(item)),
    options.editedCustomers,
  );
  if (edited.length < options.editedCustomers || deactivated.length < options.deactivatedCustomers)
    throw new Error(
      `too few customers to drift: ${edited.length} to edit, ${deactivated.length} without a balance to deactivate`,
    );
  const phoneOf = (qboId: string) => `555-77${qboId.padStart(5, '0')}`;
  await mapLimit(edited, 10, (item) =>
    emulatorAdmin(stack, 'POST', `/companies/${company.realmId}/entities/Customer`, {
      operation: 'update',
      entity: { Id: item.qboCustomerId, PrimaryPhone: { FreeFormNumber: phoneOf(item.qboCustomerId) } },
    }),
  );
  await mapLimit(deactivated, 10, (item) =>
    emulatorAdmin(stack, 'POST', `/companies/${company.realmId}/entities/Customer`, {
      operation: 'update',
      entity: { Id: item.qboCustomerId, Active: false },
    }),
  );

  // Invoices too, within the history window and without a payment (QBO keeps a paid invoice's links).
  const { backfill } = await crm.ok<{ backfill: { transactionsSince?: string | null } | null }>(
    account,
    'GET',
    `/v1/connections/${connection.id}`,
  );
  const since = backfill?.transactionsSince ?? '';
  const linkedIds = new Set(feed.map((item) => item.qboCustomerId));
  const unpaid = [...books.all('Invoice')].filter(
    (invoice) =>
      String(invoice.TxnDate) >= since &&
      Number(invoice.Balance) === Number(invoice.TotalAmt) &&
      linkedIds.has(String((invoice.CustomerRef as { value?: string } | undefined)?.value)),
  );
  const invoicesChanged = spread(unpaid, options.driftedInvoices * 2);
  if (invoicesChanged.length < options.driftedInvoices * 2)
    throw new Error(`too few unpaid invoices to drift: ${invoicesChanged.length}`);
  const [toEdit, toDelete] = [
    invoicesChanged.slice(0, options.driftedInvoices),
    invoicesChanged.slice(options.driftedInvoices),
  ];
  const userWrite = (operation: string, entity: Record<string, unknown>) =>
    emulatorAdmin(stack, 'POST', `/companies/${company.realmId}/entities/Invoice`, { operation, entity });
  await mapLimit(toEdit, 10, (invoice) =>
    userWrite('update', { Id: invoice.Id, PrivateNote: 'changed behind the engine’s back' }),
  );
  await mapLimit(toDelete, 10, (invoice) => userWrite('delete', { Id: invoice.Id }));
  // For customers left active (an inactive one cannot be billed), one invoice each.
  const billed = spread(edited, options.driftedInvoices);
  await mapLimit(billed, 10, (item) =>
    userWrite('create', {
      CustomerRef: { value: item.qboCustomerId },
      Line: [
        { DetailType: 'SalesItemLineDetail', Amount: 120, SalesItemLineDetail: { ItemRef: { value: '1' } } },
      ],
    }),
  );

  // The throttle counters from here on are the audit's alone: the engine is idle (no webhooks, polls an hour apart).
  stack.emulator.limiter.reset();
  const auditFrom = Date.now();
  const auditStarted = performance.now();
  await crm.ok(account, 'POST', `/v1/connections/${connection.id}/audit`);
  const audit = await waitFor(
    'the audit to finish',
    () =>
      crm.ok<{ status: string; error: string | null; finishedAt: string | null; counts: AuditCounts | null }>(
        account,
        'GET',
        `/v1/connections/${connection.id}/audit`,
      ),
    (found) => found.status !== 'running',
    1_800_000,
    200,
  );
  const observedMs = performance.now() - auditStarted;
  if (audit.status !== 'completed' || !audit.counts)
    throw new Error(`the audit ${audit.status}: ${audit.error}`);
  const auditMs = audit.finishedAt ? Date.parse(audit.finishedAt) - auditFrom : observedMs;
  const requests = countByKind(await readRequestLog(stack, company.realmId), auditFrom);
  const traffic = await readTraffic(stack, [company.realmId]);
  const contactsHealedVerified = (
    await mapLimit(edited, 10, async (item) => {
      const detail = await crm.ok<{ fields: { phone?: string | null } }>(
        account,
        'GET',
        `/v1/contacts/audit-${item.qboCustomerId}?connectionId=${connection.id}`,
      );
      return detail.fields.phone === phoneOf(item.qboCustomerId);
    })
  ).filter(Boolean).length;
  const inactive = feed.filter((item) => books.get('Customer', item.qboCustomerId)?.Active === false).length;
  const introduced = {
    drifted: edited.length + inactive,
    healable: edited.length,
    inactive,
    transactions: { missing: billed.length, behind: toEdit.length, deleted: toDelete.length },
  };
  const foundTransactions = audit.counts.transactions;
  log(
    `audit: ${audit.counts.customers} customers audited in ${Math.round(auditMs)} ms with ${requests.total} ` +
      `QBO requests; drifted ${audit.counts.drifted} of ${introduced.drifted} introduced, healed ${audit.counts.healed}; ` +
      `transactions read ${foundTransactions.read}, missing/behind/deleted ${foundTransactions.missing}/` +
      `${foundTransactions.behind}/${foundTransactions.deleted}, healed ${foundTransactions.healed}`,
  );
  return {
    options,
    realmId: company.realmId,
    seedMs: round(company.seedMs, 0),
    backfillMs: round(backfillMs, 0),
    linkMs: round(linkMs, 0),
    linkedContacts: feed.length,
    linkRequests,
    auditMs: round(auditMs, 0),
    requests,
    traffic,
    counts: audit.counts,
    introduced,
    contactsHealedVerified,
    targets: {
      perMinute: {
        value: targets.auditRequestsPerMinute.value,
        met: meets(targets.auditRequestsPerMinute, traffic.maxPeakPerMinute),
      },
      concurrent: {
        value: targets.auditConcurrentRequests.value,
        met: meets(targets.auditConcurrentRequests, traffic.maxPeakInFlight),
      },
      found: {
        met:
          audit.counts.drifted === introduced.drifted &&
          audit.counts.healed === introduced.healable &&
          contactsHealedVerified === introduced.healable &&
          foundTransactions.missing === introduced.transactions.missing &&
          foundTransactions.behind === introduced.transactions.behind &&
          foundTransactions.deleted === introduced.transactions.deleted &&
          foundTransactions.healed ===
            introduced.transactions.missing +
              introduced.transactions.behind +
              introduced.transactions.deleted,
      },
    },
  };
}
