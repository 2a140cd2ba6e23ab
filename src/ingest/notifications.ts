import { createHash } from 'node:crypto';
import { z } from 'zod';
import { syncedEntities } from '../sync/transactions';

/**
 * Intuit's webhook payloads, legacy (`eventNotifications`) and CloudEvents (a JSON array), reduced to one event
 * shape. They carry identifiers only: the engine fetches each entity by id, so the current state wins whatever
 * order deliveries arrive in.
 */
export type ChangeOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

export interface EntityEvent {
  /** Stable across redeliveries of the same change: the dedupe key. */
  eventId: string;
  realmId: string;
  entity: string;
  entityId: string;
  operation: ChangeOperation;
  /** When QBO says the change happened, as an ISO instant. */
  occurredAt: string;
  deletedId?: string;
}

/** Events that could not be understood: acknowledged and recorded, never allowed to block a realm. */
export interface UnreadableEvent {
  reason: string;
  raw: unknown;
}

const legacySchema = z.object({
  eventNotifications: z.array(
    z.object({
      realmId: z.string().min(1),
      dataChangeEvent: z.object({ entities: z.array(z.unknown()) }),
    }),
  ),
});

const legacyEntitySchema = z.object({
  name: z.string().min(1),
  id: z.string().min(1),
  operation: z.enum(['Create', 'Update', 'Delete', 'Merge', 'Void', 'Emailed']),
  lastUpdated: z.string().min(1),
  deletedId: z.string().optional(),
  deletedID: z.string().optional(),
});

const cloudEventSchema = z.object({
  id: z.string().min(1),
  type: z.string().regex(/^qbo\.[a-z]+\.[a-z]+\.v\d+$/),
  time: z.string().min(1),
  intuitentityid: z.string().min(1),
  intuitaccountid: z.string().min(1),
  data: z.record(z.string(), z.unknown()).nullish(),
});

const cloudOperations: Record<string, ChangeOperation> = {
  created: 'Create',
  updated: 'Update',
  deleted: 'Delete',
  merged: 'Merge',
  voided: 'Void',
  emailed: 'Emailed',
};

/** QBO entity names as the API spells them, for the lower-case names in CloudEvents types. */
const entityNames = new Map(
  [
    ...syncedEntities,
    'Term',
    'PaymentMethod',
    'Item',
    'Currency',
    'Preferences',
    'Vendor',
    'Employee',
    'Account',
    'Bill',
  ].map((name) => [name.toLowerCase(), name]),
);

function instant(text: string): string | undefined {
  // Intuit has sent both `2015-10-05T14:42:19-0700` and `2025-09-08T20:52:31.657Z`.
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function legacyEventId(
  realmId: string,
  entity: string,
  id: string,
  operation: string,
  lastUpdated: string,
): string {
  return createHash('sha256')
    .update([realmId, entity, id, operation, lastUpdated].join('\u0000'))
    .digest('base64url');
}

export function parseNotifications(body: unknown): { events: EntityEvent[]; unreadable: UnreadableEvent[] } {
  const events: EntityEvent[] = [];
  const unreadable: UnreadableEvent[] = [];

  const legacy = legacySchema.safeParse(body);
  if (legacy.success) {
    for (const notification of legacy.data.eventNotifications) {
      for (const raw of notification.dataChangeEvent.entities) {
        const entity = legacyEntitySchema.safeParse(raw);
        const occurredAt = entity.success ? instant(entity.data.lastUpdated) : undefined;
        if (!entity.success || !occurredAt) {
          unreadable.push({
            reason: entity.success ? 'unparseable lastUpdated' : entity.error.issues[0]!.message,
            raw,
          });
          continue;
        }
        const { name, id, operation, lastUpdated } = entity.data;
        const deletedId = entity.data.deletedId ?? entity.data.deletedID;
        events.push({
          eventId: legacyEventId(notification.realmId, name, id, operation, lastUpdated),
          realmId: notification.realmId,
          entity: name,
          entityId: id,
          operation,
          occurredAt,
          ...(deletedId ? { deletedId } : {}),
        });
      }
    }
    return { events, unreadable };
  }

  if (Array.isArray(body)) {
    for (const raw of body) {
      const parsed = cloudEventSchema.safeParse(raw);
      if (!parsed.success) {
        unreadable.push({ reason: parsed.error.issues[0]!.message, raw });
        continue;
      }
      const [, entityLower, verb] = parsed.data.type.split('.') as [string, string, string];
      const operation = cloudOperations[verb];
      const occurredAt = instant(parsed.data.time);
      if (!operation || !occurredAt) {
        unreadable.push({ reason: `unknown event type ${parsed.data.type}`, raw });
        continue;
      }
      const deletedId = parsed.data.data?.deletedid;
      events.push({
        eventId: parsed.data.id,
        realmId: parsed.data.intuitaccountid,
        entity: entityNames.get(entityLower) ?? entityLower,
        entityId: parsed.data.intuitentityid,
        operation,
        occurredAt,
        ...(typeof deletedId === 'string' ? { deletedId } : {}),
      });
    }
    return { events, unreadable };
  }

  unreadable.push({ reason: 'neither eventNotifications nor a CloudEvents array', raw: body });
  return { events, unreadable };
}
