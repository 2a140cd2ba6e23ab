import type { Company } from '../company';
import { fault } from '../faults';
import type { EntityDefinition } from './types';

function readOnly(name: string): EntityDefinition {
  return {
    name,
    kind: 'company',
    writable: new Set([]),
    computed: new Set([]),
    canCreate: false,
    canDelete: false,
    canVoid: false,
    build() {
      // The emulator's companies are configured through /__admin; multicurrency "cannot be enabled via the API".
      throw fault.unsupportedOperation(`Operation Update is not supported for ${name} by this emulator.`);
    },
  };
}

export const companyInfoEntity = readOnly('CompanyInfo');
export const preferencesEntity = readOnly('Preferences');

/** The singleton records every company has: CompanyInfo (Id "1") and Preferences (Id "1"). */
export function writeCompanyRecords(company: Company): void {
  const { settings } = company;
  const at = company.now();
  const meta = { CreateTime: company.timestamp(at), LastUpdatedTime: company.timestamp(at) };
  company.put(
    'CompanyInfo',
    {
      Id: '1',
      SyncToken: '0',
      domain: 'QBO',
      sparse: false,
      CompanyName: settings.companyName,
      LegalName: settings.companyName,
      Country: settings.country,
      CompanyAddr: {
        Id: '1',
        Line1: '2500 Garcia Ave',
        City: 'Mountain View',
        CountrySubDivisionCode: 'CA',
        PostalCode: '94043',
        Country: settings.country === 'US' ? 'USA' : settings.country,
      },
      SupportedLanguages: 'en',
      FiscalYearStartMonth: 'January',
      CompanyStartDate: company.today(at),
      Email: { Address: 'donotreply@intuit.com' },
      WebAddr: {},
      NameValue: [
        { Name: 'SubscriptionStatus', Value: 'PAID' },
        { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
      ],
      MetaData: meta,
    },
    at,
  );
  company.put(
    'Preferences',
    {
      Id: '1',
      SyncToken: '0',
      domain: 'QBO',
      sparse: false,
      CurrencyPrefs: {
        // Intuit's Preferences sample: `"HomeCurrency": {"value": "USD"}`, a reference without a name.
        HomeCurrency: { value: settings.homeCurrency },
        MultiCurrencyEnabled: settings.multiCurrency,
      },
      SalesFormsPrefs: {
        CustomTxnNumbers: false,
        AllowEstimates: true,
        AutoApplyPayments: true,
        AutoApplyCredit: true,
        ETransactionEnabledStatus: 'NotApplicable',
      },
      AccountingInfoPrefs: {
        TrackDepartments: false,
        ClassTrackingPerTxn: false,
        CustomerTerminology: 'Customers',
      },
      EmailMessagesPrefs: {},
      OtherPrefs: { NameValue: [] },
      MetaData: meta,
    },
    at,
  );
}
