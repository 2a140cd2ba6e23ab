import { cityMapping, type CityData } from 'city-timezones';
import { country as isoCountry, subdivision as isoSubdivision } from 'iso-3166-2';
import { defaultCompanyTimeZone, type CompanyTimeZone } from './company-zone';
import { isTimeZone } from './zoned-time';

/**
 * Infers a QuickBooks company's IANA time zone from CompanyInfo. QBO has no time zone field: neither CompanyInfo
 * nor Preferences carries one, and its timestamps do not tell either, since Intuit answered that MetaData times are
 * Pacific whatever the company (intuit/QuickBooks-V3-Java-SDK#26). What CompanyInfo does have is the company's
 * `Country` and its addresses, so the zone is the one of the address: its city if the city is known, else its state
 * or province, else its country, each time the zone where most of those places' people live (Natural Earth's
 * populated places, through the city-timezones package). An IANA zone keeps daylight saving time, which a fixed
 * offset would lose.
 */

interface QboAddress {
  City?: string;
  CountrySubDivisionCode?: string;
  Country?: string;
}

export interface CompanyInfoForZone {
  /** ISO 3166 alpha-2 (`US`); CompanyAddr.Country is alpha-3 (`USA`) since Intuit's 2025 change. */
  Country?: string;
  CompanyAddr?: QboAddress;
  LegalAddr?: QboAddress;
}

/** Case, accents and spacing aside: QBO addresses are typed by people ("Québec", "quebec", "QC"). */
function normalized(text: string | undefined): string {
  return (text ?? '')
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

let placesByCountry: Map<string, CityData[]> | undefined;

/** The places of a country (ISO alpha-2) with a zone this runtime knows, indexed once. */
function placesOf(countryCode: string): CityData[] {
  if (placesByCountry === undefined) {
    placesByCountry = new Map();
    for (const place of cityMapping) {
      if (typeof place.timezone !== 'string' || !isTimeZone(place.timezone)) continue;
      const known = placesByCountry.get(place.iso2);
      if (known) known.push(place);
      else placesByCountry.set(place.iso2, [place]);
    }
  }
  return placesByCountry.get(countryCode) ?? [];
}

/** ISO alpha-2 from `US`, `USA` or `United States`; undefined for anything else. */
function countryCode(value: string | undefined): string | undefined {
  const text = (value ?? '').trim();
  if (text === '') return undefined;
  return isoCountry(text.toUpperCase())?.code ?? isoCountry(text)?.code;
}

/** The zone most of these places' people live in. */
function mostPopulousZone(places: readonly CityData[]): string | undefined {
  const people = new Map<string, number>();
  for (const place of places)
    people.set(place.timezone, (people.get(place.timezone) ?? 0) + (place.pop || 0));
  let best: string | undefined;
  for (const [zone, count] of people) if (best === undefined || count > people.get(best)!) best = zone;
  return best;
}

function inRegion(places: readonly CityData[], country: string, region: string | undefined): CityData[] {
  const code = normalized(region);
  if (code === '') return [];
  // `CA` for California; "Ontario" or `ON` for Ontario (a code is looked up in ISO 3166-2 for its name).
  const names = new Set([code, normalized(isoSubdivision(country, region!.trim())?.name)]);
  return places.filter(
    (place) => normalized(place.state_ansi) === code || names.has(normalized(place.province)),
  );
}

function named(places: readonly CityData[], cityName: string | undefined): CityData[] {
  const name = normalized(cityName);
  if (name === '') return [];
  return places.filter((place) => normalized(place.city) === name || normalized(place.city_ascii) === name);
}

function fromAddress(address: QboAddress, country: string): CompanyTimeZone | undefined {
  const places = placesOf(country);
  const region = inRegion(places, country, address.CountrySubDivisionCode);
  const city = mostPopulousZone(named(region.length > 0 ? region : places, address.City));
  if (city !== undefined) return { name: city, basis: 'city' };
  const regional = mostPopulousZone(region);
  return regional === undefined ? undefined : { name: regional, basis: 'region' };
}

export function inferCompanyTimeZone(info: CompanyInfoForZone): CompanyTimeZone {
  const addresses = [info.CompanyAddr, info.LegalAddr].filter((address) => address !== undefined);
  const country = [info.Country, ...addresses.map((address) => address.Country)]
    .map(countryCode)
    .find((code) => code !== undefined);
  if (country === undefined) return defaultCompanyTimeZone;
  for (const address of addresses) {
    // An address in another country says nothing about this one's zones.
    if (address.Country !== undefined && countryCode(address.Country) !== country) continue;
    const found = fromAddress(address, country);
    if (found) return found;
  }
  const national = mostPopulousZone(placesOf(country));
  return national === undefined ? defaultCompanyTimeZone : { name: national, basis: 'country' };
}
