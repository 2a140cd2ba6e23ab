import { createHash } from 'node:crypto';
import { toCents } from '../sync/money';
import { assertIsoDate, isInForce, type TransactionType, type TransactionView } from '../sync/transactions';
import type { FollowUpPolicySettings } from './policy';

/**
 * Which follow-up a QBO document calls for on a given company-local day. Pure: the day and the policy are passed
 * in. A document calls for at most one stage at a time; with the document, the stage is the dedupe key, so each
 * stage goes out once however often the reminders run.
 */
export const followUpKinds = [
  'invoice_overdue',
  'estimate_expiring',
  'estimate_accepted',
  'payment_received',
] as const;
export type FollowUpKind = (typeof followUpKinds)[number];

export interface DueFollowUp {
  kind: FollowUpKind;
  /** `overdue-<cadence step>`, `estimate-expiring`, `estimate-accepted` or `payment-received`. */
  stage: string;
  /** Invoices: whole days past the due date. */
  daysOverdue?: number;
  /** Estimates about to expire: whole days left. */
  daysToExpiry?: number;
}

/** Why a planned follow-up is no longer wanted. */
export type CancelReason = 'paid' | 'voided' | 'deleted' | 'no_longer_due';

/** Calendar days from one `yyyy-MM-dd` to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const utc = (date: string): number => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** The `yyyy-MM-dd` that is `days` calendar days after (or before, when negative) `date`. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Below the policy's minimum in the home currency; an unknown home value never holds a follow-up back. */
function belowMinimum(homeAmount: number | null, policy: FollowUpPolicySettings): boolean {
  if (policy.minimumAmount === 0 || homeAmount === null) return false;
  return toCents(homeAmount) < toCents(policy.minimumAmount);
}

export function dueFollowUp(
  view: TransactionView,
  policy: FollowUpPolicySettings,
  today: string,
): DueFollowUp | null {
  assertIsoDate(today, 'today');
  if (!policy.enabled || !isInForce(view)) return null;

  if (view.type === 'Invoice') {
    if (!policy.overdue.enabled || view.dueDate === undefined || toCents(view.balance) <= 0) return null;
    if (belowMinimum(view.homeBalance, policy)) return null;
    const daysOverdue = daysBetween(view.dueDate, today);
    // The latest step reached: an invoice first seen 20 days late gets the 14-day reminder, not all of 1, 7 and 14.
    const step = policy.overdue.cadenceDays.filter((days) => days <= daysOverdue).pop();
    return step === undefined ? null : { kind: 'invoice_overdue', stage: `overdue-${step}`, daysOverdue };
  }

  if (view.type === 'Estimate') {
    if (belowMinimum(view.homeTotal, policy)) return null;
    if (view.status === 'accepted' && policy.estimateAccepted.enabled) {
      return { kind: 'estimate_accepted', stage: 'estimate-accepted' };
    }
    if (view.status === 'pending' && view.expirationDate !== undefined && policy.estimateExpiring.enabled) {
      const daysToExpiry = daysBetween(today, view.expirationDate);
      if (daysToExpiry >= 0 && daysToExpiry <= policy.estimateExpiring.daysBefore) {
        return { kind: 'estimate_expiring', stage: 'estimate-expiring', daysToExpiry };
      }
    }
    return null;
  }

  if (view.type === 'Payment') {
    // Zero payments are how QBO applies a credit memo: no money was received.
    if (!policy.paymentReceived.enabled || toCents(view.total) <= 0) return null;
    if (belowMinimum(view.homeTotal, policy)) return null;
    const age = daysBetween(view.txnDate, today);
    return age >= 0 && age <= policy.paymentReceived.withinDays
      ? { kind: 'payment_received', stage: 'payment-received' }
      : null;
  }
  return null;
}

/** Null while the stage is still due; otherwise why a pending follow-up for it should be cancelled. */
export function cancelReason(
  view: TransactionView | null,
  stage: string,
  policy: FollowUpPolicySettings,
  today: string,
): CancelReason | null {
  if (view === null || view.status === 'deleted') return 'deleted';
  if (view.status === 'voided') return 'voided';
  if (view.type === 'Invoice' && toCents(view.balance) <= 0) return 'paid';
  return dueFollowUp(view, policy, today)?.stage === stage ? null : 'no_longer_due';
}

export interface DedupeKey {
  connectionId: string;
  entity: TransactionType;
  qboId: string;
  stage: string;
}

/** The follow-up's `_id`: its dedupe key, hashed so it is URL-safe and of fixed length. */
export function followUpId(key: DedupeKey): string {
  const digest = createHash('sha256')
    .update(`${key.connectionId}\n${key.entity}\n${key.qboId}\n${key.stage}`)
    .digest('base64url');
  return `fu_${digest.slice(0, 32)}`;
}

/**
 * A digest's id: derived from the email attempts it claims (`<follow-up id>#<attempt>`, in any order), so the same
 * claims always name the same digest.
 */
export function digestId(claimIds: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...claimIds].sort().join('\n'))
    .digest('base64url');
  return `dg_${digest.slice(0, 32)}`;
}
