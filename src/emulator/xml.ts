/**
 * QBO answers in XML unless JSON is negotiated. This renders the same response bodies as Intuit's XML: entities and
 * query envelopes as elements, their `domain`/`sparse`/`status` and paging numbers as attributes.
 */
const attributeKeys = new Set(['domain', 'sparse', 'status', 'startPosition', 'maxResults', 'totalCount']);

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
  const entries = Object.entries(value as Record<string, unknown>);
  const attributes = entries
    .filter((entry): entry is [string, string | number | boolean] => isAttribute(entry[0], entry[1]))
    .map(([key, item]) => ` ${key}="${escapeXml(String(item))}"`)
    .join('');
  const content = entries
    .filter(([key, item]) => !isAttribute(key, item))
    .map(([key, item]) => element(key, item))
    .join('');
  return `<${name}${attributes}>${content}</${name}>`;
}

function isAttribute(key: string, value: unknown): boolean {
  return attributeKeys.has(key) && ['string', 'number', 'boolean'].includes(typeof value);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
