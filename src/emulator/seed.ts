import type { Company, QboRecord } from './company';
import { countryProfiles } from './countries';
import { findEntity } from './entities';
import type { Input } from './entities/types';
import { money } from './entities/fields';
import { createEntity } from './operations';
import { seededRandom } from './random';

export interface SeedOptions {
  customers: number;
  transactions: number;
  /** Same seed, same company. */
  seed?: number;
}

export interface SeedSummary {
  customers: number;
  invoices: number;
  payments: number;
  estimates: number;
  salesReceipts: number;
  creditMemos: number;
  refundReceipts: number;
  overdueInvoices: number;
  milliseconds: number;
}

const givenNames = [
  'Amy',
  'Bill',
  'Carla',
  'Dylan',
  'Erin',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Lars',
  'Maya',
  'Nico',
  'Olga',
  'Pedro',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoe',
];
const familyNames = [
  'Lucchini',
  "O'Brien",
  'Sollfrank',
  'Nakamura',
  'Okafor',
  'Schmidt',
  'Garcia',
  'Dubois',
  'Kowalski',
  'Haddad',
  'Lindqvist',
  'Moreau',
  'Rossi',
  'Tanaka',
  'Walsh',
  'Yilmaz',
];
const businesses = [
  'Bird Sanctuary',
  'Windsurf Shop',
  'Groceries',
  'Bakery',
  'Landscaping',
  'Dental',
  'Cool Cars',
  'Pet Care',
  'Plumbing',
  'Studio',
  'Diner',
  'Books & Co',
];
const cities = [
  ['Half Moon Bay', 'CA', '94213'],
  ['Mountain View', 'CA', '94043'],
  ['Austin', 'TX', '73301'],
  ['Portland', 'OR', '97201'],
  ['Denver', 'CO', '80202'],
] as const;
const foreignCurrencies = ['EUR', 'GBP', 'CAD'];

/**
 * Fills a company with a realistic, deterministic book of business through the same rules as the API: customers
 * (some in foreign currencies, some sub-customers), invoices of which some are overdue, partial and full payments,
 * estimates in every status, sales receipts, credit memos and refund receipts. Nothing is published as a webhook.
 */
export function seedCompany(company: Company, options: SeedOptions): SeedSummary {
  const started = Date.now();
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const create = (entity: string, body: Input): QboRecord =>
    createEntity(company, findEntity(entity)!, body).record;
  const today = new Date(`${company.today()}T00:00:00Z`);
  const daysAgo = (days: number): string =>
    new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const terms = [...company.all('Term')];
  const methods = [...company.all('PaymentMethod')];
  // The service items: the products of the starter catalogue are left to clients, so the seeded book stays the same.
  const items = [...company.all('Item')].filter(
    (item) => item.Type === 'Service' && Number(item.UnitPrice) > 0,
  );
  // VAT and GST companies need a tax code on every line: the standard one (the first code of the tax tables).
  const lineTaxCode =
    countryProfiles[company.settings.country].taxModel === 'per-line'
      ? { TaxCodeRef: { value: [...company.all('TaxCode')][0]!.Id } }
      : {};
  const summary: SeedSummary = {
    customers: 0,
    invoices: 0,
    payments: 0,
    estimates: 0,
    salesReceipts: 0,
    creditMemos: 0,
    refundReceipts: 0,
    overdueInvoices: 0,
    milliseconds: 0,
  };

  const customers: QboRecord[] = [];
  for (let index = 1; index <= options.customers; index += 1) {
    const given = pick(givenNames);
    const family = pick(familyNames);
    const business = random() < 0.6 ? `${family} ${pick(businesses)}` : undefined;
    const [city, state, zip] = pick(cities);
    const parent = customers.length > 0 && random() < 0.05 ? pick(customers) : undefined;
    const currency =
      company.settings.multiCurrency && random() < 0.2
        ? pick(foreignCurrencies)
        : company.settings.homeCurrency;
    const customer = create('Customer', {
      GivenName: given,
      FamilyName: family,
      DisplayName: `${business ?? `${given} ${family}`} ${index}`,
      CompanyName: business,
      PrimaryEmailAddr: {
        Address: `${given}.${family.replace(/\W/g, '')}${index}@example.com`.toLowerCase(),
      },
      PrimaryPhone: { FreeFormNumber: `(415) 555-${String(index % 10_000).padStart(4, '0')}` },
      Mobile:
        random() < 0.5
          ? { FreeFormNumber: `(650) 555-${String((index * 7) % 10_000).padStart(4, '0')}` }
          : undefined,
      BillAddr: {
        Line1: `${100 + (index % 900)} Ocean Dr.`,
        City: city,
        CountrySubDivisionCode: state,
        PostalCode: zip,
        Country: 'USA',
      },
      SalesTermRef: { value: pick(terms).Id },
      PaymentMethodRef: { value: pick(methods).Id },
      PreferredDeliveryMethod: random() < 0.7 ? 'Email' : 'Print',
      CurrencyRef: parent ? parent.CurrencyRef : { value: currency },
      Job: parent !== undefined,
      ParentRef: parent ? { value: parent.Id } : undefined,
      Notes: random() < 0.2 ? 'Prefers email before noon.' : undefined,
    });
    customers.push(customer);
    summary.customers += 1;
  }
  if (customers.length === 0) return { ...summary, milliseconds: Date.now() - started };

  const lines = (): Input[] =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      const item = pick(items);
      const qty = 1 + Math.floor(random() * 8);
      const unitPrice = Number(item.UnitPrice);
      return {
        DetailType: 'SalesItemLineDetail',
        Amount: money(qty * unitPrice),
        SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: qty, UnitPrice: unitPrice, ...lineTaxCode },
      };
    });
  const openInvoices: QboRecord[] = [];
  const todayText = company.today();
  for (let index = 0; index < options.transactions; index += 1) {
    const customer = pick(customers);
    const roll = random();
    const txnDate = daysAgo(Math.floor(random() * 120));
    if (roll < 0.25 && openInvoices.length > 0) {
      const invoice = openInvoices.splice(Math.floor(random() * openInvoices.length), 1)[0]!;
      const balance = Number(invoice.Balance);
      const amount = random() < 0.6 ? balance : money(balance * (0.2 + random() * 0.6));
      create('Payment', {
        CustomerRef: invoice.CustomerRef,
        TotalAmt: amount,
        TxnDate: (invoice.TxnDate as string) > txnDate ? invoice.TxnDate : txnDate,
        PaymentMethodRef: { value: pick(methods).Id },
        Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      });
      summary.payments += 1;
    } else if (roll < 0.75) {
      const invoice = create('Invoice', {
        CustomerRef: { value: customer.Id },
        TxnDate: txnDate,
        Line: lines(),
      });
      openInvoices.push(invoice);
      summary.invoices += 1;
    } else if (roll < 0.85) {
      const status = pick(['Pending', 'Accepted', 'Closed', 'Rejected', 'Converted'] as const);
      create('Estimate', {
        CustomerRef: { value: customer.Id },
        TxnDate: txnDate,
        TxnStatus: status,
        ExpirationDate: daysAgo(Math.floor(random() * 120) - 60),
        AcceptedDate: status === 'Accepted' ? txnDate : undefined,
        Line: lines(),
      });
      summary.estimates += 1;
    } else if (roll < 0.95) {
      create('SalesReceipt', {
        CustomerRef: { value: customer.Id },
        TxnDate: txnDate,
        PaymentMethodRef: { value: pick(methods).Id },
        Line: lines(),
      });
      summary.salesReceipts += 1;
    } else if (roll < 0.98) {
      create('CreditMemo', { CustomerRef: { value: customer.Id }, TxnDate: txnDate, Line: lines() });
      summary.creditMemos += 1;
    } else {
      create('RefundReceipt', {
        CustomerRef: { value: customer.Id },
        TxnDate: txnDate,
        PaymentMethodRef: { value: pick(methods).Id },
        Line: lines(),
      });
      summary.refundReceipts += 1;
    }
  }
  for (const invoice of company.all('Invoice')) {
    if (Number(invoice.Balance) > 0 && String(invoice.DueDate) < todayText) summary.overdueInvoices += 1;
  }
  return { ...summary, milliseconds: Date.now() - started };
}
