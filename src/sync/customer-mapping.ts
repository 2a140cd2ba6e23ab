import {
  addressFieldParts,
  addressKinds,
  addressParts,
  emptySyncFields,
  syncFieldNames,
  tidyValue,
  type AddressKind,
  type AddressPart,
  type ContactFields,
  type SyncFieldName,
  type SyncFields,
} from './fields';
import {
  customFieldEntries,
  customFieldValuesOf,
  type CustomFieldDefinition,
  type CustomFieldEntry,
} from './custom-fields';
import { qboLink, type Environment } from './transactions';

/** Mapping between a QBO Customer and the synced field set, QBO's own limits, and the read-only billing profile. */

export interface QboRef {
  value?: string;
  name?: string;
}

export interface QboPhysicalAddress {
  Id?: string;
  Line1?: string;
  Line2?: string;
  Line3?: string;
  Line4?: string;
  Line5?: string;
  City?: string;
  Country?: string;
  CountrySubDivisionCode?: string;
  PostalCode?: string;
  Lat?: string;
  Long?: string;
}

/** The parts of a QBO Customer this module reads (see the facts, §8.1). */
export interface QboCustomer {
  Id?: string;
  SyncToken?: string;
  GivenName?: string;
  MiddleName?: string;
  FamilyName?: string;
  Title?: string;
  Suffix?: string;
  CompanyName?: string;
  DisplayName?: string;
  Notes?: string;
  PrimaryEmailAddr?: { Address?: string };
  PrimaryPhone?: { FreeFormNumber?: string };
  Mobile?: { FreeFormNumber?: string };
  Fax?: { FreeFormNumber?: string };
  WebAddr?: { URI?: string };
  BillAddr?: QboPhysicalAddress;
  ShipAddr?: QboPhysicalAddress;
  CurrencyRef?: QboRef;
  SalesTermRef?: QboRef;
  PaymentMethodRef?: QboRef;
  PreferredDeliveryMethod?: string;
  Balance?: number;
  BalanceWithJobs?: number;
  Active?: boolean;
  Job?: boolean;
  ParentRef?: QboRef;
  /** Typed with `include=enhancedAllCustomFields`; see ./custom-fields.ts. */
  CustomField?: unknown;
  MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
}

type ScalarElement =
  'GivenName' | 'MiddleName' | 'FamilyName' | 'Title' | 'Suffix' | 'CompanyName' | 'DisplayName' | 'Notes';
type WrappedElement = 'PrimaryEmailAddr' | 'PrimaryPhone' | 'Mobile' | 'Fax' | 'WebAddr';
type AddressElement = 'BillAddr' | 'ShipAddr';
type AddressKey = 'Line1' | 'Line2' | 'City' | 'CountrySubDivisionCode' | 'PostalCode' | 'Country';

const scalarElements: Partial<Record<SyncFieldName, ScalarElement>> = {
  givenName: 'GivenName',
  middleName: 'MiddleName',
  familyName: 'FamilyName',
  title: 'Title',
  suffix: 'Suffix',
  companyName: 'CompanyName',
  displayName: 'DisplayName',
  notes: 'Notes',
};

const wrappedElements: Partial<Record<SyncFieldName, { element: WrappedElement; key: string }>> = {
  email: { element: 'PrimaryEmailAddr', key: 'Address' },
  phone: { element: 'PrimaryPhone', key: 'FreeFormNumber' },
  mobile: { element: 'Mobile', key: 'FreeFormNumber' },
  fax: { element: 'Fax', key: 'FreeFormNumber' },
  website: { element: 'WebAddr', key: 'URI' },
};

const addressElements: Record<AddressKind, AddressElement> = {
  billingAddress: 'BillAddr',
  shippingAddress: 'ShipAddr',
};

const addressKeys: Record<AddressPart, AddressKey> = {
  line1: 'Line1',
  line2: 'Line2',
  city: 'City',
  region: 'CountrySubDivisionCode',
  postalCode: 'PostalCode',
  country: 'Country',
};

/** An address as QBO's physical address element (`BillAddr`, `ShipAddr`); null parts are left out. */
export function toQboAddress(address: Partial<Record<AddressPart, string | null>>): QboPhysicalAddress {
  const whole: QboPhysicalAddress = {};
  for (const part of addressParts) {
    const value = address[part];
    if (value !== undefined && value !== null) whole[addressKeys[part]] = value;
  }
  return whole;
}

/** The QBO element a field maps to, e.g. `PrimaryEmailAddr.Address`, `BillAddr.City`; used in messages. */
export function qboFieldOf(field: SyncFieldName): string {
  const scalar = scalarElements[field];
  if (scalar) return scalar;
  const wrapped = wrappedElements[field];
  if (wrapped) return `${wrapped.element}.${wrapped.key}`;
  const address = addressFieldParts(field);
  if (!address) throw new Error(`unmapped sync field ${field}`);
  return `${addressElements[address.kind]}.${addressKeys[address.part]}`;
}

/** Reads a JSON value as a string; QBO data from the wire is not trusted to match its type. */
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The customer's synced values: the fixed fields, and every custom field it holds a value of. */
export function customerToFields(customer: QboCustomer): ContactFields {
  const fields: ContactFields = emptySyncFields();
  for (const field of syncFieldNames) {
    const scalar = scalarElements[field];
    const wrapped = wrappedElements[field];
    const address = addressFieldParts(field);
    let raw: unknown;
    if (scalar) raw = customer[scalar];
    else if (wrapped) raw = member(customer[wrapped.element], wrapped.key);
    else if (address) raw = member(customer[addressElements[address.kind]], addressKeys[address.part]);
    fields[field] = tidyValue(str(raw));
  }
  return { ...fields, ...customFieldValuesOf(customer.CustomField) };
}

/** A QBO Customer write body: the sparse update (with Id/SyncToken) or, without a current record, a create body. */
export type CustomerPatch = Pick<
  QboCustomer,
  'Id' | 'SyncToken' | ScalarElement | WrappedElement | 'BillAddr' | 'ShipAddr'
> & {
  CustomField?: CustomFieldEntry[];
  sparse?: true;
};

/** Address parts that are not synced but must survive a rewrite of the whole address object. */
const keptAddressKeys = [
  'Id',
  'Line1',
  'Line2',
  'Line3',
  'Line4',
  'Line5',
  'City',
  'CountrySubDivisionCode',
  'PostalCode',
  'Country',
] as const;

/**
 * The body of a QBO sparse update carrying only `changed`. Cleared values are sent as empty strings (QBO keeps
 * anything that is left out of a sparse update). A changed address part sends the whole address: the current
 * parts, the changed ones and the current `Id`, so QBO updates that address rather than making a new one. Lat/Long
 * are dropped because they are QBO's geocode of the old address. DisplayName is never cleared: QBO refuses that.
 * Changed custom fields go as typed `CustomField` entries (QBO keeps those a write does not name).
 */
export function fieldsToCustomerPatch(
  changed: Partial<ContactFields>,
  current?: QboCustomer,
  definitions: readonly CustomFieldDefinition[] = [],
): CustomerPatch {
  const patch: CustomerPatch = {};
  const custom = customFieldEntries(changed, definitions);
  if (custom.length > 0) patch.CustomField = custom;
  if (current?.Id !== undefined) {
    patch.Id = current.Id;
    if (current.SyncToken !== undefined) patch.SyncToken = current.SyncToken;
    patch.sparse = true;
  }
  const addressChanges: Partial<Record<AddressKind, Partial<Record<AddressPart, string>>>> = {};

  for (const field of syncFieldNames) {
    if (changed[field] === undefined) continue;
    const value = tidyValue(changed[field]) ?? '';
    const scalar = scalarElements[field];
    const wrapped = wrappedElements[field];
    const address = addressFieldParts(field);
    if (scalar) {
      if (scalar === 'DisplayName' && value === '') continue;
      patch[scalar] = value;
    } else if (wrapped) {
      if (wrapped.element === 'WebAddr') patch.WebAddr = { URI: value };
      else if (wrapped.element === 'PrimaryEmailAddr') patch.PrimaryEmailAddr = { Address: value };
      else patch[wrapped.element] = { FreeFormNumber: value };
    } else if (address) {
      (addressChanges[address.kind] ??= {})[address.part] = value;
    }
  }

  for (const kind of addressKinds) {
    const changes = addressChanges[kind];
    if (!changes) continue;
    const element = addressElements[kind];
    const before = current?.[element];
    const whole: QboPhysicalAddress = {};
    for (const key of keptAddressKeys) {
      const part = str(member(before, key));
      if (part !== undefined) whole[key] = part;
    }
    for (const part of addressParts) {
      const value = changes[part];
      if (value !== undefined) whole[addressKeys[part]] = value;
    }
    patch[element] = whole;
  }
  return patch;
}

// --- QBO's limits, checked before writing ---

export interface FieldProblem {
  field: SyncFieldName;
  /** The QBO element, e.g. `BillAddr.PostalCode`, so a message can name both sides. */
  qboField: string;
  problem: string;
}

/** Maximum lengths from the Customer and PhysicalAddress references. */
const maxLengths: Record<SyncFieldName, number> = {
  givenName: 100,
  middleName: 100,
  familyName: 100,
  title: 16,
  suffix: 16,
  companyName: 100,
  displayName: 500,
  email: 100,
  phone: 30,
  mobile: 30,
  fax: 30,
  website: 1000,
  notes: 2000,
  'billingAddress.line1': 500,
  'billingAddress.line2': 500,
  'billingAddress.city': 255,
  'billingAddress.region': 255,
  'billingAddress.postalCode': 30,
  'billingAddress.country': 255,
  'shippingAddress.line1': 500,
  'shippingAddress.line2': 500,
  'shippingAddress.city': 255,
  'shippingAddress.region': 255,
  'shippingAddress.postalCode': 30,
  'shippingAddress.country': 255,
};

/** "must not contain colon (:), tab (\t), or newline (\n) characters" */
const separatorFree: ReadonlySet<SyncFieldName> = new Set<SyncFieldName>([
  'displayName',
  'title',
  'givenName',
  'middleName',
  'familyName',
  'suffix',
]);

const nameParts = ['title', 'givenName', 'middleName', 'familyName', 'suffix'] as const;

export interface ValidateOptions {
  /** A create needs some name (QBO fault 6080); an update must not clear DisplayName. */
  creating?: boolean;
}

/**
 * QBO's own rules for the given fields, so bad CRM data is rejected with a message that names the field instead of
 * a QBO fault. Lengths are in UTF-16 code units, as QBO (Java) counts them.
 */
export function validateForQbo(fields: Partial<SyncFields>, options: ValidateOptions = {}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const report = (field: SyncFieldName, problem: string): void => {
    problems.push({ field, qboField: qboFieldOf(field), problem });
  };

  for (const field of syncFieldNames) {
    if (!(field in fields)) continue;
    const value = tidyValue(fields[field]);
    if (value === null) {
      if (field === 'displayName' && !options.creating) {
        report(field, 'DisplayName cannot be cleared in QuickBooks; give the customer a display name');
      }
      continue;
    }
    const max = maxLengths[field];
    if (value.length > max) {
      report(field, `${qboFieldOf(field)} must be at most ${max} characters (it has ${value.length})`);
    }
    if (separatorFree.has(field) && /[:\t\n\r]/.test(value)) {
      report(field, `${qboFieldOf(field)} must not contain a colon, tab or line break`);
    }
    if (field === 'email' && (!value.includes('@') || !value.includes('.'))) {
      report(field, `${qboFieldOf(field)} must contain an @ and a dot, as QuickBooks requires`);
    }
  }

  if (options.creating && displayNameFor(fields) === null) {
    report(
      'displayName',
      'a QuickBooks customer needs a display name, a name (title, given, middle, family or suffix) or a company name',
    );
  }
  return problems;
}

// --- display names ---

/**
 * The DisplayName for a new customer: the given one, else QBO's own rule (Title GivenName MiddleName FamilyName
 * Suffix joined by spaces), else the company name; null when there is nothing to name it by.
 */
export function displayNameFor(fields: Partial<SyncFields>): string | null {
  const given = tidyValue(fields.displayName);
  if (given !== null) return given;
  const parts = nameParts.map((part) => tidyValue(fields[part])).filter((part) => part !== null);
  if (parts.length > 0) return parts.join(' ');
  return tidyValue(fields.companyName);
}

/** How QBO compares DisplayNames for uniqueness (fault 6240): trimmed, case folded. */
export function displayNameKey(name: string): string {
  return name.trim().toLowerCase();
}

const maxDisplayName = 500;

function clean(text: string): string {
  return text
    .replace(/[:\t\r\n]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A DisplayName for a genuinely different person whose name is taken (QBO fault 6240): attempt 1 appends the email
 * (or, without one, the CRM id), attempt 2 the CRM id, and there is no attempt 3 (null): the CRM id is unique, so a
 * further clash means something else is wrong. Never used for our own retried writes, which must find the customer
 * they already created instead. The result stays within QBO's 500 characters by shortening the name, not the suffix.
 */
export function disambiguateDisplayName(
  name: string,
  attempt: number,
  who: { email?: string | null; crmId: string },
): string | null {
  const base = clean(name);
  if (attempt <= 0) return base.slice(0, maxDisplayName).trim();
  const email = tidyValue(who.email);
  const candidates = [email === null ? null : clean(email), clean(who.crmId)].filter(
    (tag): tag is string => tag !== null && tag !== '',
  );
  const tag = candidates[attempt - 1];
  if (tag === undefined) return null;
  const suffix = ` (${tag})`;
  const room = Math.max(0, maxDisplayName - suffix.length);
  return `${base.slice(0, room).trimEnd()}${suffix}`.slice(0, maxDisplayName);
}

// --- the read-only billing profile ---

export interface NamedRef {
  id: string;
  name: string | null;
}

export interface BillingProfile {
  terms?: NamedRef;
  paymentMethod?: NamedRef;
  deliveryPreference?: 'Print' | 'Email' | 'None';
  currency: { code: string; name: string | null };
  balance: number;
  balanceWithJobs: number;
  active: boolean;
  parent?: NamedRef;
  qboLink: string;
}

function namedRef(ref: unknown): NamedRef | undefined {
  const id = str(member(ref, 'value'));
  if (id === undefined || id === '') return undefined;
  return { id, name: str(member(ref, 'name')) ?? null };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function billingProfile(
  customer: QboCustomer,
  { environment, homeCurrency }: { environment: Environment; homeCurrency?: string },
): BillingProfile {
  const terms = namedRef(customer.SalesTermRef);
  const paymentMethod = namedRef(customer.PaymentMethodRef);
  const parent = namedRef(customer.ParentRef);
  const delivery = customer.PreferredDeliveryMethod;
  const currencyCode = str(customer.CurrencyRef?.value) ?? homeCurrency ?? '';
  const balance = numberOr(customer.Balance, 0);
  return {
    ...(terms && { terms }),
    ...(paymentMethod && { paymentMethod }),
    ...((delivery === 'Print' || delivery === 'Email' || delivery === 'None') && {
      deliveryPreference: delivery,
    }),
    // "If not specified, currency for this customer is the home currency."
    currency: { code: currencyCode.toUpperCase(), name: str(customer.CurrencyRef?.name) ?? null },
    balance,
    balanceWithJobs: numberOr(customer.BalanceWithJobs, balance),
    active: customer.Active !== false,
    ...(parent && { parent }),
    qboLink: qboLink('Customer', customer.Id ?? '', environment),
  };
}
