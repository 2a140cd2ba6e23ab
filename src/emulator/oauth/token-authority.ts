import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { defaultOAuthApp, isRedirectUriAllowed, secretsEqual, type OAuthClientApp } from './clients';
import { IdTokenSigner, INTUIT_ISSUER, type Jwk } from './id-token';

export type RefreshTokenRotation = 'daily' | 'every-refresh';

/** The one Intuit user the emulator signs in as (OpenID Connect `sub` and userinfo claims). */
export interface EmulatorUser {
  sub: string;
  email: string;
  givenName: string;
  familyName: string;
}

export const defaultEmulatorUser: EmulatorUser = {
  sub: '7b1e6c7a-0d6e-4d1c-9a51-5f1e0e6d2a11',
  email: 'emulator.user@example.com',
  givenName: 'Emulator',
  familyName: 'User',
};

export interface TokenAuthorityOptions {
  clock: Clock;
  /** Access token lifetime; Intuit: 3600 s. */
  accessTokenTtlSeconds?: number;
  /** Rolling refresh token lifetime, extended on each use; Intuit: 100 days (8726400 s reported). */
  refreshTokenTtlSeconds?: number;
  refreshTokenRotation?: RefreshTokenRotation;
  /** How long a refresh token stays usable after a newer one was issued; Intuit: 24 h. */
  previousRefreshTokenGraceSeconds?: number;
  /** Authorization code lifetime (default 600 s). */
  authorizationCodeTtlSeconds?: number;
  /** Absolute limit on a connection's refresh tokens, counted from authorization; Intuit: five years. */
  refreshTokenHardLifetimeSeconds?: number;
  user?: EmulatorUser;
}

/** The token endpoint's JSON body, field order as Intuit sends it. */
export interface TokenResponse {
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  x_refresh_token_expires_in: number;
  access_token: string;
  id_token?: string;
  x_refresh_token_hard_expires_in?: number;
}

export type AuthenticationResult =
  | { ok: true; realmId: string; clientId: string; scopes: string[] }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked' };

export type GrantResult =
  { ok: true; tokens: TokenResponse } | { ok: false; error: 'invalid_grant'; description: string };

export interface TokenRequestOptions {
  /** The request carried `x-include-refresh-token-hard-expires-in: true`. */
  includeHardExpiresIn?: boolean;
}

export interface TokenAuthorityMetrics {
  codesIssued: number;
  tokensIssued: number;
  refreshes: number;
  invalidGrants: number;
  revocations: number;
}

/** One authorization of one app for one company: what a revoke or a reused code tears down. */
interface Grant {
  clientId: string;
  realmId: string;
  scopes: string[];
  authorizedAtMs: number;
  hardExpiresAtMs: number;
  revoked: boolean;
  refreshRevoked: boolean;
  currentRefreshToken: string;
}

interface AccessTokenRecord {
  grant: Grant;
  expiresAtMs: number;
}

interface RefreshTokenRecord {
  grant: Grant;
  issuedAtMs: number;
  expiresAtMs: number;
  /** Set once a newer refresh token exists: the end of its grace period. */
  invalidAfterMs?: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  realmId: string;
  scopes: string[];
  expiresAtMs: number;
  redeemedBy?: Grant;
}

const DAY_MS = 86_400_000;
/** Intuit hands out a new refresh token about once a day (intuit-oauth README). */
const ROTATION_INTERVAL_MS = DAY_MS;
/** Dead tokens are kept this long past their end, so authenticate() can still say why they fail. */
const RETENTION_MS = DAY_MS;
const FIVE_YEARS_SECONDS = 5 * 365 * 86_400;

export const INVALID_REFRESH_TOKEN = 'Incorrect or invalid refresh token';
export const INVALID_CODE = 'Incorrect or invalid authorization code';

const newToken = (): string => randomBytes(32).toString('base64url');
const noMetrics = (): TokenAuthorityMetrics => ({
  codesIssued: 0,
  tokensIssued: 0,
  refreshes: 0,
  invalidGrants: 0,
  revocations: 0,
});
const configuredRotation = (options: TokenAuthorityOptions): RefreshTokenRotation =>
  options.refreshTokenRotation ?? 'daily';
const configuredGraceMs = (options: TokenAuthorityOptions): number =>
  (options.previousRefreshTokenGraceSeconds ?? 86_400) * 1000;
const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

/** Issues, refreshes, revokes and checks tokens, in memory, against an injectable clock. */
export class TokenAuthority {
  readonly user: EmulatorUser;
  private readonly clock: Clock;
  private readonly accessTtlMs: number;
  private readonly refreshTtlMs: number;
  private readonly codeTtlMs: number;
  private readonly hardLifetimeMs: number;
  // Fault settings the admin API may change at run time; reset() puts them back as configured.
  private rotation: RefreshTokenRotation;
  private graceMs: number;
  private readonly apps = new Map<string, OAuthClientApp>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly signer = new IdTokenSigner();
  private counters = noMetrics();

  constructor(private readonly options: TokenAuthorityOptions) {
    this.clock = options.clock;
    this.accessTtlMs = (options.accessTokenTtlSeconds ?? 3600) * 1000;
    this.refreshTtlMs = (options.refreshTokenTtlSeconds ?? 8_726_400) * 1000;
    this.codeTtlMs = (options.authorizationCodeTtlSeconds ?? 600) * 1000;
    this.hardLifetimeMs = (options.refreshTokenHardLifetimeSeconds ?? FIVE_YEARS_SECONDS) * 1000;
    this.rotation = configuredRotation(options);
    this.graceMs = configuredGraceMs(options);
    this.user = options.user ?? defaultEmulatorUser;
    this.registerApp(defaultOAuthApp);
  }

  /** Adds or replaces an app (by clientId). The default app is registered from the start. */
  registerApp(app: OAuthClientApp): void {
    this.apps.set(app.clientId, { ...app, redirectUris: [...app.redirectUris] });
  }

  findApp(clientId: string): OAuthClientApp | undefined {
    return this.apps.get(clientId);
  }

  /** The app these credentials belong to, or undefined (→ `invalid_client`). */
  authenticateClient(clientId: string, clientSecret: string): OAuthClientApp | undefined {
    const app = this.apps.get(clientId);
    return app && secretsEqual(app.clientSecret, clientSecret) ? app : undefined;
  }

  redirectUriAllowed(clientId: string, redirectUri: string): boolean {
    const app = this.apps.get(clientId);
    return app !== undefined && isRedirectUriAllowed(app, redirectUri);
  }

  /** A single-use code, bound to the app and redirect URI (RFC 6749 section 4.1.2). */
  createAuthorizationCode(input: {
    clientId: string;
    redirectUri: string;
    realmId: string;
    scopes: string[];
  }): string {
    if (!this.redirectUriAllowed(input.clientId, input.redirectUri)) {
      throw new Error(`Redirect URI not registered for client ${input.clientId}`);
    }
    this.sweep();
    const code = newToken();
    this.codes.set(code, { ...input, scopes: [...input.scopes], expiresAtMs: this.nowMs() + this.codeTtlMs });
    this.counters.codesIssued += 1;
    return code;
  }

  /** `grant_type=authorization_code`; the caller has already authenticated `clientId`. */
  exchangeCode(
    input: { clientId: string; code: string; redirectUri: string },
    options: TokenRequestOptions = {},
  ): GrantResult {
    const record = this.codes.get(input.code);
    if (!record || record.clientId !== input.clientId) return this.invalidGrant(INVALID_CODE);
    if (record.redeemedBy) {
      // A replayed code revokes what it produced (RFC 6749 section 4.1.2; Intuit: "may invalidate tokens").
      this.revokeGrants(new Set([record.redeemedBy]));
      return this.invalidGrant(INVALID_CODE);
    }
    if (this.nowMs() >= record.expiresAtMs || record.redirectUri !== input.redirectUri) {
      return this.invalidGrant(INVALID_CODE);
    }
    const grant = this.newGrant(record.clientId, record.realmId, record.scopes);
    record.redeemedBy = grant;
    return { ok: true, tokens: this.mint(grant, { ...options, withIdToken: true }) };
  }

  /** `grant_type=refresh_token`, applying the rotation policy and rolling expiry. */
  refresh(input: { clientId: string; refreshToken: string }, options: TokenRequestOptions = {}): GrantResult {
    const now = this.nowMs();
    const record = this.refreshTokens.get(input.refreshToken);
    if (!record || record.grant.clientId !== input.clientId || !this.refreshUsable(record, now)) {
      return this.invalidGrant(INVALID_REFRESH_TOKEN);
    }
    const grant = record.grant;
    const current = this.refreshTokens.get(grant.currentRefreshToken);
    if (!current || this.rotation === 'every-refresh' || now - current.issuedAtMs >= ROTATION_INTERVAL_MS) {
      if (current) current.invalidAfterMs = Math.min(current.invalidAfterMs ?? Infinity, now + this.graceMs);
      this.addRefreshToken(grant, now);
    } else {
      current.expiresAtMs = Math.min(now + this.refreshTtlMs, grant.hardExpiresAtMs);
    }
    this.counters.refreshes += 1;
    return { ok: true, tokens: this.mint(grant, { ...options, withIdToken: false }) };
  }

  /**
   * Revokes the whole connection (every access and refresh token of that app and company) that `token` belongs
   * to. Returns false for a token that is unknown or belongs to another app; the endpoint answers 200 anyway.
   */
  revoke(clientId: string, token: string): boolean {
    const grant = this.accessTokens.get(token)?.grant ?? this.refreshTokens.get(token)?.grant;
    if (!grant || grant.clientId !== clientId) return false;
    this.revokeGrants(this.grantsWhere((g) => g.clientId === grant.clientId && g.realmId === grant.realmId));
    this.counters.revocations += 1;
    return true;
  }

  /** Validates a bearer access token for API use; realm match is checked by the caller. */
  authenticate(authorizationHeader: string | undefined): AuthenticationResult {
    const header = authorizationHeader?.trim() ?? '';
    if (header === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (!match?.[1]) return { ok: false, reason: 'malformed' };
    const record = this.accessTokens.get(match[1]);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.grant.revoked) return { ok: false, reason: 'revoked' };
    if (this.nowMs() >= record.expiresAtMs) return { ok: false, reason: 'expired' };
    const { realmId, clientId, scopes } = record.grant;
    return { ok: true, realmId, clientId, scopes: [...scopes] };
  }

  /** Issue a token pair directly (admin/test convenience, no browser flow). */
  issueTokens(
    clientId: string,
    realmId: string,
    scopes: string[],
    options: TokenRequestOptions = {},
  ): TokenResponse {
    if (!this.apps.has(clientId)) throw new Error(`Unknown OAuth client ${clientId}`);
    return this.mint(this.newGrant(clientId, realmId, scopes), { ...options, withIdToken: true });
  }

  /** Fault injection: every current access token of the realm now counts as expired. */
  expireAccessTokens(realmId: string): void {
    const now = this.nowMs();
    for (const record of this.accessTokens.values()) {
      if (record.grant.realmId === realmId) record.expiresAtMs = Math.min(record.expiresAtMs, now);
    }
  }

  /** Fault injection: every refresh token of the realm answers invalid_grant from now on. */
  revokeRefreshTokens(realmId: string): void {
    for (const grant of this.grantsWhere((g) => g.realmId === realmId)) grant.refreshRevoked = true;
  }

  setRefreshTokenRotation(mode: RefreshTokenRotation): void {
    this.rotation = mode;
  }

  /** How long refresh tokens superseded from now on stay usable (0: invalid as soon as a newer one is issued). */
  setPreviousRefreshTokenGrace(seconds: number): void {
    this.graceMs = seconds * 1000;
  }

  /**
   * Forgets every code, grant, token and counter, and puts rotation and grace back as configured. Registered apps
   * and the id_token signing key stay: they are the developer portal's, not a connection's.
   */
  reset(): void {
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.counters = noMetrics();
    this.rotation = configuredRotation(this.options);
    this.graceMs = configuredGraceMs(this.options);
  }

  metrics(): TokenAuthorityMetrics {
    return { ...this.counters };
  }

  jwks(): { keys: Jwk[] } {
    return this.signer.jwks();
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private invalidGrant(description: string): GrantResult {
    this.counters.invalidGrants += 1;
    return { ok: false, error: 'invalid_grant', description };
  }

  private refreshUsable(record: RefreshTokenRecord, now: number): boolean {
    const { grant } = record;
    return (
      !grant.revoked &&
      !grant.refreshRevoked &&
      now < record.expiresAtMs &&
      (record.invalidAfterMs === undefined || now < record.invalidAfterMs)
    );
  }

  private newGrant(clientId: string, realmId: string, scopes: string[]): Grant {
    this.sweep();
    const now = this.nowMs();
    const grant: Grant = {
      clientId,
      realmId,
      scopes: [...scopes],
      authorizedAtMs: now,
      hardExpiresAtMs: now + this.hardLifetimeMs,
      revoked: false,
      refreshRevoked: false,
      currentRefreshToken: '',
    };
    this.addRefreshToken(grant, now);
    return grant;
  }

  private addRefreshToken(grant: Grant, now: number): void {
    const token = newToken();
    this.refreshTokens.set(token, {
      grant,
      issuedAtMs: now,
      expiresAtMs: Math.min(now + this.refreshTtlMs, grant.hardExpiresAtMs),
    });
    grant.currentRefreshToken = token;
  }

  /** A new access token plus the grant's current refresh token, as the token endpoint answers. */
  private mint(grant: Grant, options: TokenRequestOptions & { withIdToken: boolean }): TokenResponse {
    const now = this.nowMs();
    const accessToken = newToken();
    this.accessTokens.set(accessToken, { grant, expiresAtMs: now + this.accessTtlMs });
    this.counters.tokensIssued += 1;
    const refreshRecord = this.refreshTokens.get(grant.currentRefreshToken);
    const response: TokenResponse = {
      token_type: 'bearer',
      expires_in: seconds(this.accessTtlMs),
      refresh_token: grant.currentRefreshToken,
      x_refresh_token_expires_in: seconds((refreshRecord?.expiresAtMs ?? now) - now),
      access_token: accessToken,
    };
    if (options.withIdToken && grant.scopes.includes('openid')) {
      const iat = Math.floor(now / 1000);
      response.id_token = this.signer.sign({
        iss: INTUIT_ISSUER,
        sub: this.user.sub,
        aud: [grant.clientId],
        realmid: grant.realmId,
        auth_time: Math.floor(grant.authorizedAtMs / 1000),
        iat,
        exp: iat + seconds(this.accessTtlMs),
      });
    }
    if (options.includeHardExpiresIn) {
      response.x_refresh_token_hard_expires_in = seconds(grant.hardExpiresAtMs - now);
    }
    return response;
  }

  private grantsWhere(predicate: (grant: Grant) => boolean): Set<Grant> {
    const grants = new Set<Grant>();
    for (const { grant } of this.refreshTokens.values()) if (predicate(grant)) grants.add(grant);
    for (const { grant } of this.accessTokens.values()) if (predicate(grant)) grants.add(grant);
    return grants;
  }

  private revokeGrants(grants: Set<Grant>): void {
    for (const grant of grants) grant.revoked = true;
  }

  /** Lazy cleanup on issue paths, so a long-running demo does not grow without bound. */
  private sweep(): void {
    const cutoff = this.nowMs() - RETENTION_MS;
    for (const [code, record] of this.codes) if (record.expiresAtMs < cutoff) this.codes.delete(code);
    for (const [token, record] of this.accessTokens) {
      if (record.expiresAtMs < cutoff) this.accessTokens.delete(token);
    }
    for (const [token, record] of this.refreshTokens) {
      if (Math.min(record.expiresAtMs, record.invalidAfterMs ?? Infinity) < cutoff)
        this.refreshTokens.delete(token);
    }
  }
}
