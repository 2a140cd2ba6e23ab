/**
 * The QBO entities this client speaks, their schemas, and what QBO allows on each: which can be written, voided
 * (not Estimate) or hard-deleted (transactions only: customers can only be made inactive; facts §9).
 */
import type { z } from 'zod';
import {
  accountSchema,
  companyInfoSchema,
  creditMemoSchema,
  customerSchema,
  estimateSchema,
  invoiceSchema,
  itemSchema,
  nameListSchema,
  paymentMethodSchema,
  paymentSchema,
  preferencesSchema,
  refundReceiptSchema,
  salesReceiptSchema,
  taxCodeSchema,
  taxRateSchema,
  termSchema,
} from './schemas';

export const entitySchemas = {
  Customer: customerSchema,
  Invoice: invoiceSchema,
  Payment: paymentSchema,
  Estimate: estimateSchema,
  SalesReceipt: salesReceiptSchema,
  CreditMemo: creditMemoSchema,
  RefundReceipt: refundReceiptSchema,
  Item: itemSchema,
  Term: termSchema,
  PaymentMethod: paymentMethodSchema,
  TaxCode: taxCodeSchema,
  TaxRate: taxRateSchema,
  Account: accountSchema,
  Class: nameListSchema,
  Department: nameListSchema,
  CompanyInfo: companyInfoSchema,
  Preferences: preferencesSchema,
} as const;

export type QboEntityName = keyof typeof entitySchemas;
export type EntityRecord<E extends QboEntityName> = z.infer<(typeof entitySchemas)[E]>;

export type TransactionEntity =
  'Invoice' | 'Payment' | 'Estimate' | 'SalesReceipt' | 'CreditMemo' | 'RefundReceipt';
export type WritableEntity = 'Customer' | 'Item' | TransactionEntity;
/** Sales forms QBO emails (`/send`) and prints (`/pdf`). */
export type SalesFormEntity = 'Invoice' | 'Estimate' | 'SalesReceipt' | 'CreditMemo' | 'RefundReceipt';
/** `?operation=void` (Payment: `?operation=update&include=void`); estimates cannot be voided. */
export type VoidableEntity = Exclude<TransactionEntity, 'Estimate'>;
/** Only transactions are hard-deleted; name-list entities are made inactive instead. */
export type DeletableEntity = TransactionEntity;

export const transactionEntities: readonly TransactionEntity[] = [
  'Invoice',
  'Payment',
  'Estimate',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
];

export interface IdAndSyncToken {
  Id: string;
  SyncToken: string;
}

/** A create body: any subset of the entity's fields (unknown ones are allowed and passed through). */
export type EntityInput<E extends QboEntityName> = Partial<EntityRecord<E>>;
/** A sparse update body: the Id and SyncToken being updated, plus only the fields to change. */
export type EntityUpdate<E extends QboEntityName> = Partial<EntityRecord<E>> & IdAndSyncToken;

/** The entity's schema, typed as its record (one cast here instead of one per caller). */
export function schemaOf<E extends QboEntityName>(entity: E): z.ZodType<EntityRecord<E>> {
  return entitySchemas[entity] as unknown as z.ZodType<EntityRecord<E>>;
}

const canonicalNames = new Map<string, QboEntityName>(
  (Object.keys(entitySchemas) as QboEntityName[]).map((name) => [name.toLowerCase(), name]),
);

/** QBO entity names are case-insensitive in queries; this gives the canonical spelling, if known. */
export function canonicalEntity(name: string): QboEntityName | undefined {
  return canonicalNames.get(name.toLowerCase());
}

/** The URL path segment: entity names are lower-case in QBO's paths (facts §1.1). */
export function pathSegment(entity: QboEntityName): string {
  return entity.toLowerCase();
}

/** The value of the key named like `entity` in a response object, matched case-insensitively. */
export function entityValue(container: Record<string, unknown>, entity: string): unknown {
  if (entity in container) return container[entity];
  const lower = entity.toLowerCase();
  const key = Object.keys(container).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : container[key];
}
