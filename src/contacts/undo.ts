import { Types } from 'mongoose';
import { markUndone, syncEventModel, type StoredSyncEvent } from '../history/sync-events';
import { applyRecords } from '../projections/apply';
import { QboApiError, requestIdFor, type Customer } from '../qbo';
import { voidTransaction } from '../documents/forms';
import { documentEntities, type DocumentKind } from '../documents/request';
import { customerToFields, fieldsToCustomerPatch } from '../sync/customer-mapping';
import { recordHistory } from './engine';
import { contactKey } from './model';
import { pullCustomerChanges } from './pull';
import type { PushContext } from './push';
import { inContactTurn, setLinkDeactivated } from './store';
import { effectOf, planUndo, type UndoConflict } from './undo-plan';

/**
 * Undoes a change qbo-sync wrote into QBO (./undo-plan.ts says what that means): in the contact's turn, QBO's
 * customer is read afresh, the previous values are written back only if QBO still holds what we wrote, and the undo
 * is recorded as an `undone` sync event. The CRM's side then follows as for any change made in QBO (./pull.ts): the
 * contact shows the previous value and the link's base agrees with it, so the next merge does not write ours again.
 */
export type UndoOutcome =
  | {
      eventId: string;
      outcome: 'undone';
      undoEventId: string;
      eventsRecorded: number;
      /** A contact whose customer was made active again: its pushes were refused meanwhile, so it is pushed now. */
      toPush?: string;
    }
  | { eventId: string; outcome: 'conflict'; conflicts: UndoConflict[] }
  | { eventId: string; outcome: 'refused'; reason: string }
  | {
      eventId: string;
      outcome: 'skipped';
      reason: 'not_found' | 'not_undoable' | 'already_undone';
      undoneBy?: string;
    };

/**
 * `undoRun` names the undo (its workflow run): a retried activity whose undo was recorded finds its own event, and
 * completes it rather than calling it already undone.
 */
export async function undoSyncEvent(
  context: PushContext,
  eventId: string,
  undoRun: string,
): Promise<UndoOutcome> {
  const event = Types.ObjectId.isValid(eventId)
    ? await syncEventModel(context.db)
        .findOne({ _id: eventId, connectionId: context.connection._id })
        .lean<StoredSyncEvent>()
    : null;
  if (!event?.qboCustomerId) return { eventId, outcome: 'skipped', reason: 'not_found' };
  if (event.kind === 'document_written') return voidDocument(context, event, undoRun);
  const effect = effectOf(event);
  if (!effect) return { eventId, outcome: 'skipped', reason: 'not_undoable' };
  const qboCustomerId = event.qboCustomerId;
  const contactId = contactKey(context.connection._id, event.crmContactId ?? '');

  type Done = { customer: Customer; undoEventId: string; reactivated: boolean };
  const done = await inContactTurn(context.db, contactId, async (): Promise<UndoOutcome | Done> => {
    const undoneBefore = await undoneAlready(context, event, undoRun);
    if (undoneBefore?.outcome === 'skipped') return undoneBefore;
    if (undoneBefore)
      return {
        customer: await context.client.read('Customer', qboCustomerId),
        undoEventId: undoneBefore.undoEventId,
        reactivated: effect.active?.from === true,
      };
    const customer = await context.client.read('Customer', qboCustomerId);
    const plan = planUndo(effect, { fields: customerToFields(customer), active: customer.Active !== false });
    if (!plan.ok) return { eventId, outcome: 'conflict', conflicts: plan.conflicts };
    const { fields, active } = plan.write;
    let written: Customer = customer;
    if (Object.keys(fields).length > 0 || active !== undefined) {
      const patch = {
        ...fieldsToCustomerPatch(fields, customer),
        ...(active !== undefined ? { Active: active } : {}),
        Id: customer.Id,
        SyncToken: customer.SyncToken,
      };
      try {
        written = await context.client.update(
          'Customer',
          patch as never,
          requestIdFor(context.connection._id, 'Customer', customer.Id, 'undo', eventId, customer.SyncToken),
        );
      } catch (error) {
        // QBO refused it for good (throttling, outages and a stale SyncToken are retried by the activity).
        if (!(error instanceof QboApiError) || error.retryable || error.kind === 'stale-object') throw error;
        return { eventId, outcome: 'refused', reason: `QuickBooks refused it: ${error.message}` };
      }
      await applyRecords(context.projection, 'Customer', [written]);
    }
    const undoEventId = await recordUndo(context, event, undoRun, plan.reverse.changes, {
      ...plan.reverse,
      qboSyncToken: written.SyncToken,
    });
    if (plan.reverse.active && event.crmContactId)
      await setLinkDeactivated(
        context.db,
        { _id: contactId, connectionId: context.connection._id },
        qboCustomerId,
        plan.reverse.active.to ? null : { at: context.now, eventId: undoEventId },
      );
    return { customer: written, undoEventId, reactivated: plan.reverse.active?.to === true };
  });
  if ('outcome' in done) return done;
  // Outside the turn: the propagation of QBO's changes takes the contact's turn itself.
  const pulled =
    effect.changes.length > 0
      ? await pullCustomerChanges(
          { ...context, channel: 'undo' },
          [{ record: done.customer, created: false }],
          { announceChanges: false },
        )
      : null;
  return {
    eventId,
    outcome: 'undone',
    undoEventId: done.undoEventId,
    eventsRecorded: pulled?.eventsRecorded ?? 0,
    ...(done.reactivated && event.crmContactId ? { toPush: event.crmContactId } : {}),
  };
}

/**
 * Whether the event is undone already: by this undo (a retried attempt, which completes it: its `undone` event) or
 * by another (skipped). Null when it is not.
 */
async function undoneAlready(
  context: PushContext,
  event: StoredSyncEvent,
  undoRun: string,
): Promise<{ outcome: 'undone'; undoEventId: string } | Extract<UndoOutcome, { outcome: 'skipped' }> | null> {
  const events = syncEventModel(context.db);
  const current = await events.findById(event._id, { undoneBy: 1 }).lean<StoredSyncEvent>();
  if (!current?.undoneBy) return null;
  const by = await events.findById(current.undoneBy, { undoRun: 1 }).lean<StoredSyncEvent>();
  if (by?.undoRun === undoRun) return { outcome: 'undone', undoEventId: current.undoneBy };
  return {
    eventId: event._id.toHexString(),
    outcome: 'skipped',
    reason: 'already_undone',
    undoneBy: current.undoneBy,
  };
}

/** Records the `undone` event and marks the event it undid; its id. */
async function recordUndo(
  context: PushContext,
  event: StoredSyncEvent,
  undoRun: string,
  changes: readonly { field: string }[],
  detail: Record<string, unknown>,
): Promise<string> {
  const [recorded] = await recordHistory(context, [
    {
      connectionId: context.connection._id,
      ...(event.crmContactId ? { crmContactId: event.crmContactId } : {}),
      qboCustomerId: event.qboCustomerId!,
      kind: 'undone',
      fields: changes.map((change) => change.field),
      detail,
      undoes: event._id.toHexString(),
      undoRun,
      at: context.now,
    },
  ]);
  const undoEventId = recorded!._id.toHexString();
  if (!(await markUndone(context.db, event._id, undoEventId)))
    throw new Error(`sync event ${event._id.toHexString()} was undone twice at once`);
  return undoEventId;
}

/**
 * A document written from the CRM is undone by voiding it, the way `POST …/void` does (QBO keeps it, every amount
 * zeroed). An estimate cannot be voided in QBO, and a void cannot be taken back.
 */
async function voidDocument(
  context: PushContext,
  event: StoredSyncEvent,
  undoRun: string,
): Promise<UndoOutcome> {
  const eventId = event._id.toHexString();
  const detail = (event.detail ?? {}) as { documentKind?: DocumentKind; qboId?: string };
  const kind = detail.documentKind;
  if (!kind || kind === 'estimate' || !detail.qboId)
    return { eventId, outcome: 'skipped', reason: 'not_undoable' };
  const undoneBefore = await undoneAlready(context, event, undoRun);
  if (undoneBefore?.outcome === 'skipped') return undoneBefore;
  if (undoneBefore) return { eventId, ...undoneBefore, eventsRecorded: 0 };
  let voided;
  try {
    voided = await voidTransaction(context.client, context.connection._id, kind, detail.qboId);
  } catch (error) {
    if (!(error instanceof QboApiError) || error.retryable || error.kind === 'stale-object') throw error;
    return { eventId, outcome: 'refused', reason: `QuickBooks refused it: ${error.message}` };
  }
  await applyRecords(context.projection, documentEntities[kind], [voided]);
  const undoEventId = await recordUndo(context, event, undoRun, [], {
    voided: { documentKind: kind, qboId: detail.qboId },
    qboSyncToken: voided.SyncToken ?? null,
  });
  return { eventId, outcome: 'undone', undoEventId, eventsRecorded: 0 };
}
