import { customerKey, qboCustomerModel } from '../projections/models';
import { recordHistory, type EngineContext } from './engine';
import { contactLinkedTo, moveLink } from './store';

/**
 * QBO merged customer `fromId` into `intoId`: the merged-away customer is marked, and the CRM contact linked to it
 * follows to the survivor. If the survivor already has a contact of its own, that link stays and the other contact
 * is unlinked, with a sync event saying so (a CRM user decides whether the two contacts are one person).
 */
export async function applyCustomerMerge(
  context: EngineContext,
  fromId: string,
  intoId: string,
): Promise<void> {
  const connectionId = context.connection._id;
  await qboCustomerModel(context.db).updateOne(
    { _id: customerKey(connectionId, fromId) },
    { $set: { mergedInto: intoId, active: false } },
  );
  const moving = await contactLinkedTo(context.db, connectionId, fromId);
  if (!moving) return;
  const outcome = await moveLink(context.db, moving, fromId, intoId, context.now);
  if (outcome === 'unchanged') return;
  const survivor = outcome === 'unlinked' ? await contactLinkedTo(context.db, connectionId, intoId) : null;
  await recordHistory(context, [
    outcome === 'moved'
      ? {
          connectionId,
          crmContactId: moving.crmContactId,
          qboCustomerId: intoId,
          kind: 'relinked',
          // Never synced with the survivor: the next merge has no base, and fills rather than clears.
          detail: { reason: 'merged in QBO', fromId },
          at: context.now,
        }
      : {
          connectionId,
          crmContactId: moving.crmContactId,
          qboCustomerId: fromId,
          kind: 'unlinked',
          detail: {
            reason: 'merged in QBO into a customer linked to another contact',
            intoId,
            otherContact: survivor?.crmContactId ?? null,
          },
          at: context.now,
        },
  ]);
}
