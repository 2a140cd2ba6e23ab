import type { Company } from '../company';
import { fault } from '../faults';
import { optionalBoolean, optionalString } from './fields';
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
