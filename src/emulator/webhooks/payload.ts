import { createHash, randomUUID } from 'node:crypto';
import type { EntityChange, WebhookOperation, WebhookSubscription } from './types';

const pastTense: Record<WebhookOperation, string> = {
  Create: 'created',
  Update: 'updated',
  Delete: 'deleted',
  Merge: 'merged',
  Void: 'voided',
  Emailed: 'emailed',
};

/** The legacy `eventNotifications` body: one notification per realm, as Intuit does in practice. */
export function legacyBody(realmId: string, changes: readonly EntityChange[]): string {
  const entities = changes.map((change) => ({
    name: change.name,
    id: change.id,
    operation: change.operation,
    // Intuit has sent both `2015-10-05T14:42:19-0700` and `2025-09-08T20:52:31.657Z`; we emit the newer form.
    lastUpdated: change.lastUpdated.toISOString(),
    ...(change.deletedId === undefined ? {} : { deletedId: change.deletedId }),
  }));
  return JSON.stringify({ eventNotifications: [{ realmId, dataChangeEvent: { entities } }] });
}

/** The CloudEvents body: a JSON array with one event per change. */
export function cloudEventsBody(realmId: string, changes: readonly EntityChange[]): string {
  const source = `intuit.${createHash('sha256').update(realmId).digest('base64')}`;
  const events = changes.map((change) => ({
    specversion: '1.0',
    id: randomUUID(),
    source, // Intuit's source is opaque; a stable per-realm hash has the same shape.
    type: `qbo.${change.name.toLowerCase()}.${pastTense[change.operation]}.v1`,
    datacontenttype: 'application/json',
    time: change.lastUpdated.toISOString(),
    intuitentityid: change.id,
    intuitaccountid: realmId,
    data: change.deletedId === undefined ? {} : { deletedid: change.deletedId },
  }));
  return JSON.stringify(events);
}

export function encodeBody(
  format: WebhookSubscription['format'],
  realmId: string,
  changes: readonly EntityChange[],
): string {
  return format === 'legacy' ? legacyBody(realmId, changes) : cloudEventsBody(realmId, changes);
}

/** Intuit's legacy sample header; CloudEvents deliveries use plain JSON unless the subscription overrides it. */
export function contentTypeFor(subscription: WebhookSubscription): string {
  return (
    subscription.contentType ??
    (subscription.format === 'legacy' ? 'application/json; charset=utf-8' : 'application/json')
  );
}
