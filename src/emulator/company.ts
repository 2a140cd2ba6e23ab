import { formatQboDate, formatQboDateTime } from '../time/zoned-time';
import type { Clock } from './clock';
import type { Country } from './countries';

/** An entity as QBO returns it: a JSON object with string `Id` and `SyncToken` and a `MetaData` block. */
export interface QboRecord {
  Id: string;
  SyncToken: string;
  MetaData: { CreateTime: string; LastUpdatedTime: string };
  [field: string]: unknown;
}

export interface CompanySettings {
  realmId: string;
  companyName: string;
  homeCurrency: string;
  multiCurrency: boolean;
  /** IANA zone of the company: QBO stamps MetaData in local time and "today" is the local date. */
  timeZone: string;
  country: Country;
  /** `Preferences.SalesFormsPrefs.CustomTxnNumbers`: when on, QBO leaves DocNumber to the user instead of numbering. */
  customTxnNumbers: boolean;
}

interface Stored {
  record: QboRecord;
  /** Milliseconds of the last change, for CDC windows without re-parsing timestamps. */
  changedAt: number;
}

/** One API request as the emulator saw it, so tests can assert what a client sent (e.g. that updates were sparse). */
export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
}

const requestLogSize = 2000;

/** Entities a custom field can be associated with, as the emulator models them. */
export type CustomFieldEntity = 'Customer' | 'Invoice' | 'Estimate' | 'SalesReceipt';

/** A custom field definition of the App Foundations API: a typed field that applies to some entities. */
export interface CustomFieldDefinition {
  /** The GraphQL `id` (`udcf_N`). */
  id: string;
  /** `legacyIDV2`: the `DefinitionId` of the Accounting API. */
  legacyId: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'dropdown';
  /** For dropdowns, the values a write may choose from. */
  options: string[];
  entities: CustomFieldEntity[];
  active: boolean;
}

/** A change that QBO publishes through CDC and webhooks. */
export interface ChangeEvent {
  realmId: string;
  entity: string;
  id: string;
  operation: 'Create' | 'Update' | 'Delete' | 'Void' | 'Merge' | 'Emailed';
  at: Date;
  deletedId?: string;
}

/**
 * One QBO company (realm): its records per entity in Id order, the indexes QBO's rules need (unique names, doc
 * numbers), tombstones of hard-deleted transactions for CDC, and the `requestid` replay cache. Everything is in
 * memory; JavaScript's single thread makes each operation atomic.
 */
export class Company {
  readonly realmId: string;
  private readonly tables = new Map<string, Map<string, Stored>>();
  private readonly tombstones = new Map<string, Map<string, number>>();
  private readonly nextIds = new Map<string, number>();
  private readonly nextDocNumbers = new Map<string, number>();
  private readonly nameIndex = new Map<string, Map<string, string>>();
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private readonly requestLog: LoggedRequest[] = [];
  /** Home-currency units per one unit of each foreign currency, used when a transaction gives no ExchangeRate. */
  readonly exchangeRates = new Map<string, number>();
  /** Custom field definitions in creation order. */
  readonly customFields: CustomFieldDefinition[] = [];

  constructor(
    readonly settings: CompanySettings,
    readonly clock: Clock,
  ) {
    this.realmId = settings.realmId;
  }

  now(): Date {
    return this.clock.now();
  }

  timestamp(at: Date = this.now()): string {
    return formatQboDateTime(at, this.settings.timeZone);
  }

  responseTime(at: Date = this.now()): string {
    return formatQboDateTime(at, this.settings.timeZone, { millis: true });
  }

  today(at: Date = this.now()): string {
    return formatQboDate(at, this.settings.timeZone);
  }

  get(entity: string, id: string): QboRecord | undefined {
    return this.tables.get(entity)?.get(id)?.record;
  }

  /** Records of one entity in Id order. */
  *all(entity: string): IterableIterator<QboRecord> {
    for (const stored of this.tables.get(entity)?.values() ?? []) yield stored.record;
  }

  count(entity: string): number {
    return this.tables.get(entity)?.size ?? 0;
  }

  allocateId(entity: string): string {
    const next = this.nextIds.get(entity) ?? 1;
    this.nextIds.set(entity, next + 1);
    return String(next);
  }

  nextDocNumber(entity: string): string {
    const next = this.nextDocNumbers.get(entity) ?? 1001;
    this.nextDocNumbers.set(entity, next + 1);
    return String(next);
  }

  /**
   * Stores a new version of a record; the caller has already set Id, SyncToken and MetaData. Without `changedAt`
   * the record keeps its place in CDC (bookkeeping QBO does not publish, such as a customer's running balance).
   */
  put(entity: string, record: QboRecord, changedAt?: Date): void {
    let table = this.tables.get(entity);
    if (!table) this.tables.set(entity, (table = new Map<string, Stored>()));
    const previous = table.get(record.Id)?.changedAt;
    table.set(record.Id, { record, changedAt: changedAt?.getTime() ?? previous ?? this.now().getTime() });
  }

  /** Hard-deletes a transaction, leaving a tombstone that CDC reports as `status: "Deleted"`. */
  remove(entity: string, id: string, at: Date = this.now()): void {
    this.tables.get(entity)?.delete(id);
    let graves = this.tombstones.get(entity);
    if (!graves) this.tombstones.set(entity, (graves = new Map<string, number>()));
    graves.set(id, at.getTime());
  }

  /** Records changed at or after `since`, and ids deleted at or after it. */
  changedSince(
    entity: string,
    since: number,
  ): { records: { record: QboRecord; at: number }[]; deleted: { id: string; at: number }[] } {
    const records: { record: QboRecord; at: number }[] = [];
    for (const stored of this.tables.get(entity)?.values() ?? []) {
      if (stored.changedAt >= since) records.push({ record: stored.record, at: stored.changedAt });
    }
    const deleted: { id: string; at: number }[] = [];
    for (const [id, at] of this.tombstones.get(entity) ?? []) if (at >= since) deleted.push({ id, at });
    return { records, deleted };
  }

  /** The Id of the record of `entity` that holds `name` (case-insensitively, as QBO compares names). */
  nameOwner(scope: string, name: string): string | undefined {
    return this.nameIndex.get(scope)?.get(normaliseName(name));
  }

  claimName(scope: string, name: string, id: string): void {
    let index = this.nameIndex.get(scope);
    if (!index) this.nameIndex.set(scope, (index = new Map<string, string>()));
    index.set(normaliseName(name), id);
  }

  releaseName(scope: string, name: string): void {
    this.nameIndex.get(scope)?.delete(normaliseName(name));
  }

  logRequest(entry: LoggedRequest): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > requestLogSize)
      this.requestLog.splice(0, this.requestLog.length - requestLogSize);
  }

  /** The most recent API requests, oldest first. */
  requests(limit = requestLogSize): LoggedRequest[] {
    return this.requestLog.slice(-limit);
  }

  replay(requestId: string): { status: number; body: unknown } | undefined {
    return this.replies.get(requestId);
  }

  remember(requestId: string, reply: { status: number; body: unknown }): void {
    this.replies.set(requestId, reply);
  }
}

export function normaliseName(name: string): string {
  return name.trim().toLowerCase();
}
