import { createQboSyncClient, ok, QboSyncError } from '../../../sdk/src';

export { ok, QboSyncError };

/**
 * The console's one way to the API: the SDK, authenticated by the session cookie the browser sends by itself.
 * The CSRF token lives in this module's memory only, and goes with every request that changes something.
 */
let csrfToken: string | undefined;
let onSignedOut: () => void = () => undefined;

export const api = createQboSyncClient({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use({
  onRequest({ request }) {
    if (request.method !== 'GET' && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    // Signing in and out answer 401 for their own reasons; anything else means the session has ended.
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/sessions')) {
      csrfToken = undefined;
      onSignedOut();
    }
    return response;
  },
});

export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

/** The current session, or null when the browser has none. */
export async function resumeSession(): Promise<{ accountId: string } | null> {
  const { data } = await api.GET('/v1/sessions/current');
  csrfToken = data?.csrfToken;
  return data ?? null;
}

export async function signIn(credential: { apiKey: string } | { signInToken: string }): Promise<void> {
  const session = await ok(api.POST('/v1/sessions', { body: credential }));
  csrfToken = session.csrfToken;
}

export async function signOut(): Promise<void> {
  await api.DELETE('/v1/sessions/current');
  csrfToken = undefined;
}

/** A failed call as one sentence for the page: the API's own words, and the field at fault. */
export function explain(error: unknown): string {
  if (error instanceof QboSyncError && error.problem)
    return `${error.problem.detail}${error.problem.field ? ` (${error.problem.field})` : ''}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
