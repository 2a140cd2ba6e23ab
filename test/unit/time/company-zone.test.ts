import { companyTimeZone, companyToday, defaultCompanyTimeZone } from '../../../src/time/company-zone';
import { inferCompanyTimeZone, type CompanyInfoForZone } from '../../../src/time/infer-company-zone';
import { isTimeZone } from '../../../src/time/zoned-time';

describe("a company's time zone, inferred from CompanyInfo", () => {
  it.each<[string, CompanyInfoForZone, string, string]>([
    // Intuit's CompanyInfo sample: Mountain View is not among the places, California is.
    [
      "Intuit's sample company",
      { Country: 'US', CompanyAddr: { City: 'Mountain View', CountrySubDivisionCode: 'CA', Country: 'USA' } },
      'America/Los_Angeles',
      'region',
    ],
    [
      'a city whose state keeps no DST',
      { Country: 'US', CompanyAddr: { City: 'Tucson', CountrySubDivisionCode: 'AZ' } },
      'America/Phoenix',
      'city',
    ],
    [
      'a city in the minority zone of its state',
      { Country: 'US', CompanyAddr: { City: 'El Paso', CountrySubDivisionCode: 'TX' } },
      'America/Denver',
      'city',
    ],
    [
      "a town the state's zone covers",
      { Country: 'US', CompanyAddr: { City: 'Smallville', CountrySubDivisionCode: 'TX' } },
      'America/Chicago',
      'region',
    ],
    [
      'a state written out',
      { Country: 'US', CompanyAddr: { CountrySubDivisionCode: 'New York' } },
      'America/New_York',
      'region',
    ],
    [
      'a province by its ISO code',
      { Country: 'CA', CompanyAddr: { City: 'Nowhere', CountrySubDivisionCode: 'SK' } },
      'America/Regina',
      'region',
    ],
    [
      'a province with its accents',
      { Country: 'CA', CompanyAddr: { CountrySubDivisionCode: 'québec' } },
      'America/Montreal',
      'region',
    ],
    [
      'an Australian state by its code',
      { Country: 'AU', CompanyAddr: { CountrySubDivisionCode: 'QLD' } },
      'Australia/Brisbane',
      'region',
    ],
    [
      'an Australian city',
      { Country: 'AU', CompanyAddr: { City: 'Sydney', CountrySubDivisionCode: 'NSW' } },
      'Australia/Sydney',
      'city',
    ],
    [
      'a city without a region',
      { Country: 'IN', CompanyAddr: { City: 'Bengaluru' } },
      'Asia/Kolkata',
      'city',
    ],
    [
      'the legal address when the company address says nothing',
      { Country: 'US', CompanyAddr: {}, LegalAddr: { City: 'Denver', CountrySubDivisionCode: 'CO' } },
      'America/Denver',
      'city',
    ],
    [
      'only an ISO-3 country, as CompanyAddr has it since 2025',
      { CompanyAddr: { Country: 'GBR' } },
      'Europe/London',
      'country',
    ],
    [
      'only a country of several zones: where most people live',
      { Country: 'US' },
      'America/New_York',
      'country',
    ],
    [
      'an address abroad is no evidence for the company country',
      { Country: 'GB', CompanyAddr: { City: 'Chicago', Country: 'USA' } },
      'Europe/London',
      'country',
    ],
    ['nothing to go on', {}, 'America/Los_Angeles', 'default'],
    ['a country no one knows', { Country: 'ZZ' }, 'America/Los_Angeles', 'default'],
  ])('%s', (_case, info, name, basis) => {
    const zone = inferCompanyTimeZone(info);
    expect(zone).toEqual({ name, basis });
    expect(isTimeZone(zone.name)).toBe(true);
  });

  it('judges "today" in the recorded zone, and in Pacific time when none was recorded', () => {
    // 17:00 UTC on 2 March is the morning of the 2nd in Los Angeles and the small hours of the 3rd in Sydney.
    const at = new Date('2026-03-02T17:00:00Z');
    const sydney = { timeZone: { name: 'Australia/Sydney', basis: 'city' as const } };
    expect(companyToday(at, sydney)).toBe('2026-03-03');
    expect(companyToday(at, {})).toBe('2026-03-02');
    expect(companyTimeZone({})).toEqual(defaultCompanyTimeZone);
    expect(companyTimeZone({ timeZone: null })).toEqual(defaultCompanyTimeZone);
    expect(companyTimeZone(sydney)).toEqual(sydney.timeZone);
  });

  it('knows IANA zones and nothing else', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
