import type { Company, QboRecord } from '../company';
import { fault } from '../faults';
import { isObject, optionalBoolean, optionalNumber, optionalRef, optionalString } from './fields';
import type { Input } from './types';
import type { EntityDefinition } from './types';

/** ISO 4217 codes the emulator knows, with the names QBO shows for them. */
export const currencyNames: Record<string, string> = {
  USD: 'United States Dollar',
  EUR: 'Euro',
  GBP: 'British Pound Sterling',
  CAD: 'Canadian Dollar',
  AUD: 'Australian Dollar',
  JPY: 'Japanese Yen',
  MXN: 'Mexican Peso',
  INR: 'Indian Rupee',
  CHF: 'Swiss Franc',
  NZD: 'New Zealand Dollar',
};

export function currencyRef(code: string): { value: string; name: string } {
  return { value: code, name: currencyNames[code] ?? code };
}

/**
 * Checks a currency for a customer or transaction: it must be the home currency unless multicurrency is on
 * ("disabled … by default"; "all objects are, by default, in the home currency").
 */
export function checkCurrency(company: Company, code: string, element: string): void {
  if (!currencyNames[code]) throw fault.invalidReference(element);
  if (code !== company.settings.homeCurrency && !company.settings.multiCurrency) {
    throw fault.businessValidation(
      `Multicurrency is not enabled for this company. Only ${company.settings.homeCurrency} can be used.`,
      element,
    );
  }
}

/** "If specified currency is not currently in the company's currency list, it is added." */
export function ensureCompanyCurrency(company: Company, code: string): void {
  if (code === company.settings.homeCurrency) return;
  for (const record of company.all('CompanyCurrency')) if (record.Code === code) return;
  const at = company.now();
  company.put('CompanyCurrency', {
    Id: company.allocateId('CompanyCurrency'),
    SyncToken: '0',
    domain: 'QBO',
    sparse: false,
    Code: code,
    Name: currencyNames[code] ?? code,
    Active: true,
    MetaData: { CreateTime: company.timestamp(at), LastUpdatedTime: company.timestamp(at) },
  });
}

/** Home-currency units per one unit of `code` (1 for the home currency). */
export function exchangeRate(company: Company, code: string): number {
  if (code === company.settings.homeCurrency) return 1;
  return company.exchangeRates.get(code) ?? 1;
}

export const companyCurrencyEntity: EntityDefinition = {
  name: 'CompanyCurrency',
  kind: 'name-list',
  writable: new Set(['Code', 'Name', 'Active', 'CustomField']),
  computed: new Set([]),
  canCreate: true,
  canDelete: false,
  canVoid: false,
  build(fields, { company, current }) {
    if (!company.settings.multiCurrency) {
      throw fault.businessValidation('Multicurrency is not enabled for this company.');
    }
    const code = optionalString(fields, 'Code', 3);
    if (!code) throw fault.requiredParam('Code');
    if (current && current.Code !== code)
      throw fault.businessValidation('A currency code cannot be changed.', 'Code');
    if (!currencyNames[code]) throw fault.invalidReference('Code');
    if (!current) {
      for (const record of company.all('CompanyCurrency')) {
        if (record.Code === code) throw fault.duplicateName();
      }
    }
    return { Code: code, Name: currencyNames[code], Active: optionalBoolean(fields, 'Active') ?? true };
  },
};

/**
 * A transaction's currency and exchange rate: the customer's currency unless given, and it must match the
 * customer's ("only one currency can be assigned to a given name list object"). The rate is home units per foreign
 * unit, from the request or the company's table, and 1 for the home currency.
 */
export function transactionCurrency(
  company: Company,
  fields: Input,
  customer: QboRecord,
): { code: string; rate: number } {
  const customerCurrency = isObject(customer.CurrencyRef)
    ? String(customer.CurrencyRef.value)
    : company.settings.homeCurrency;
  const code = optionalRef(fields, 'CurrencyRef')?.value ?? customerCurrency;
  checkCurrency(company, code, 'CurrencyRef');
  if (code !== customerCurrency) {
    throw fault.businessValidation(
      `The transaction currency ${code} does not match the customer's currency ${customerCurrency}.`,
      'CurrencyRef',
    );
  }
  const given = optionalNumber(fields, 'ExchangeRate');
  if (given !== undefined && given <= 0)
    throw fault.invalidValue('ExchangeRate', 'Must be greater than zero.');
  return { code, rate: code === company.settings.homeCurrency ? 1 : (given ?? exchangeRate(company, code)) };
}
