import { isDeepStrictEqual } from 'node:util';
import type { Connection as MongoConnection } from 'mongoose';
import { accountModel } from '../accounts/models';
import { settingsOf, type ConnectionRecord } from '../db/models/connection';
import { recordEvents, type EventDraft } from '../outbound/events';
import { linkedContactIds } from '../contacts/store';
import { customerKey, qboCustomerModel, qboTransactionModel } from '../projections/models';
import type { TransactionView } from '../sync/transactions';
import { contactArState, type ArContext, type ContactArState } from './ar';
import { activeConnection, companyDay, loadPolicy, type FollowUpRun } from './engine';
import { contactArKey, contactArModel, contactArSweepModel, type ContactArRecord } from './models';

/**
 * Tags and AR figures per customer, stored in `contact_ar` and kept current two ways: the sync engine recomputes
 * the customers whose transactions it changed (`recomputeContactAr`), and each reminders run sweeps (`refreshContactAr`)
 * — every customer once per company day, since "overdue" changes with the date alone, and otherwise only those
 * whose transactions changed since the last sweep. The CRM hears of a contact (`contact.updated`) only when its tags
 * change.
 */
export interface ArResult {
  recomputed: number;
  tagChanges: number;
  eventsRecorded: number;
  accountId?: string;
}

/**
 * A customer's tags and figures as of `today`, computed from its transactions now: what the next recomputation
 * stores and announces, for a reader who cannot wait for it.
 */
export async function currentContactAr(
  db: MongoConnection,
  connection: ConnectionRecord,
  qboCustomerId: string,
  today: string,
): Promise<ContactArState> {
  const [customer, transactions] = await Promise.all([
    qboCustomerModel(db)
      .findById(customerKey(connection._id, qboCustomerId), { 'profile.currency': 1 })
      .lean(),
    qboTransactionModel(db)
      .find({ connectionId: connection._id, customerQboId: qboCustomerId }, { view: 1 })
      .lean(),
  ]);
  return contactArState(
    transactions.map((transaction) => transaction.view),
    arContext(connection, today, customer?.profile.currency.code),
  );
}

/** What the tags and figures of a connection's customer are judged by: its settings, currencies and day. */
function arContext(
  connection: ConnectionRecord,
  today: string,
  customerCurrency: string | undefined,
): ArContext {
  const homeCurrency = connection.homeCurrency ?? 'USD';
  const { highValueThreshold } = settingsOf(connection);
  return {
    today,
    homeCurrency,
    customerCurrency: customerCurrency || homeCurrency,
    ...(highValueThreshold !== null && { highValueThreshold }),
  };
}

/** Customers per page of a sweep. */
const sweepPageSize = 200;

const sameTags = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((tag, index) => tag === b[index]);

/** Recomputes the given customers' tags and figures; writes only what changed. */
export async function recomputeContactAr(
  run: FollowUpRun,
  qboCustomerIds: readonly string[],
): Promise<ArResult> {
  const { db, connectionId } = run;
  const result: ArResult = { recomputed: 0, tagChanges: 0, eventsRecorded: 0 };
  const connection = await activeConnection(db, connectionId);
  if (!connection || qboCustomerIds.length === 0) return result;
  const ids = [...new Set(qboCustomerIds)];
  const policy = await loadPolicy(db, connectionId);
  const today = companyDay(run.asOf, policy);

  const [account, customers, contactOf, transactions, stored] = await Promise.all([
    accountModel(db).findById(connection.accountId, { webhook: 1 }).lean(),
    qboCustomerModel(db)
      .find({ _id: { $in: ids.map((id) => customerKey(connectionId, id)) } }, { qboId: 1, profile: 1 })
      .lean(),
    linkedContactIds(db, connectionId, ids),
    qboTransactionModel(db)
      .find({ connectionId, customerQboId: { $in: ids } }, { customerQboId: 1, view: 1 })
      .lean(),
    contactArModel(db)
      .find({ _id: { $in: ids.map((id) => contactArKey(connectionId, id)) } })
      .lean(),
  ]);
  const currencyOf = new Map(customers.map((customer) => [customer.qboId, customer.profile.currency.code]));
  const viewsOf = new Map<string, TransactionView[]>();
  for (const transaction of transactions) {
    if (transaction.customerQboId === undefined) continue;
    viewsOf.set(transaction.customerQboId, [
      ...(viewsOf.get(transaction.customerQboId) ?? []),
      transaction.view,
    ]);
  }
  const storedOf = new Map(stored.map((record) => [record.qboCustomerId, record]));

  const drafts: EventDraft[] = [];
  const at = run.now();
  for (const qboCustomerId of ids) {
    const views = viewsOf.get(qboCustomerId) ?? [];
    const previous = storedOf.get(qboCustomerId);
    // Nothing to say about a customer with no transactions that was never tagged.
    if (views.length === 0 && previous === undefined) continue;
    const state = contactArState(views, arContext(connection, today, currencyOf.get(qboCustomerId)));
    const crmContactId = contactOf.get(qboCustomerId);
    const tagsChanged = !sameTags(previous?.tags ?? [], state.tags);
    // A contact linked since the last computation has not heard its tags yet.
    const newlyLinked = crmContactId !== undefined && previous?.crmContactId !== crmContactId;
    const announce = crmContactId !== undefined && (tagsChanged || (newlyLinked && state.tags.length > 0));
    if (
      previous !== undefined &&
      !tagsChanged &&
      !newlyLinked &&
      previous.asOfDate === today &&
      isDeepStrictEqual(previous.figures, state.figures)
    ) {
      continue;
    }
    const revision = (previous?.tagsRevision ?? 0) + (announce ? 1 : 0);
    const record: ContactArRecord = {
      _id: contactArKey(connectionId, qboCustomerId),
      accountId: connection.accountId,
      connectionId,
      qboCustomerId,
      ...(crmContactId !== undefined && { crmContactId }),
      tags: state.tags,
      figures: state.figures,
      asOfDate: today,
      tagsRevision: revision,
      computedAt: at,
    };
    await contactArModel(db).replaceOne({ _id: record._id }, record, { upsert: true });
    result.recomputed += 1;
    if (tagsChanged) result.tagChanges += 1;
    if (announce) {
      drafts.push({
        accountId: connection.accountId,
        connectionId,
        type: 'contact.updated',
        // One event per revision: tags that go A → B → A announce both changes.
        dedupeKey: `ar-tags:${qboCustomerId}:r${revision}`,
        crmContactId,
        qboCustomerId,
        data: {
          crmContactId,
          qboCustomerId,
          changed: ['tags'],
          tags: state.tags,
          previousTags: previous?.tags ?? [],
          ar: state.figures,
        },
      });
    }
  }
  const events = await recordEvents(db, drafts, { hasEndpoint: account?.webhook?.enabled === true, now: at });
  return { ...result, eventsRecorded: events.length, accountId: connection.accountId };
}

/**
 * A reminders run's sweep: every customer on the first run of a company day, otherwise those whose transactions were
 * applied since the last sweep began.
 */
export async function refreshContactAr(run: FollowUpRun): Promise<ArResult> {
  const { db, connectionId } = run;
  const total: ArResult = { recomputed: 0, tagChanges: 0, eventsRecorded: 0 };
  const connection = await activeConnection(db, connectionId);
  if (!connection) return total;
  const policy = await loadPolicy(db, connectionId);
  const today = companyDay(run.asOf, policy);
  const sweeps = contactArSweepModel(db);
  const sweep = await sweeps.findById(connectionId).lean();
  // Marked before reading, so a change applied during the sweep is looked at again next time.
  const startedAt = run.now();
  const add = (part: ArResult): void => {
    total.recomputed += part.recomputed;
    total.tagChanges += part.tagChanges;
    total.eventsRecorded += part.eventsRecorded;
  };

  const full = sweep === null || sweep.fullOn !== today;
  if (full) {
    let after: string | undefined;
    for (;;) {
      const page = await qboCustomerModel(db)
        .find({ connectionId, ...(after !== undefined && { _id: { $gt: after } }) }, { qboId: 1 })
        .sort({ _id: 1 })
        .limit(sweepPageSize)
        .lean();
      if (page.length === 0) break;
      after = page[page.length - 1]!._id;
      add(
        await recomputeContactAr(
          run,
          page.map((customer) => customer.qboId),
        ),
      );
    }
  } else {
    const changed = await qboTransactionModel(db)
      .find({ connectionId, appliedAt: { $gte: sweep.changesUpTo } }, { customerQboId: 1 })
      .lean();
    const ids = [...new Set(changed.flatMap((record) => record.customerQboId ?? []))];
    for (let start = 0; start < ids.length; start += sweepPageSize) {
      add(await recomputeContactAr(run, ids.slice(start, start + sweepPageSize)));
    }
  }
  await sweeps.updateOne(
    { _id: connectionId },
    { $set: { fullOn: full ? today : sweep.fullOn, changesUpTo: startedAt } },
    { upsert: true },
  );
  return { ...total, accountId: connection.accountId };
}
