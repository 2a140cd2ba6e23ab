import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import type { QboClient } from '../qbo';
import type { CompanyLists } from './validate';

/**
 * What a document is checked against before it is written: the company's country and currency settings, whether
 * its books are closed, its tax codes with their sales rates, and the lists a document may name (terms, classes,
 * locations, payment methods). Read from QBO and kept per connection for `maxAgeMs`, so a document usually costs no
 * QBO read before its write, and a refusal for tax costs none at all.
 */
const maxAgeMs = 10 * 60_000;

interface CompanyListsRecord extends CompanyLists {
  /** The connection id. */
  _id: string;
  fetchedAt: Date;
}

const schema = new Schema<CompanyListsRecord>(
  {
    _id: { type: String, required: true },
    fetchedAt: { type: Date, required: true },
    country: { type: String, required: true },
    homeCurrency: { type: String, required: true },
    multiCurrency: { type: Boolean, required: true },
    customTxnNumbers: { type: Boolean, required: true },
    bookCloseDate: String,
    taxCodes: { type: Schema.Types.Mixed, required: true },
    taxRates: { type: Schema.Types.Mixed, required: true },
    terms: { type: Schema.Types.Mixed, required: true },
    classes: { type: Schema.Types.Mixed, required: true },
    locations: { type: Schema.Types.Mixed, required: true },
    paymentMethods: { type: Schema.Types.Mixed, required: true },
    incomeAccounts: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'company_lists', versionKey: false, minimize: false },
);

function companyListsModel(db: MongoConnection): Model<CompanyListsRecord> {
  return (
    (db.models.CompanyLists as Model<CompanyListsRecord> | undefined) ?? db.model('CompanyLists', schema)
  );
}

/** The company's lists, from the cache while it is fresh, otherwise read from QBO and cached. */
export async function companyLists(
  db: MongoConnection,
  client: QboClient,
  connectionId: string,
  now: Date,
): Promise<CompanyLists> {
  const cached = await companyListsModel(db).findById(connectionId).lean();
  if (cached && now.getTime() - cached.fetchedAt.getTime() < maxAgeMs) return cached;
  const lists = await readCompanyLists(client);
  await companyListsModel(db).updateOne(
    { _id: connectionId },
    { $set: { ...lists, fetchedAt: now } },
    { upsert: true },
  );
  return lists;
}

async function everything<
  E extends 'TaxCode' | 'TaxRate' | 'Term' | 'Class' | 'Department' | 'PaymentMethod',
>(client: QboClient, entity: E) {
  const rows = [];
  for await (const page of client.queryAll(entity)) rows.push(...page.rows);
  return rows;
}

async function readCompanyLists(client: QboClient): Promise<CompanyLists> {
  const [info, preferences, taxCodes, taxRates, terms, classes, locations, paymentMethods, accounts] =
    await Promise.all([
      client.companyInfo(),
      client.preferences(),
      everything(client, 'TaxCode'),
      everything(client, 'TaxRate'),
      everything(client, 'Term'),
      everything(client, 'Class'),
      everything(client, 'Department'),
      everything(client, 'PaymentMethod'),
      client.query(`select * from Account where AccountType = 'Income' maxresults 1000`, {
        entity: 'Account',
      }),
    ]);
  const named = (rows: { Id: string; Name: string; FullyQualifiedName?: string; Active?: boolean }[]) =>
    rows.map((row) => ({
      id: row.Id,
      name: row.FullyQualifiedName ?? row.Name,
      active: row.Active !== false,
    }));
  const bookCloseDate = preferences.AccountingInfoPrefs?.BookCloseDate;
  return {
    country: (info.Country ?? 'US').toUpperCase(),
    homeCurrency: preferences.CurrencyPrefs?.HomeCurrency?.value ?? 'USD',
    multiCurrency: preferences.CurrencyPrefs?.MultiCurrencyEnabled ?? false,
    customTxnNumbers: preferences.SalesFormsPrefs?.CustomTxnNumbers ?? false,
    ...(bookCloseDate ? { bookCloseDate } : {}),
    taxCodes: taxCodes.map((code) => ({
      id: code.Id,
      name: code.Name,
      active: code.Active !== false,
      salesRateIds: (code.SalesTaxRateList?.TaxRateDetail ?? []).map((detail) => detail.TaxRateRef.value),
    })),
    taxRates: taxRates.map((rate) => ({ id: rate.Id, name: rate.Name, percent: rate.RateValue ?? 0 })),
    terms: named(terms),
    classes: named(classes),
    locations: named(locations),
    paymentMethods: named(paymentMethods),
    incomeAccounts: named(accounts.rows),
  };
}
