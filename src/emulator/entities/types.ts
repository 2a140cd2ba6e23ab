import type { Company, QboRecord } from '../company';

/** A request body's fields, before the entity's rules have checked them. */
export type Input = Record<string, unknown>;

/** The writable content of a record: what an entity's rules produce from a request. */
export type Draft = Record<string, unknown>;

export interface RuleContext {
  company: Company;
  /** The record's Id; allocated before the rules run so that knocks can point back at it. */
  id: string;
  /** The record being updated (undefined on create). */
  current?: QboRecord;
  /** Set when the change comes from the "QBO web app" (admin API) rather than the API; some API limits don't apply. */
  asUser?: boolean;
  allowDuplicateDocNumber?: boolean;
}

/** Another record that changes because this one did (a payment lowers an invoice's balance). */
export interface Knock {
  entity: string;
  id: string;
  /** False for bookkeeping that QBO does not publish as a change (a customer's running balance). */
  touch: boolean;
  /** Returns the new content of the other record; never throws once the main change is valid. */
  apply(record: QboRecord): Draft;
}

export interface EntityDefinition {
  /** QBO's entity name, as in the response envelope: `Customer`, `Invoice`… */
  name: string;
  kind: 'name-list' | 'transaction' | 'company';
  /** Fields a request may send, besides the read-only ones every entity has. */
  writable: ReadonlySet<string>;
  /** Fields QBO computes; accepted in a request (clients echo them back) and ignored. */
  computed: ReadonlySet<string>;
  /** Fields `SELECT *` leaves out; the query has to name them (`SELECT *, Sku FROM Item`). */
  omittedByStar?: readonly string[];
  /** Name-list entities whose `nameField` is unique (case-insensitive); 6240 on a clash. */
  nameField?: 'DisplayName' | 'Name';
  /** Transactions whose DocNumber must not repeat (6140) unless the request says `include=allowduplicatedocnum`. */
  uniqueDocNumber?: boolean;
  canDelete: boolean;
  canVoid: boolean;
  /** Whether API clients may create it (Preferences and CompanyInfo are read-only here). */
  canCreate: boolean;
  /** Validates and completes a create or update; throws QboFault. Receives the merged writable fields. */
  build(fields: Input, context: RuleContext): Draft;
  /** Zeroes a voided transaction. */
  voided?(record: QboRecord, context: RuleContext): Draft;
  /** Records elsewhere that a change of this record rewrites; `before` is undefined on create, `after` on delete. */
  knocks?(before: QboRecord | undefined, after: Draft | undefined, context: RuleContext): Knock[];
  /** Refuses a delete or void that QBO refuses (e.g. an invoice with payments linked). */
  checkRemove?(record: QboRecord, context: RuleContext): void;
  /** Runs once the change is stored (a customer's new currency joins the company's currency list). */
  afterCommit?(record: QboRecord, context: RuleContext): void;
}
