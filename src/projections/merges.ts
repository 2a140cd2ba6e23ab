import type { Connection } from 'mongoose';
import { contactLinkModel, recordSyncEvents } from './crm';
import { customerKey, markCustomerLinked, qboCustomerModel } from './models';

/**
 * QBO merged customer `fromId` into `intoId`: the merged-away customer is marked, and the CRM contact linked to it
 * follows to the survivor. If the survivor already has a contact of its own, that link stays and the other contact
 * is unlinked, with a sync event saying so (a CRM user decides whether the two contacts are one person).
 */
export async function applyCustomerMerge(
  db: Connection,
  connectionId: string,
  fromId: string,
  intoId: string,
  at: Date,
): Promise<void> {
  await qboCustomerModel(db).updateOne(
    { _id: customerKey(connectionId, fromId) },
    { $set: { mergedInto: intoId, active: false } },
  );
  const links = contactLinkModel(db);
  const moving = await links.findOne({ connectionId, qboCustomerId: fromId }).lean();
  if (!moving) return;
  const survivorLink = await links.findOne({ connectionId, qboCustomerId: intoId }).lean();
  if (survivorLink) {
    await links.deleteOne({ _id: moving._id });
    await recordSyncEvents(db, [
      {
        connectionId,
        crmContactId: moving.crmContactId,
        qboCustomerId: fromId,
        kind: 'unlinked',
        detail: {
          reason: 'merged in QBO into a customer linked to another contact',
          intoId,
          otherContact: survivorLink.crmContactId,
        },
        at,
      },
    ]);
    return;
  }
  // Never synced with the survivor: the next merge has no base, and the more recent side wins each field.
  await links.updateOne(
    { _id: moving._id },
    { $set: { qboCustomerId: intoId, snapshot: {}, qboSyncToken: '', syncedAt: new Date(0) } },
  );
  await markCustomerLinked(db, connectionId, intoId, moving.crmContactId);
  await recordSyncEvents(db, [
    {
      connectionId,
      crmContactId: moving.crmContactId,
      qboCustomerId: intoId,
      kind: 'relinked',
      detail: { reason: 'merged in QBO', fromId },
      at,
    },
  ]);
}
