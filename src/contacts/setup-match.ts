import { loadFields } from '../db/field-maps';
import type { QboCustomerRecord } from '../projections/models';
import { displayNameFor } from '../sync/customer-mapping';
import type { SyncFields } from '../sync/fields';
import { emailMatchKey, nameMatchKey, type MatchCandidate, type MatchFields } from '../sync/matching';

/**
 * Setup matching of an unlinked contact to an existing customer, as the push does it (./push.ts) and as a preview
 * predicts it (src/previews): one home for what a contact is matched by, what a customer offers to be matched, which
 * customers may be matched at all, and how sure a match is.
 */

/** What an unlinked contact is matched by: its email, the display name QBO would give it, its company name. */
export function contactMatchFields(crm: SyncFields): MatchFields {
  return { email: crm.email, displayName: displayNameFor(crm), companyName: crm.companyName };
}

export function candidateOf(customer: Pick<QboCustomerRecord, 'qboId' | 'fields'>): MatchCandidate {
  const fields = loadFields(customer.fields);
  return {
    id: customer.qboId,
    email: fields.email ?? null,
    displayName: fields.displayName ?? null,
    companyName: fields.companyName ?? null,
  };
}

/** The customers a contact may be linked to: active ones no contact (live or deleted) is linked to. */
export function linkCandidates(
  customers: readonly Pick<QboCustomerRecord, 'qboId' | 'fields' | 'active'>[],
  linked: { has(qboCustomerId: string): boolean },
): MatchCandidate[] {
  return customers.filter((customer) => customer.active && !linked.has(customer.qboId)).map(candidateOf);
}

export const evidenceKinds = ['email', 'name', 'phone', 'address'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

export interface MatchEvidence {
  /** Signals on which the two records agree. */
  agrees: EvidenceKind[];
  /** Signals both records hold with different values. */
  differs: EvidenceKind[];
  /** 0–1: how likely the two are the same customer. */
  confidence: number;
}

/** How much one agreeing signal alone says; signals combine as independent evidence. */
const weights: Record<EvidenceKind, number> = { email: 0.9, name: 0.6, phone: 0.5, address: 0.4 };

/** The last ten digits: "+1 (555) 010-2000" and "555.010.2000" are one number. */
function phoneKey(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length < 7 ? null : digits.slice(-10);
}

function addressKey(fields: Partial<SyncFields>): string | null {
  const line1 = nameMatchKey(fields['billingAddress.line1']);
  const postal = (fields['billingAddress.postalCode'] ?? '').replace(/\s+/g, '').toLowerCase();
  return line1 === null || postal === '' ? null : `${line1}|${postal}`;
}

/**
 * Why a contact and a customer look like one: which of email, name (folded as the matcher folds it), phone and
 * billing address agree or differ. The matcher decides on email and name alone; phone and address only raise or lower
 * the confidence reported with its decision. A signal that differs halves it.
 */
export function matchEvidence(contact: Partial<SyncFields>, customer: Partial<SyncFields>): MatchEvidence {
  const contactNames = new Set(
    [nameMatchKey(displayNameFor(contact)), nameMatchKey(contact.companyName)].filter(Boolean),
  );
  const customerNames = [nameMatchKey(customer.displayName), nameMatchKey(customer.companyName)].filter(
    (key): key is string => key !== null,
  );
  const pairs: Record<EvidenceKind, [string | null, string | null] | 'agree'> = {
    email: [emailMatchKey(contact.email), emailMatchKey(customer.email)],
    name: customerNames.some((name) => contactNames.has(name))
      ? 'agree'
      : [[...contactNames][0] ?? null, customerNames[0] ?? null],
    phone: [phoneKey(contact.phone ?? contact.mobile), phoneKey(customer.phone ?? customer.mobile)],
    address: [addressKey(contact), addressKey(customer)],
  };
  const agrees: EvidenceKind[] = [];
  const differs: EvidenceKind[] = [];
  for (const kind of evidenceKinds) {
    const pair = pairs[kind];
    if (pair === 'agree' || (pair[0] !== null && pair[0] === pair[1])) agrees.push(kind);
    else if (pair[0] !== null && pair[1] !== null) differs.push(kind);
  }
  const doubt = agrees.reduce((left, kind) => left * (1 - weights[kind]), 1);
  const confidence = (1 - doubt) * 0.5 ** differs.length;
  return { agrees, differs, confidence: Math.round(confidence * 1000) / 1000 };
}
