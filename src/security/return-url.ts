/**
 * Where the connect flow may send a person's browser back to: only an origin the account registered, or the API's
 * own public origin (the console's). Registered origins are https, or http on a loopback host in development, so a
 * `returnUrl` can never be `javascript:`, `data:` or someone else's site (an open redirect).
 */

/** A refused origin or return URL, and why, in words for the account. */
export class ReturnUrlRefused extends Error {
  override name = 'ReturnUrlRefused';
}

/** Hosts that name this machine. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/**
 * An origin an account registers, normalised as browsers write it (`https://crm.example.com`, default port dropped).
 * Throws ReturnUrlRefused naming the problem.
 */
export function registeredOrigin(raw: string, options: { allowLoopbackHttp: boolean }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReturnUrlRefused('is not a URL');
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(options.allowLoopbackHttp && loopbackHttp))
    throw new ReturnUrlRefused(
      options.allowLoopbackHttp
        ? 'must be https (or http on a loopback host, such as http://localhost:5173)'
        : 'must be https',
    );
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== ''
  )
    throw new ReturnUrlRefused(`must be an origin only, such as ${url.origin}: no path, query or user name`);
  return url.origin;
}

/**
 * Checks a `returnUrl` against the origins allowed for the account (its registered ones and the API's own).
 * Returns the URL; throws ReturnUrlRefused naming the problem.
 */
export function checkReturnUrl(raw: string, allowedOrigins: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReturnUrlRefused('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ReturnUrlRefused(`must be an https URL (this one is ${url.protocol})`);
  if (url.username !== '' || url.password !== '')
    throw new ReturnUrlRefused('must not carry a user name or password (user@host)');
  if (!allowedOrigins.includes(url.origin))
    throw new ReturnUrlRefused(
      `must be on an origin the account registered (PATCH /v1/account, allowedReturnOrigins); ${url.origin} is not one`,
    );
  return url;
}
