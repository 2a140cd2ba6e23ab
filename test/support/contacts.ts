import type { Connection } from 'mongoose';
import { contactKey, type ContactLink, type ContactRecord, type LinkMethod } from '../../src/contacts/model';
import { linkContact, newLink, readContactRecord, storeCrmVersion } from '../../src/contacts/store';
import { toSyncFields } from '../../src/sync/fields';

/** A contact's document, as the engine and the API keep it. */
export function contactOf(
  db: Connection,
  connectionId: string,
  crmContactId: string,
): Promise<ContactRecord | null> {
  return readContactRecord(db, contactKey(connectionId, crmContactId));
}

/** A contact's link to its QBO customer, if it has one. */
export async function linkOf(
  db: Connection,
  connectionId: string,
  crmContactId: string,
): Promise<ContactLink | null> {
  return (await contactOf(db, connectionId, crmContactId))?.link ?? null;
}

/** A CRM contact linked to a QBO customer, as a sync would leave it: stored through the same writes as the API's. */
export async function seedLinkedContact(
  db: Connection,
  connectionId: string,
  crmContactId: string,
  qboCustomerId: string,
  at: Date,
  linkedBy: LinkMethod = 'email',
): Promise<void> {
  // The CRM's version is a day older than the link: a later version of the contact stands for a later edit.
  const earlier = new Date(at.getTime() - 86_400_000);
  const { record } = await storeCrmVersion(
    db,
    connectionId,
    crmContactId,
    { fields: toSyncFields({ displayName: crmContactId }), updatedAt: earlier.toISOString() },
    earlier,
    5000,
  );
  if (!(await linkContact(db, record, { ...newLink(qboCustomerId, linkedBy, at), syncedAt: at })))
    throw new Error(`could not link ${crmContactId} to customer ${qboCustomerId}`);
}
