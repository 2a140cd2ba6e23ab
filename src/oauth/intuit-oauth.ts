import OAuthClient from 'intuit-oauth';
import { customFieldScope } from '../qbo/custom-field-definitions';

/** Where Intuit's OAuth endpoints live; configurable so the same code talks to Intuit or the emulator. */
export interface OAuthEndpoints {
  authorize: string;
  token: string;
  revoke: string;
  userInfo: string;
}

export const intuitEndpoints: OAuthEndpoints = {
  authorize: 'https://appcenter.intuit.com/connect/oauth2',
  token: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revoke: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
  userInfo: 'https://accounts.platform.intuit.com/v1/openid_connect/userinfo',
};

/** Intuit's paths on another origin (the emulator serves them all on one). */
export function endpointsAt(baseUrl: string): OAuthEndpoints {
  const base = baseUrl.replace(/\/$/, '');
  return {
    authorize: `${base}/connect/oauth2`,
    token: `${base}/oauth2/v1/tokens/bearer`,
    revoke: `${base}/v2/oauth2/tokens/revoke`,
    userInfo: `${base}/v1/openid_connect/userinfo`,
  };
}

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  environment: 'sandbox' | 'production';
  redirectUri: string;
  endpoints: OAuthEndpoints;
  /** Bound on each token-endpoint call (intuit-oauth sets none on its own). */
  timeoutMs: number;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
}

/** The grant is dead (revoked, expired or superseded): only the user can reconnect. */
export class InvalidGrantError extends Error {
  override name = 'InvalidGrantError';
}

interface RawToken {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  x_refresh_token_expires_in?: number;
}

interface OAuthFailure {
  error?: string;
  error_description?: string;
  authResponse?: { json?: { error?: string } };
}

/**
 * A thin wrapper over the official `intuit-oauth` client: its logging is forced off (it writes secrets to disk),
 * every call gets a timeout, tokens come back as a plain TokenSet, and `invalid_grant` becomes InvalidGrantError.
 */
export class IntuitOAuth {
  constructor(
    private readonly settings: OAuthSettings,
    private readonly now: () => number = Date.now,
  ) {}

  private client(): OAuthClient {
    const client = new OAuthClient({
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
      environment: this.settings.environment,
      redirectUri: this.settings.redirectUri,
      logging: false,
    });
    const { authorize, token, revoke, userInfo } = this.settings.endpoints;
    client.setAuthorizeURLs({
      authorizeEndpoint: authorize,
      tokenEndpoint: token,
      revokeEndpoint: revoke,
      userInfoEndpoint: userInfo,
    });
    // intuit-oauth sends token requests through loadResponse() without a timeout; add ours.
    const clientWithLoader = client as unknown as {
      loadResponse: (request: Record<string, unknown>) => Promise<unknown>;
    };
    const load = clientWithLoader.loadResponse.bind(client);
    clientWithLoader.loadResponse = (request) => load({ ...request, timeout: this.settings.timeoutMs });
    return client;
  }

  authorizeUrl(state: string): string {
    // Custom field definitions are read through the App Foundations GraphQL API, which needs a scope of its own.
    return this.client().authorizeUri({
      scope: [OAuthClient.scopes.Accounting, customFieldScope],
      state,
    });
  }

  /** Exchanges the callback's code; `callbackUrl` is the full URL Intuit redirected to. */
  async exchangeCode(callbackUrl: string): Promise<{ realmId: string; tokens: TokenSet }> {
    const realmId = new URL(callbackUrl).searchParams.get('realmId');
    if (!realmId) throw new Error('the callback carries no realmId');
    const response = await this.call(() => this.client().createToken(callbackUrl));
    return { realmId, tokens: this.tokenSet(response.getToken()) };
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    const response = await this.call(() => this.client().refreshUsingToken(refreshToken));
    return this.tokenSet(response.getToken());
  }

  async revoke(token: string): Promise<void> {
    const client = this.client();
    await this.call(() => client.revoke({ refresh_token: token }));
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const failure = error as OAuthFailure;
      const code = failure.error ?? failure.authResponse?.json?.error;
      if (code === 'invalid_grant') throw new InvalidGrantError(failure.error_description ?? 'invalid_grant');
      // intuit-oauth's error objects carry the request, tokens included: pass on only what is safe to log.
      throw new Error(
        `Intuit OAuth call failed: ${code ?? (error instanceof Error ? error.message : 'unknown error')}`,
      );
    }
  }

  private tokenSet(raw: RawToken): TokenSet {
    if (!raw.access_token || !raw.refresh_token || !raw.expires_in) {
      throw new Error('Intuit OAuth answered without access_token, refresh_token or expires_in');
    }
    const now = this.now();
    return {
      accessToken: raw.access_token,
      refreshToken: raw.refresh_token,
      accessExpiresAt: new Date(now + raw.expires_in * 1000),
      refreshExpiresAt: new Date(now + (raw.x_refresh_token_expires_in ?? 8_726_400) * 1000),
    };
  }
}
