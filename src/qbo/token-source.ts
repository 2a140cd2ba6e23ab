/**
 * Where the client gets its bearer token. The implementation owns storage, encryption and the compare-and-set
 * refresh (so two workers never lose a rotated refresh token); the client only asks for the current token and, once
 * per request after a 401, for a fresh one.
 */
export interface TokenSource {
  /** The current access token. Called before every request, so a token refreshed elsewhere is picked up. */
  accessToken(): Promise<string>;
  /**
   * Called once after a 401 with the token that was rejected; returns a fresh token or throws. Several requests
   * may report the same rejected token at once: refresh once and hand all of them the new token. Errors thrown
   * here (e.g. `invalid_grant`, meaning the connection needs re-authorisation) reach the caller unchanged.
   */
  refreshAfterUnauthorized(rejected: string): Promise<string>;
}
