import { timingSafeEqual } from 'node:crypto';

/** An app registered on the emulated Intuit developer portal. */
export interface OAuthClientApp {
  clientId: string;
  clientSecret: string;
  /** Exact-match redirect URIs, as on Intuit's "Redirect URIs" app setting. */
  redirectUris: string[];
  /** Also accept any `http://127.0.0.1:<port>/…` or `http://localhost:<port>/…` URI (local demos and tests). */
  allowLoopbackRedirects?: boolean;
}

/** The app every emulator instance knows; local tools use it without any setup. */
export const defaultOAuthApp: OAuthClientApp = {
  clientId: 'qbo-emulator-client',
  clientSecret: 'qbo-emulator-secret',
  redirectUris: [],
  allowLoopbackRedirects: true,
};

/**
 * Scopes Intuit's authorize endpoint knows (intuit-oauth's `OAuthClient.scopes`); anything else is `invalid_scope`.
 * The emulator grants every requested known scope.
 */
export const KNOWN_SCOPES: readonly string[] = [
  'com.intuit.quickbooks.accounting',
  'com.intuit.quickbooks.payment',
  'payroll.compensation.read',
  'project-management.project',
  'app-foundations.custom-dimensions.read',
  'app-foundations.custom-field-definitions',
  // Intuit's custom fields guide: "app-foundations.custom-field-definitions.read: Allows access to read …".
  'app-foundations.custom-field-definitions.read',
  'time-tracking.time-entry',
  'indirect-tax.tax-calculation.quickbooks',
  'openid',
  'profile',
  'email',
  'phone',
  'address',
];

export function isRedirectUriAllowed(app: OAuthClientApp, redirectUri: string): boolean {
  if (app.redirectUris.includes(redirectUri)) return true;
  if (!app.allowLoopbackRedirects) return false;
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  // A fragment is never allowed in a redirection URI (RFC 6749 section 3.1.2).
  return (
    url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && !url.hash
  );
}

/** Constant-time comparison, so the emulator does not teach bad habits about secrets. */
export function secretsEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Basic base64(client_id:client_secret)`, as intuit-oauth sends it (no form-encoding). */
export function parseBasicAuth(
  header: string | undefined,
): { clientId: string; clientSecret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}
