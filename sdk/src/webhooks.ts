/**
 * Checks the signature qbo-sync puts on each webhook it sends the CRM: `QboSync-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "t.body">`, with the endpoint's secret. Web Crypto only, so it runs in Node 20+, Deno, Bun, edge
 * runtimes and browsers alike; `crypto.subtle.verify` compares in constant time.
 */
export const signatureHeader = 'QboSync-Signature';

export interface VerifyOptions {
  /** Signatures older or newer than this are refused, so a captured request cannot be replayed later. */
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * True when the header carries a `v1` HMAC of exactly these body bytes (several appear while a secret rotates)
 * and its timestamp is within the tolerance (five minutes unless given). Pass the raw body, before any JSON parsing.
 */
export async function verifyWebhookSignature(
  secret: string,
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  options: VerifyOptions = {},
): Promise<boolean> {
  if (!header) return false;
  let timestamp: string | undefined;
  const candidates: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = value;
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) candidates.push(fromHex(value));
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;

  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const signed = new Uint8Array(timestamp.length + 1 + body.length);
  signed.set(encoder.encode(`${timestamp}.`));
  signed.set(body, timestamp.length + 1);
  const results = await Promise.all(
    candidates.map((candidate) => crypto.subtle.verify('HMAC', key, candidate, signed)),
  );
  return results.includes(true);
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1)
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}
