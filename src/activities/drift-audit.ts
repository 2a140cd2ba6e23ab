import type { Connection as MongoConnection } from 'mongoose';
import { auditCustomer, type CustomerAudit } from '../audit/drift';
import { markAuditRunning, recordAuditFailure, recordAuditResult, type AuditCounts } from '../audit/store';
import { AuditTally } from '../audit/tally';
import type { EngineContext } from '../contacts/engine';
import { contactModel, type ContactRecord } from '../contacts/model';
import { pullCustomerChanges } from '../contacts/pull';
import { contactsLinkedTo, mergedFields } from '../contacts/store';
import { loadFieldMap, loadFields } from '../db/field-maps';
import { settingsOf, type ConnectionRecord } from '../db/models/connection';
import type { RetentionSettings } from '../db/retention';
import { applyRecords } from '../projections/apply';
import { customerKey, qboCustomerModel, type QboCustomerRecord } from '../projections/models';
import { maxPageSize, type Customer } from '../qbo';
import { customerToFields } from '../sync/customer-mapping';
import type { SyncFieldName, SyncFields } from '../sync/fields';
import type { MappingPolicy } from '../sync/mapping-policy';
import { announceRecorded } from './announce';
import { auditThrottledRetries, auditTransactions } from './drift-audit-transactions';
import { projectionContext } from './projection-context';
import type { QboAccess } from './qbo-access';

export interface DriftAuditDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  retention?: RetentionSettings;
  now?: () => Date;
}

/**
 * The drift audit of one connection: every QBO customer, read in query pages (never one by one), compared with our
 * projection and the linked contact. A customer whose projection is behind QBO's is applied through the normal
 * sync path (projection, then the merge into its contact, recorded and announced like any change seen by a poll);
 * a linked contact that differs while the projection is current is merged again from it the same way. What still
 * disagrees afterwards is reported as not healed. Transactions follow (./drift-audit-transactions.ts).
 */
export function createDriftAuditActivities(deps: DriftAuditDependencies) {
  const now = deps.now ?? (() => new Date());

  return {
    async auditConnection({ connectionId }: { connectionId: string }): Promise<AuditCounts> {
      await markAuditRunning(deps.db, connectionId, now());
      const { connection, client } = await deps.qbo.open(connectionId);
      const at = now();
      const engine: EngineContext = {
        db: deps.db,
        connection,
        projection: projectionContext(deps.db, connection, deps.qbo.settings.environment, at),
        ...(deps.retention ? { retention: deps.retention } : {}),
        channel: 'audit',
        now: at,
      };
      const audit = new AuditTally();
      let eventsRecorded = 0;
      // Customers made inactive are still customers: name-list queries hide them unless asked.
      const pages = client.queryAll(
        'Customer',
        'Active in (true, false)',
        maxPageSize,
        auditThrottledRetries,
      );
      for await (const page of pages) {
        audit.counts.qboRequests += 1;
        eventsRecorded += await auditPage(engine, page.rows, audit);
      }
      await auditMissingLinks(deps.db, connection, audit);
      eventsRecorded += await auditTransactions(engine, client, audit);
      await announceRecorded(connection.accountId, eventsRecorded);
      await recordAuditResult(deps.db, connectionId, audit.result(), now());
      return audit.counts;
    },

    /** The audit's retries are spent: it says so, with the last attempt's error. */
    async recordAuditFailed({ connectionId, error }: { connectionId: string; error: string }): Promise<void> {
      await recordAuditFailure(deps.db, connectionId, error, now());
    },
  };
}

/** Audits one page of QBO's customers, heals what the sync can, and returns the events recorded for the CRM. */
async function auditPage(
  engine: EngineContext,
  rows: readonly Customer[],
  tally: AuditTally,
): Promise<number> {
  const connectionId = engine.connection._id;
  const directions = settingsOf(engine.connection).mappingPolicy;
  const ids = rows.map((row) => row.Id);
  const [projected, linked] = await Promise.all([
    heldCustomers(engine.db, connectionId, ids),
    contactsLinkedTo(engine.db, connectionId, ids),
  ]);
  const audited = rows.map((row) => {
    const contact = live(linked.get(row.Id));
    return { row, contact, audit: auditPair(row, projected.get(row.Id), contact, directions) };
  });
  const drifted = audited.filter(({ audit }) => audit.drift.length > 0);
  let eventsRecorded = 0;
  if (drifted.length > 0) {
    // The normal sync path: QBO's versions into the projection (only those newer than held), then every drifted
    // link merged again from it.
    await applyRecords(
      engine.projection,
      'Customer',
      drifted.map(({ row }) => row),
    );
    const pulled = await pullCustomerChanges(
      engine,
      drifted.map(({ row }) => ({ record: row, created: !projected.has(row.Id) })),
      { announceChanges: true },
    );
    eventsRecorded += pulled.eventsRecorded;
  }
  const after = await reaudit(
    engine,
    drifted.map(({ row }) => row),
  );
  for (const { row, contact, audit } of audited) {
    tally.seen.add(row.Id);
    tally.counts.customers += 1;
    if (audit.compared) tally.counts.compared += 1;
    else if (contact) tally.counts.inFlight += 1;
    if (audit.unlinked) tally.addUnlinked(row.Id);
    if (audit.drift.length === 0) continue;
    const remaining = after.get(row.Id);
    tally.add({
      kinds: audit.drift,
      qboCustomerId: row.Id,
      crmContactId: contact?.crmContactId ?? null,
      fields: audit.fields,
      // An inactive customer stays inactive: a person decides what becomes of its link.
      healed: remaining !== undefined && remaining.drift.length === 0,
    });
  }
  return eventsRecorded;
}

/** The drifted customers compared again, once the sync has taken QBO's versions. */
async function reaudit(
  engine: EngineContext,
  rows: readonly Customer[],
): Promise<Map<string, CustomerAudit>> {
  if (rows.length === 0) return new Map();
  const connectionId = engine.connection._id;
  const ids = rows.map((row) => row.Id);
  const [projected, linked] = await Promise.all([
    heldCustomers(engine.db, connectionId, ids),
    contactsLinkedTo(engine.db, connectionId, ids),
  ]);
  const directions = settingsOf(engine.connection).mappingPolicy;
  return new Map<string, CustomerAudit>(
    rows.map((row) => [row.Id, auditPair(row, projected.get(row.Id), live(linked.get(row.Id)), directions)]),
  );
}

function auditPair(
  row: Customer,
  held: QboCustomerRecord | undefined,
  contact: ContactRecord | null,
  directions: MappingPolicy,
): CustomerAudit {
  return auditCustomer({
    qbo: { fields: customerToFields(row), syncToken: Number(row.SyncToken), active: row.Active !== false },
    projection: held ? { fields: loadFields(held.fields) as SyncFields, syncToken: held.syncToken } : null,
    contact: contact ? contactView(contact) : null,
    directions,
  });
}

/** Links to customers QBO did not return: deleted, or merged into another (the projection may say which). */
async function auditMissingLinks(db: MongoConnection, connection: ConnectionRecord, tally: AuditTally) {
  const links = contactModel(db)
    .find(
      { connectionId: connection._id, linkKey: { $exists: true }, state: { $ne: 'deleted' } },
      { crmContactId: 1, 'link.qboCustomerId': 1 },
    )
    .lean<Pick<ContactRecord, 'crmContactId' | 'link'>[]>()
    .cursor();
  for await (const contact of links) {
    const qboCustomerId = contact.link?.qboCustomerId;
    if (!qboCustomerId || tally.seen.has(qboCustomerId)) continue;
    const held = await qboCustomerModel(db)
      .findById(customerKey(connection._id, qboCustomerId), { mergedInto: 1 })
      .lean<Pick<QboCustomerRecord, 'mergedInto'>>();
    tally.add({
      kinds: ['link_to_missing'],
      qboCustomerId,
      crmContactId: contact.crmContactId,
      fields: [],
      healed: false,
      ...(held?.mergedInto ? { mergedInto: held.mergedInto } : {}),
    });
  }
}

async function heldCustomers(
  db: MongoConnection,
  connectionId: string,
  ids: readonly string[],
): Promise<Map<string, QboCustomerRecord>> {
  const held = await qboCustomerModel(db)
    .find(
      { _id: { $in: ids.map((id) => customerKey(connectionId, id)) } },
      { qboId: 1, syncToken: 1, fields: 1 },
    )
    .lean<QboCustomerRecord[]>();
  return new Map(held.map((customer) => [customer.qboId, customer]));
}

/**
 * A link the CRM still has: a deleted contact's link is a tombstone, left as it is, and so is one to a customer an
 * undo made inactive on purpose (`deactivated`).
 */
function live(contact: ContactRecord | undefined): ContactRecord | null {
  return contact && !contact.crm.deletedAt && !contact.link?.deletedAt && !contact.link?.deactivated
    ? contact
    : null;
}

/** The contact as the CRM reads it; settled when the engine's outcome is about its latest version and synced. */
function contactView(contact: ContactRecord) {
  return {
    fields: mergedFields(contact),
    settled: contact.state === 'synced' && contact.sync.version === contact.crm.version,
    held: Object.keys(loadFieldMap(contact.link?.held)) as SyncFieldName[],
  };
}
