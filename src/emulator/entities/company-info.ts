import { cityMapping } from 'city-timezones';
import { subdivision } from 'iso-3166-2';
import type { Company, CompanySettings } from '../company';
import { countryProfiles } from '../countries';
import { insertSystemRecord, readOnlyEntity } from './system-records';

// The emulator's companies are configured through /__admin; multicurrency "cannot be enabled via the API".
const configuredByAdmin = 'companies are configured through the admin API.';
export const companyInfoEntity = readOnlyEntity('CompanyInfo', 'company', [], configuredByAdmin);
export const preferencesEntity = readOnlyEntity('Preferences', 'company', [], configuredByAdmin);

/**
 * Where the company is. QBO has no time zone field, so a company set in another zone of its country than the
 * country's sample address (`timeZone` on `/__admin/companies`) is placed in that zone's most populous city, as a
 * real company in that zone would have its address there. A zone outside the country keeps the sample address.
 */
function companyAddress(settings: CompanySettings): Record<string, string> {
  const profile = countryProfiles[settings.country];
  const sample = { Id: '1', ...profile.address, Country: profile.iso3 };
  if (settings.timeZone === profile.timeZone) return sample;
  const [place] = cityMapping
    .filter((city) => city.iso2 === settings.country && city.timezone === settings.timeZone)
    .sort((a, b) => b.pop - a.pop);
  if (place === undefined) return sample;
  // US states as QBO's samples have them (`CA`); elsewhere the ISO 3166-2 code (`ON`, `NSW`) where there is one.
  const region =
    place.state_ansi ?? subdivision(settings.country, place.province)?.regionCode ?? place.province;
  return { Id: '1', City: place.city, CountrySubDivisionCode: region, Country: profile.iso3 };
}

/** The singleton records every company has: CompanyInfo (Id "1") and Preferences (Id "1"), as its country has them. */
export function writeCompanyRecords(company: Company): void {
  const { settings } = company;
  const profile = countryProfiles[settings.country];
  const address = companyAddress(settings);
  insertSystemRecord(
    company,
    'CompanyInfo',
    {
      CompanyName: settings.companyName,
      LegalName: settings.companyName,
      Country: settings.country,
      // ISO-3 since Intuit's 2025 change ("United States" is returned as "USA").
      CompanyAddr: address,
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
