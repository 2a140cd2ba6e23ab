/**
 * The emulator's Intuit OAuth 2.0 / OpenID Connect server: consent page (company picker), token, revoke,
 * discovery, JWKS and userinfo, plus the token authority the API server uses to check bearer tokens.
 */
export type { CompanyChoice } from './authorize-page';
export { defaultOAuthApp, KNOWN_SCOPES, type OAuthClientApp } from './clients';
export { INTUIT_ISSUER } from './id-token';
export { createOAuthRouter, oauthPaths, type OAuthRouterOptions } from './router';
export {
  defaultEmulatorUser,
  TokenAuthority,
  type AuthenticationResult,
  type EmulatorUser,
  type GrantResult,
  type RefreshTokenRotation,
  type TokenAuthorityMetrics,
  type TokenAuthorityOptions,
  type TokenRequestOptions,
  type TokenResponse,
} from './token-authority';
