import type { Company } from '../company';
import { countryProfiles } from '../countries';
import { insertSystemRecord, readOnlyEntity } from './system-records';

// The emulator's companies are configured through /__admin; multicurrency "cannot be enabled via the API".
const configuredByAdmin = 'companies are configured through the admin API.';
export const companyInfoEntity = readOnlyEntity('CompanyInfo', 'company', [], configuredByAdmin);
export const preferencesEntity = readOnlyEntity('Preferences', 'company', [], configuredByAdmin);

/** The singleton records every company has: CompanyInfo (Id "1") and Preferences (Id "1"), as its country has them. */
export function writeCompanyRecords(company: Company): void {
  const { settings } = company;
  const profile = countryProfiles[settings.country];
  insertSystemRecord(
    company,
    'CompanyInfo',
    {
      CompanyName: settings.companyName,
      LegalName: settings.companyName,
      Country: settings.country,
      // ISO-3 since Intuit's 2025 change ("United States" is returned as "USA").
      CompanyAddr: { Id: '1', ...profile.address, Country: profile.iso3 },
      SupportedLanguages: 'en',
      FiscalYearStartMonth: 'January',
      CompanyStartDate: company.today(),
      Email: { Address: 'donotreply@intuit.com' },
      WebAddr: {},
      NameValue: [
        { Name: 'SubscriptionStatus', Value: 'PAID' },
        { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
      ],
    },
    '1',
  );
  insertSystemRecord(
    company,
    'Preferences',
    {
      CurrencyPrefs: {
        // Intuit's Preferences sample: `"HomeCurrency": {"value": "USD"}`, a reference without a name.
        HomeCurrency: { value: settings.homeCurrency },
        MultiCurrencyEnabled: settings.multiCurrency,
      },
      SalesFormsPrefs: {
        CustomTxnNumbers: settings.customTxnNumbers,
        AllowEstimates: true,
        AllowDiscount: true,
        AutoApplyPayments: true,
        AutoApplyCredit: true,
        ETransactionEnabledStatus: 'NotApplicable',
      },
      AccountingInfoPrefs: {
        TrackDepartments: true,
        DepartmentTerminology: 'Location',
        ClassTrackingPerTxn: true,
        ClassTrackingPerTxnLine: true,
        CustomerTerminology: 'Customers',
      },
      // US companies run automated sales tax (PartnerTaxEnabled); the others keep VAT/GST codes of their own.
      TaxPrefs:
        profile.taxModel === 'sales-tax'
          ? { UsingSalesTax: true, PartnerTaxEnabled: true }
          : { UsingSalesTax: true },
      ProductAndServicesPrefs: {
        ForSales: true,
        ForPurchase: true,
        QuantityWithPriceAndRate: true,
        QuantityOnHand: true,
      },
      EmailMessagesPrefs: {},
      OtherPrefs: { NameValue: [] },
    },
    '1',
  );
}
