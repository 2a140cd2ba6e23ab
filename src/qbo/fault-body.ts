/**
 * Reads a QBO error body, whatever shape it arrives in, into one normal form. QBO answers errors in four shapes
 * (facts §4.3–§4.5, §5): the service's `Fault` JSON (PascalCase `Error[]` of `Message/Detail/code/element`),
 * the gateway's lower-case envelope (`fault.error[0].code` such as 3200, 3100, 3001), XML (`<Fault type><Error
 * code element><Message><Detail>`, even when JSON was asked for), and plain HTML pages from proxies on 5xx.
 */
import { z } from 'zod';

export interface FaultError {
  code?: string;
  message?: string;
  detail?: string;
  element?: string;
}

export interface ParsedFault {
  format: 'service-json' | 'gateway-json' | 'xml' | 'html' | 'text' | 'empty';
  faultType?: string;
  errors: FaultError[];
}

const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value)));

const serviceFaultSchema = z.object({
  Fault: z
    .object({
      type: text,
      Error: z
        .array(z.object({ Message: text, Detail: text, code: text, element: text }).loose())
        .default([]),
    })
    .loose(),
});

const gatewayFaultSchema = z.object({
  fault: z
    .object({
      type: text,
      error: z
        .array(z.object({ message: text, detail: text, code: text, element: text }).loose())
        .default([]),
    })
    .loose(),
});

/** Normalises an error body: a raw string (JSON, XML, HTML, text) or an already parsed JSON value. */
export function parseFaultBody(body: unknown): ParsedFault {
  if (typeof body === 'string') {
    const trimmed = body.trim();
    if (trimmed === '') return { format: 'empty', errors: [] };
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const json = tryParseJson(trimmed);
      if (json !== undefined) return parseFaultJson(json) ?? textFault(trimmed);
    }
    if (trimmed.startsWith('<')) {
      if (/<(?:\w+:)?Fault\b/.test(trimmed)) return parseFaultXml(trimmed);
      return { format: 'html', errors: [{ message: htmlSummary(trimmed) }] };
    }
    return textFault(trimmed);
  }
  return parseFaultJson(body) ?? { format: 'empty', errors: [] };
}

/** The `Fault` object of a batch item (`{"Fault":{"type","Error":[…]}}`), or the whole fault envelope. */
export function parseFaultJson(json: unknown): ParsedFault | undefined {
  const service = serviceFaultSchema.safeParse(json);
  if (service.success) {
    const { type, Error } = service.data.Fault;
    return {
      format: 'service-json',
      faultType: type,
      errors: Error.map((error) => ({
        code: error.code,
        message: error.Message,
        detail: error.Detail,
        element: error.element,
      })),
    };
  }
  const gateway = gatewayFaultSchema.safeParse(json);
  if (gateway.success) {
    const { type, error } = gateway.data.fault;
    return {
      format: 'gateway-json',
      faultType: type,
      errors: error.map((item) => ({
        code: item.code,
        message: item.message,
        detail: item.detail,
        element: item.element,
      })),
    };
  }
  return undefined;
}

/**
 * A deliberately tiny XML reader for Intuit's fault documents only:
 * `<Fault type="…"><Error code="…" element="…"><Message>…</Message><Detail>…</Detail></Error></Fault>`.
 */
export function parseFaultXml(xml: string): ParsedFault {
  const faultType = /<(?:\w+:)?Fault\b([^>]*)>/.exec(xml)?.[1];
  const errors: FaultError[] = [];
  const errorPattern = /<(?:\w+:)?Error\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?Error>)/g;
  for (const match of xml.matchAll(errorPattern)) {
    const attributes = match[1] ?? '';
    const inner = match[2] ?? '';
    errors.push({
      code: nonEmpty(attribute(attributes, 'code')),
      element: nonEmpty(attribute(attributes, 'element')),
      message: nonEmpty(element(inner, 'Message')),
      detail: nonEmpty(element(inner, 'Detail')),
    });
  }
  return {
    format: 'xml',
    faultType: faultType === undefined ? undefined : nonEmpty(attribute(faultType, 'type')),
    errors,
  };
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
  if (!match) return undefined;
  return decodeXml(match[1] ?? match[2] ?? '');
}

function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml);
  if (!match) return undefined;
  const content = match[1] ?? '';
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(content.trim());
  return cdata ? cdata[1] : decodeXml(content);
}

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return safeCodePoint(parseInt(lower.slice(2), 16)) ?? whole;
    if (lower.startsWith('#')) return safeCodePoint(parseInt(lower.slice(1), 10)) ?? whole;
    return namedEntities[lower] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** An HTML error page from a proxy or load balancer: its title or first heading, else its text, shortened. */
function htmlSummary(html: string): string {
  const heading = element(html, 'title') ?? element(html, 'h1') ?? html;
  return shorten(heading.replace(/<[^>]*>/g, ' '));
}

function textFault(body: string): ParsedFault {
  return { format: 'text', errors: [{ message: shorten(body) }] };
}

function shorten(value: string, max = 200): string {
  const collapsed = value.replace(/\s+/g, ' ').trim();
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function tryParseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}
