/**
 * The four QBO editions the emulator models, each with its real tax model (sources in docs/emulator.md):
 * - US: sales tax. Lines say only whether they are taxable (the pseudo tax codes TAX and NON); the transaction's
 *   `TxnTaxDetail.TxnTaxCodeRef` names the company tax code whose rates apply (automated sales tax picks the
 *   company's own code when none is given).
 * - GB, CA, AU: VAT or GST. Every sales line carries a `TaxCodeRef` to a company tax code, and
 *   `GlobalTaxCalculation` says whether amounts exclude or include tax.
 */
export const countries = ['US', 'GB', 'CA', 'AU'] as const;
export type Country = (typeof countries)[number];

export interface TaxAgencySeed {
  DisplayName: string;
}

export interface TaxRateSeed {
  Name: string;
  Description: string;
  RateValue: number;
  /** Index into the country's agencies. */
  agency: number;
}

export interface TaxCodeSeed {
  Name: string;
  Description: string;
  /** Indexes into the country's rates, for sales; a code without sales rates applies to purchases only. */
  sales: number[];
  purchases?: number[];
}

export interface CountryProfile {
  country: Country;
  homeCurrency: string;
  timeZone: string;
  /** `CompanyAddr.Country`, an ISO-3 code since Intuit's 2025 address change. */
  iso3: string;
  address: { Line1: string; City: string; CountrySubDivisionCode: string; PostalCode: string };
  taxModel: 'sales-tax' | 'per-line';
  /** How QBO names the tax in "Make sure all your transactions have a … rate before you save." */
  taxName: string;
  agencies: TaxAgencySeed[];
  rates: TaxRateSeed[];
  codes: TaxCodeSeed[];
}

export const countryProfiles: Record<Country, CountryProfile> = {
  US: {
    country: 'US',
    homeCurrency: 'USD',
    timeZone: 'America/Los_Angeles',
    iso3: 'USA',
    address: {
      Line1: '2500 Garcia Ave',
      City: 'Mountain View',
      CountrySubDivisionCode: 'CA',
      PostalCode: '94043',
    },
    taxModel: 'sales-tax',
    taxName: 'sales tax',
    agencies: [{ DisplayName: 'California Department of Tax and Fee Administration' }],
    rates: [
      { Name: 'California', Description: 'Sales Tax', RateValue: 7.25, agency: 0 },
      { Name: 'San Francisco County', Description: 'Sales Tax', RateValue: 1.375, agency: 0 },
    ],
    codes: [
      { Name: 'California', Description: 'California', sales: [0] },
      { Name: 'San Francisco', Description: 'San Francisco', sales: [0, 1] },
    ],
  },
  GB: {
    country: 'GB',
    homeCurrency: 'GBP',
    timeZone: 'Europe/London',
    iso3: 'GBR',
    address: { Line1: '1 Poultry', City: 'London', CountrySubDivisionCode: 'ENG', PostalCode: 'EC2R 8EJ' },
    taxModel: 'per-line',
    taxName: 'VAT',
    agencies: [{ DisplayName: 'HM Revenue & Customs' }],
    rates: [
      { Name: '20.0% S', Description: 'Standard', RateValue: 20, agency: 0 },
      { Name: '5.0% R', Description: 'Reduced', RateValue: 5, agency: 0 },
      { Name: '0.0% Z', Description: 'Zero-rated', RateValue: 0, agency: 0 },
      { Name: 'Exempt', Description: 'Exempt', RateValue: 0, agency: 0 },
      { Name: '20.0% ECG', Description: 'EC Goods Standard', RateValue: 20, agency: 0 },
    ],
    codes: [
      { Name: '20.0% S', Description: 'Standard', sales: [0], purchases: [0] },
      { Name: '5.0% R', Description: 'Reduced', sales: [1], purchases: [1] },
      { Name: '0.0% Z', Description: 'Zero-rated', sales: [2], purchases: [2] },
      { Name: 'Exempt', Description: 'Exempt', sales: [3], purchases: [3] },
      { Name: '20.0% ECG', Description: 'EC Goods Standard', sales: [], purchases: [4] },
    ],
  },
  CA: {
    country: 'CA',
    homeCurrency: 'CAD',
    timeZone: 'America/Toronto',
    iso3: 'CAN',
    address: { Line1: '100 King St W', City: 'Toronto', CountrySubDivisionCode: 'ON', PostalCode: 'M5X 1A9' },
    taxModel: 'per-line',
    taxName: 'GST/HST',
    agencies: [{ DisplayName: 'Canada Revenue Agency' }, { DisplayName: 'Minister of Finance (BC)' }],
    rates: [
      { Name: 'GST', Description: 'Goods and Services Tax', RateValue: 5, agency: 0 },
      { Name: 'HST ON', Description: 'Harmonized Sales Tax (Ontario)', RateValue: 13, agency: 0 },
      { Name: 'HST NB', Description: 'Harmonized Sales Tax (New Brunswick)', RateValue: 15, agency: 0 },
      { Name: 'PST BC', Description: 'Provincial Sales Tax (British Columbia)', RateValue: 7, agency: 1 },
      { Name: 'Zero-rated', Description: 'Zero-rated', RateValue: 0, agency: 0 },
      { Name: 'Exempt', Description: 'Exempt', RateValue: 0, agency: 0 },
    ],
    codes: [
      { Name: 'GST', Description: 'GST', sales: [0], purchases: [0] },
      { Name: 'HST ON', Description: 'HST ON', sales: [1], purchases: [1] },
      { Name: 'HST NB', Description: 'HST NB', sales: [2], purchases: [2] },
      { Name: 'GST/PST BC', Description: 'GST/PST BC', sales: [0, 3], purchases: [0] },
      { Name: 'Zero-rated', Description: 'Zero-rated', sales: [4], purchases: [4] },
      { Name: 'Exempt', Description: 'Exempt', sales: [5], purchases: [5] },
    ],
  },
  AU: {
    country: 'AU',
    homeCurrency: 'AUD',
    timeZone: 'Australia/Sydney',
    iso3: 'AUS',
    address: { Line1: '1 Martin Pl', City: 'Sydney', CountrySubDivisionCode: 'NSW', PostalCode: '2000' },
    taxModel: 'per-line',
    taxName: 'GST',
    agencies: [{ DisplayName: 'Australian Taxation Office' }],
    rates: [
      { Name: 'GST (sales)', Description: 'GST', RateValue: 10, agency: 0 },
      { Name: 'GST free (sales)', Description: 'GST free', RateValue: 0, agency: 0 },
      { Name: 'GST on capital', Description: 'GST on capital purchases', RateValue: 10, agency: 0 },
    ],
    codes: [
      { Name: 'GST', Description: 'GST', sales: [0], purchases: [0] },
      { Name: 'GST free', Description: 'GST free', sales: [1], purchases: [1] },
      { Name: 'CAG', Description: 'GST on capital', sales: [], purchases: [2] },
    ],
  },
};
