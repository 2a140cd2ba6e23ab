/** The embeddable QuickBooks panel: the router, its tokens and its pure renderer. */
export { createEmbedRouter, type EmbedRouterOptions } from './router';
export {
  embedPanelPath,
  maxEmbedTokenTtlSeconds,
  mintEmbedToken,
  verifyEmbedToken,
  type EmbedClaims,
  type EmbedTokenCheck,
} from './token';
export { renderContactPanel, renderProblemPage } from './panel';
