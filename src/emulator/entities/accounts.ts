import type { Company } from '../company';
import { fault } from '../faults';
import { currencyRef } from './currency';
import { compact, optionalBoolean, optionalRef, optionalString, refTo, resolveRef } from './fields';
import type { EntityDefinition } from './types';

/** Account types by classification, as the Account reference lists them. */
const classifications: Record<string, string> = {
  Bank: 'Asset',
  'Other Current Asset': 'Asset',
  'Fixed Asset': 'Asset',
  'Other Asset': 'Asset',
  'Accounts Receivable': 'Asset',
  Equity: 'Equity',
  Expense: 'Expense',
  'Other Expense': 'Expense',
  'Cost of Goods Sold': 'Expense',
  'Accounts Payable': 'Liability',
  'Credit Card': 'Liability',
  'Long Term Liability': 'Liability',
  'Other Current Liability': 'Liability',
  Income: 'Revenue',
  'Other Income': 'Revenue',
};

/** The detail types (AccountSubType) the emulator knows, with the type each belongs to. */
const subTypes: Record<string, string> = {
  ServiceFeeIncome: 'Income',
  SalesOfProductIncome: 'Income',
  DiscountsRefundsGiven: 'Income',
  OtherPrimaryIncome: 'Income',
  NonProfitIncome: 'Income',
  SuppliesMaterialsCogs: 'Cost of Goods Sold',
  CostOfLabourCos: 'Cost of Goods Sold',
  Inventory: 'Other Current Asset',
  UndepositedFunds: 'Other Current Asset',
  OtherCurrentAssets: 'Other Current Asset',
  AccountsReceivable: 'Accounts Receivable',
  Checking: 'Bank',
  Savings: 'Bank',
  SalesTaxPayable: 'Other Current Liability',
  GlobalTaxPayable: 'Other Current Liability',
  OtherCurrentLiabilities: 'Other Current Liability',
  AccountsPayable: 'Accounts Payable',
  AdvertisingPromotional: 'Expense',
  OfficeGeneralAdministrativeExpenses: 'Expense',
  OwnersEquity: 'Equity',
};

/** The detail type an account gets when a request names only its type. */
const defaultSubType: Record<string, string> = {
  Bank: 'Checking',
  'Other Current Asset': 'OtherCurrentAssets',
  'Accounts Receivable': 'AccountsReceivable',
  Equity: 'OwnersEquity',
  Expense: 'OfficeGeneralAdministrativeExpenses',
  'Cost of Goods Sold': 'SuppliesMaterialsCogs',
  'Accounts Payable': 'AccountsPayable',
  'Other Current Liability': 'OtherCurrentLiabilities',
  Income: 'ServiceFeeIncome',
  'Other Income': 'OtherPrimaryIncome',
};

/** The chart of accounts, for create and query. Income and expense accounts are always in the home currency. */
export const accountEntity: EntityDefinition = {
  name: 'Account',
  kind: 'name-list',
  nameField: 'Name',
  writable: new Set([
    'Name',
    'AcctNum',
    'AccountType',
    'AccountSubType',
    'Description',
    'Active',
    'ParentRef',
    'SubAccount',
    'CurrencyRef',
    'TaxCodeRef',
  ]),
  computed: new Set([
    'Classification',
    'FullyQualifiedName',
    'CurrentBalance',
    'CurrentBalanceWithSubAccounts',
    'AccountAlias',
    'TxnLocationType',
  ]),
  canCreate: true,
  canDelete: false,
  canVoid: false,
  build(fields, { company }) {
    const name = optionalString(fields, 'Name', 100)?.trim();
    if (!name) throw fault.requiredParam('Name');
    // "Cannot contain double quotes (") or colon (:)."
    if (/[":]/.test(name)) throw fault.businessValidation('Name must not contain " or :.', 'Name');
    const subType = optionalString(fields, 'AccountSubType', 100);
    const type = optionalString(fields, 'AccountType', 100) ?? (subType ? subTypes[subType] : undefined);
    if (!type) throw fault.requiredParam(subType ? 'AccountSubType' : 'AccountType');
    if (!classifications[type]) throw fault.invalidEnumeration('AccountType', type);
    if (subType !== undefined && subTypes[subType] !== undefined && subTypes[subType] !== type) {
      throw fault.businessValidation(
        `AccountSubType ${subType} does not belong to ${type}.`,
        'AccountSubType',
      );
    }
    const parentRef = optionalRef(fields, 'ParentRef');
    const parent = parentRef ? resolveRef(company, 'Account', parentRef, 'ParentRef') : undefined;
    // AcctNum: "Max: US/UK/IN=7, AU/CA=20 chars"
    const acctNumMax = ['AU', 'CA'].includes(company.settings.country) ? 20 : 7;
    return compact({
      Name: name,
      FullyQualifiedName: parent ? `${String(parent.FullyQualifiedName)}:${name}` : name,
      AcctNum: optionalString(fields, 'AcctNum', acctNumMax),
      Description: optionalString(fields, 'Description', 100),
      Classification: classifications[type],
      AccountType: type,
      AccountSubType: subType ?? defaultSubType[type],
      SubAccount: parent !== undefined,
      ParentRef: parent ? refTo(parent, 'Name') : undefined,
      Active: optionalBoolean(fields, 'Active') ?? true,
      CurrentBalance: 0,
      CurrentBalanceWithSubAccounts: 0,
      CurrencyRef: currencyRef(optionalRef(fields, 'CurrencyRef')?.value ?? company.settings.homeCurrency),
    });
  },
};

/** Accounts a new company starts with; Ids are fixed because items and transactions default to them. */
export const starterAccountIds = {
  services: '1',
  productSales: '2',
  costOfGoods: '3',
  undepositedFunds: '4',
  inventoryAsset: '5',
} as const;

/** The starter chart of accounts, in Id order (the Ids above depend on it). */
export function starterAccounts(company: Company): Record<string, unknown>[] {
  const taxAccount = {
    US: 'Sales Tax Payable',
    GB: 'VAT Control',
    CA: 'GST/HST Payable',
    AU: 'GST Payable',
  }[company.settings.country];
  return [
    { Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' },
    { Name: 'Sales of Product Income', AccountType: 'Income', AccountSubType: 'SalesOfProductIncome' },
    {
      Name: 'Cost of Goods Sold',
      AccountType: 'Cost of Goods Sold',
      AccountSubType: 'SuppliesMaterialsCogs',
    },
    { Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds' },
    { Name: 'Inventory Asset', AccountType: 'Other Current Asset', AccountSubType: 'Inventory' },
    { Name: 'Accounts Receivable (A/R)', AccountType: 'Accounts Receivable' },
    { Name: 'Checking', AccountType: 'Bank', AccountSubType: 'Checking' },
    { Name: 'Discounts given', AccountType: 'Income', AccountSubType: 'DiscountsRefundsGiven' },
    {
      Name: taxAccount,
      AccountType: 'Other Current Liability',
      AccountSubType: company.settings.country === 'US' ? 'SalesTaxPayable' : 'GlobalTaxPayable',
    },
  ];
}
