import { systemClock, type Clock } from './clock';
import { Company, type ChangeEvent, type CompanySettings } from './company';
import { countryProfiles, type Country } from './countries';
import { starterAccountIds, starterAccounts } from './entities/accounts';
import { writeCompanyRecords } from './entities/company-info';
import { writeTaxTables } from './entities/tax';
import type { Input } from './entities/types';
import { currencyNames } from './entities/currency';
import { createEntity } from './operations';
import { findEntity } from './entities';
import { TokenAuthority } from './oauth';
import { seededRandom } from './random';
import { RateLimiter, intuitLimits, type RateLimits } from './rate-limit';
import { WebhookDispatcher } from './webhooks';

/** Per-realm fault injection for the API paths (webhook faults live in the dispatcher). */
export interface RealmFaults {
  /** Added to every API request while it holds its concurrency slot. */
  latencyMs?: number;
  /** Probability per request of answering with that status instead (e.g. `{ "503": 0.1, "429": 0.05 }`). */
  errorRates?: Partial<Record<'429' | '500' | '502' | '503' | '504', number>>;
  /** The next N writes are committed, then the connection is dropped before the response is sent. */
  dropResponsesAfterCommit?: number;
  /** Send authentication and throttling errors as XML, as Intuit's gateway sometimes does. */
  xmlErrors?: boolean;
}

export interface EmulatorOptions {
  clock?: Clock;
  limits?: Partial<RateLimits>;
  /** Seed of the PRNG behind fault rates, so a fault-injection run is reproducible. */
  seed?: number;
  /** Scales Intuit's webhook retry schedule (0.001 turns 10 s into 10 ms). */
  webhookTimeFactor?: number;
  webhookBatchWindowMs?: number;
  /** Attempts per webhook batch before it is recorded as failed; Intuit retries every 6 h forever (the default). */
  webhookMaxAttempts?: number;
  /** Absolute base URL of the emulator, for the OAuth discovery document; derived from requests otherwise. */
  baseUrl?: string;
  /** Access token lifetime in seconds (Intuit: 3600). */
  accessTokenTtlSeconds?: number;
  /** How long a superseded refresh token stays usable (Intuit: 86400, 24 h). */
  previousRefreshTokenGraceSeconds?: number;
}

export interface NewCompany {
  companyName: string;
  /** The QBO edition, with its tax model, home currency and time zone (each can be overridden). */
  country?: Country;
  homeCurrency?: string;
  multiCurrency?: boolean;
  timeZone?: string;
  customTxnNumbers?: boolean;
  realmId?: string;
}

/** Default lists a new QBO company starts with, so transactions can reference terms, methods and items at once. */
const starterTerms = [
  { Name: 'Due on receipt', DueDays: 0 },
  { Name: 'Net 15', DueDays: 15 },
  { Name: 'Net 30', DueDays: 30 },
  { Name: 'Net 60', DueDays: 60 },
];
const starterPaymentMethods = [
  { Name: 'Cash', Type: 'NON_CREDIT_CARD' },
  { Name: 'Check', Type: 'NON_CREDIT_CARD' },
  { Name: 'Visa', Type: 'CREDIT_CARD' },
  { Name: 'MasterCard', Type: 'CREDIT_CARD' },
  { Name: 'American Express', Type: 'CREDIT_CARD' },
];
const starterItems = (company: Company): Input[] => [
  { Name: 'Services', Type: 'Service', UnitPrice: 0 },
  { Name: 'Hours', Type: 'Service', UnitPrice: 85 },
  { Name: 'Consulting', Type: 'Service', UnitPrice: 150 },
  { Name: 'Design', Type: 'Service', UnitPrice: 75 },
  {
    Name: 'Printed Brochure',
    Type: 'NonInventory',
    Sku: 'BRO-100',
    Description: 'Tri-fold brochure, 100 copies',
    UnitPrice: 12.5,
    IncomeAccountRef: { value: starterAccountIds.productSales },
    ExpenseAccountRef: { value: starterAccountIds.costOfGoods },
  },
  {
    Name: 'Rock Fountain',
    Type: 'Inventory',
    Sku: 'RF-275',
    Description: 'Rock Fountain',
    UnitPrice: 275,
    PurchaseCost: 125,
    TrackQtyOnHand: true,
    QtyOnHand: 25,
    InvStartDate: company.today(),
    IncomeAccountRef: { value: starterAccountIds.productSales },
    ExpenseAccountRef: { value: starterAccountIds.costOfGoods },
    AssetAccountRef: { value: starterAccountIds.inventoryAsset },
    Taxable: true,
  },
];
const starterClasses = [{ Name: 'Consulting' }, { Name: 'Design' }, { Name: 'Retail' }];
const starterDepartments = [{ Name: 'Headquarters' }, { Name: 'Downtown Store' }, { Name: 'Online' }];
/** Home-currency units per unit, used for demo companies with USD at home. */
const demoRatesToUsd: Record<string, number> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CAD: 0.73,
  AUD: 0.66,
  JPY: 0.0067,
  MXN: 0.058,
  INR: 0.012,
  CHF: 1.12,
  NZD: 0.6,
};

/**
 * The emulator's state: companies, the OAuth token authority, the webhook dispatcher, the per-realm throttles and
 * fault settings. HTTP routes (`createEmulatorApp`) are thin over this, so tests can also reach in directly.
 */
export class QboEmulator {
  readonly clock: Clock;
  readonly authority: TokenAuthority;
  readonly webhooks: WebhookDispatcher;
  readonly limiter: RateLimiter;
  readonly random: () => number;
  readonly baseUrl: string | undefined;
  private readonly companies = new Map<string, Company>();
  private readonly faults = new Map<string, RealmFaults>();
  private nextRealm = 1;
  private tokenResponsesToDrop = 0;

  constructor(options: EmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = seededRandom(options.seed ?? 20260115);
    this.baseUrl = options.baseUrl;
    this.authority = new TokenAuthority({
      clock: this.clock,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      previousRefreshTokenGraceSeconds: options.previousRefreshTokenGraceSeconds,
    });
    this.webhooks = new WebhookDispatcher({
      clock: this.clock,
      timeFactor: options.webhookTimeFactor ?? 1,
      batchWindowMs: options.webhookBatchWindowMs,
      maxAttempts: options.webhookMaxAttempts,
      random: this.random,
    });
    this.limiter = new RateLimiter({ ...intuitLimits, ...options.limits });
  }

  createCompany(input: NewCompany): Company {
    const profile = countryProfiles[input.country ?? 'US'];
    const homeCurrency = input.homeCurrency ?? profile.homeCurrency;
    if (!currencyNames[homeCurrency]) throw new Error(`unknown home currency ${homeCurrency}`);
    const realmId = input.realmId ?? `93414551${String(this.nextRealm++).padStart(8, '0')}`;
    if (this.companies.has(realmId)) throw new Error(`company ${realmId} already exists`);
    const settings: CompanySettings = {
      realmId,
      companyName: input.companyName,
      homeCurrency,
      multiCurrency: input.multiCurrency ?? false,
      timeZone: input.timeZone ?? profile.timeZone,
      country: profile.country,
      customTxnNumbers: input.customTxnNumbers ?? false,
    };
    const company = new Company(settings, this.clock);
    writeCompanyRecords(company);
    writeTaxTables(company);
    for (const [code, toUsd] of Object.entries(demoRatesToUsd)) {
      const homeToUsd = demoRatesToUsd[homeCurrency] ?? 1;
      if (code !== homeCurrency) company.exchangeRates.set(code, Math.round((toUsd / homeToUsd) * 1e6) / 1e6);
    }
    const starters: [string, Input[]][] = [
      ['Account', starterAccounts(company)],
      ['Term', starterTerms],
      ['PaymentMethod', starterPaymentMethods],
      ['Class', starterClasses],
      ['Department', starterDepartments],
      ['Item', starterItems(company)],
    ];
    for (const [entity, records] of starters) {
      for (const record of records)
        createEntity(company, findEntity(entity)!, { ...record }, { asUser: true });
    }
    this.companies.set(realmId, company);
    return company;
  }

  company(realmId: string): Company | undefined {
    return this.companies.get(realmId);
  }

  listCompanies(): Company[] {
    return [...this.companies.values()];
  }

  realmFaults(realmId: string): RealmFaults {
    return this.faults.get(realmId) ?? {};
  }

  setRealmFaults(realmId: string, faults: RealmFaults): void {
    this.faults.set(realmId, faults);
  }

  /** Takes one "drop the response after commit" token if any is armed for this realm. */
  takeResponseDrop(realmId: string): boolean {
    const faults = this.faults.get(realmId);
    if (!faults?.dropResponsesAfterCommit) return false;
    faults.dropResponsesAfterCommit -= 1;
    return true;
  }

  /** Arms the token endpoint to issue (and rotate) the next `count` tokens, then drop the connection unanswered. */
  dropTokenResponses(count: number): void {
    this.tokenResponsesToDrop = count;
  }

  takeTokenResponseDrop(): boolean {
    if (this.tokenResponsesToDrop <= 0) return false;
    this.tokenResponsesToDrop -= 1;
    return true;
  }

  /** Publishes committed changes to webhook subscribers (CDC reads the store itself). */
  publish(events: ChangeEvent[]): void {
    for (const event of events) {
      this.webhooks.notify({
        realmId: event.realmId,
        name: event.entity,
        id: event.id,
        operation: event.operation,
        lastUpdated: event.at,
        deletedId: event.deletedId,
      });
    }
  }

  /**
   * Back to the state at start-up: no companies, faults, counters, webhooks, codes or tokens, and the limits and
   * OAuth settings as configured. Tokens go too because realmIds are handed out again from the first one, and an old
   * token must not open the new company that reuses its realmId. The clock and the fault PRNG carry on.
   */
  reset(): void {
    this.companies.clear();
    this.faults.clear();
    this.limiter.reset();
    this.webhooks.reset();
    this.authority.reset();
    this.tokenResponsesToDrop = 0;
    this.nextRealm = 1;
  }

  async close(): Promise<void> {
    await this.webhooks.close();
  }
}
