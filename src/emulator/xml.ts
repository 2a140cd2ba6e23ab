import { XMLParser } from 'fast-xml-parser';

/**
 * QBO answers in XML unless JSON is negotiated. This renders the same response bodies as Intuit's XML: entities and
 * query envelopes as elements, their `domain`/`sparse`/`status` and paging numbers as attributes.
 */
const attributeKeys = new Set(['domain', 'sparse', 'status', 'startPosition', 'maxResults', 'totalCount']);
/** Attributes of particular elements: `<Fault type="…"><Error code="…" element="…">`. */
const elementAttributes: Record<string, ReadonlySet<string>> = {
  Fault: new Set(['type']),
  Error: new Set(['code', 'element']),
};

export function toIntuitXml(body: Record<string, unknown>, time: string): string {
  const children = Object.entries(body)
    .filter(([key]) => key !== 'time')
    .map(([key, value]) => element(key, value))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${escapeXml(time)}">${children}</IntuitResponse>`
  );
}

function element(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  if (typeof value !== 'object') return '';
  if (isReference(value as Record<string, unknown>)) {
    // `<CurrencyRef name="United States Dollar">USD</CurrencyRef>`: the Id as text, the name as an attribute.
    const { value: id, ...rest } = value as Record<string, unknown>;
    const attributes = Object.entries(rest)
      .map(([key, item]) => ` ${key}="${escapeXml(String(item))}"`)
      .join('');
    return `<${name}${attributes}>${escapeXml(String(id))}</${name}>`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const attribute = (key: string, item: unknown): boolean =>
    isAttribute(key, item) || (elementAttributes[name]?.has(key) === true && typeof item === 'string');
  const attributes = entries
    .filter((entry): entry is [string, string | number | boolean] => attribute(entry[0], entry[1]))
    .map(([key, item]) => ` ${key}="${escapeXml(String(item))}"`)
    .join('');
  const content = entries
    .filter(([key, item]) => !attribute(key, item))
    .map(([key, item]) => element(key, item))
    .join('');
  return `<${name}${attributes}>${content}</${name}>`;
}

/** ReferenceType and MemoRef: `{value, name?, type?}` with text values. */
function isReference(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return (
    keys.includes('value') &&
    keys.every(
      (key) => ['value', 'name', 'type'].includes(key) && ['string', 'number'].includes(typeof value[key]),
    )
  );
}

function isAttribute(key: string, value: unknown): boolean {
  return attributeKeys.has(key) && ['string', 'number', 'boolean'].includes(typeof value);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Elements that repeat in QBO's XML: a single one is still a list in the JSON form. */
const repeatedElements = new Set([
  'Line',
  'LinkedTxn',
  'CustomField',
  'TaxLine',
  'TaxRateDetail',
  'NameValue',
  'BatchItemRequest',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  trimValues: true,
  isArray: (name) => repeatedElements.has(name),
});

/** Thrown for a body that is not one well-formed entity element. */
export class XmlBodyError extends Error {}

/**
 * Reads an XML request body (`<Invoice xmlns="http://schema.intuit.com/finance/v3">…</Invoice>`) into the JSON form
 * the rules take. A reference is an element whose text is the Id, with an optional `name` attribute
 * (`<CurrencyRef name="United States Dollar">USD</CurrencyRef>`); attributes of the root (`sparse`) become fields.
 */
export function fromIntuitXml(text: string): Record<string, unknown> {
  let document: Record<string, unknown>;
  try {
    document = parser.parse(text, true) as Record<string, unknown>;
  } catch (error) {
    throw new XmlBodyError(error instanceof Error ? error.message : String(error));
  }
  const roots = Object.entries(document).filter(([key]) => !key.startsWith('?'));
  if (roots.length !== 1) throw new XmlBodyError('Expected one entity element.');
  const [, root] = roots[0]!;
  const converted = fromElement('', root);
  return typeof converted === 'object' && converted !== null && !Array.isArray(converted)
    ? (converted as Record<string, unknown>)
    : {};
}

function fromElement(name: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => fromElement(name, item));
  const isReference = name.endsWith('Ref');
  if (typeof value === 'string') return isReference ? { value } : value;
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === '#text') result.value = item;
    else if (key.startsWith('@')) result[key.slice(1)] = item;
    else result[key] = fromElement(key, item);
  }
  return result;
}
