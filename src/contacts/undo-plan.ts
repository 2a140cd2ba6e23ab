import type { StoredSyncEvent } from '../history/sync-events';
import { isSyncFieldName, sameValue, type SyncFieldName, type SyncFields } from '../sync/fields';

/**
 * What undoing a sync event means for the QBO customer, as pure functions: the effect the event had (fields changed
 * from → to, or the customer made active by its creation), whether QBO still holds what we wrote, and what to write
 * back. An undo records the reverse effect, so undoing an undo re-applies the original.
 */
export interface FieldChange {
  field: SyncFieldName;
  from: string | null;
  to: string | null;
}

export interface UndoEffect {
  changes: FieldChange[];
  /** The customer's `Active`: a created customer went from not existing (inactive) to active. */
  active?: { from: boolean; to: boolean };
}

/**
 * The kinds of sync event that wrote to QBO, and so can be undone: a customer's (see `effectOf`) or a document
 * written from the CRM, which is voided.
 */
export const undoableKinds = ['created', 'updated_qbo', 'undone', 'document_written'] as const;

/**
 * The effect a sync event had on its QBO customer; null for an event that did not change a customer, or for the
 * void of a document (QBO cannot take a void back).
 */
export function effectOf(event: Pick<StoredSyncEvent, 'kind' | 'detail'>): UndoEffect | null {
  if (event.kind === 'created') return { changes: [], active: { from: false, to: true } };
  const detail = (event.detail ?? {}) as {
    changes?: unknown;
    active?: UndoEffect['active'];
    voided?: unknown;
  };
  if ((event.kind !== 'updated_qbo' && event.kind !== 'undone') || detail.voided) return null;
  const changes = (Array.isArray(detail.changes) ? (detail.changes as unknown[]) : []).filter(
    (change): change is FieldChange =>
      typeof change === 'object' &&
      change !== null &&
      isSyncFieldName(String((change as { field?: unknown }).field)),
  );
  return { changes, ...(detail.active ? { active: detail.active } : {}) };
}

/** QBO's current values that an undo compares against. */
export interface CustomerNow {
  fields: SyncFields;
  active: boolean;
}

/** A field QBO changed since we wrote it: what we wrote, and what it holds now. */
export interface UndoConflict {
  field: SyncFieldName;
  wrote: string | null;
  now: string | null;
}

export type UndoPlan =
  | { ok: false; conflicts: UndoConflict[] }
  | {
      ok: true;
      /** What to write to QBO: only the fields that do not hold their previous value already. */
      write: { fields: Partial<SyncFields>; active?: boolean };
      /** The undo's own effect (the reverse), as its event records it. */
      reverse: UndoEffect;
    };

/**
 * Undoing `effect` against QBO's current customer: refused, naming each field, if QBO holds anything but what we
 * wrote (someone changed it since); else the previous values, skipping those QBO holds already (a retried undo whose
 * write committed writes nothing).
 */
export function planUndo(effect: UndoEffect, now: CustomerNow): UndoPlan {
  const conflicts: UndoConflict[] = [];
  const fields: Partial<SyncFields> = {};
  for (const { field, from, to } of effect.changes) {
    const held = now.fields[field];
    if (sameValue(field, held, from)) continue;
    if (!sameValue(field, held, to)) conflicts.push({ field, wrote: to, now: held });
    else fields[field] = from;
  }
  const active = effect.active;
  // A boolean either holds the previous value already or what we wrote: it never conflicts.
  const writeActive = active && now.active !== active.from ? active.from : undefined;
  if (conflicts.length > 0) return { ok: false, conflicts };
  return {
    ok: true,
    write: { fields, ...(writeActive !== undefined ? { active: writeActive } : {}) },
    reverse: {
      changes: effect.changes.map(({ field, from, to }) => ({ field, from: to, to: from })),
      ...(active ? { active: { from: active.to, to: active.from } } : {}),
    },
  };
}
