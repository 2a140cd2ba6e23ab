import { randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import { acquireLease, type claimModel } from '../db/claims';
import type { ConnectionRecord } from '../db/models/connection';
import { connectionStatusEvent, recordAccountEvents } from '../outbound/events';
import type { KeyRing } from '../security/encryption';
import { InvalidGrantError, type TokenSet } from './intuit-oauth';

/** The connection's grant is gone; the workflow waits for a reconnect instead of retrying. */
export class ConnectionNeedsReauthError extends Error {
  override name = 'ConnectionNeedsReauthError';
}

export interface ConnectionTokensOptions {
  connections: Model<ConnectionRecord>;
  claims: ReturnType<typeof claimModel>;
  keys: KeyRing;
  connectionId: string;
  /** Calls Intuit's token endpoint with a refresh token. */
  refreshGrant: (refreshToken: string) => Promise<TokenSet>;
  now?: () => number;
  /** Refresh this long before the access token expires (intuit-oauth uses 60 s too). */
  expirySkewMs?: number;
  /** How long one worker may hold the refresh before others may take over; longer than a token call may take. */
  leaseMs?: number;
  pollMs?: number;
}

interface OpenTokens extends TokenSet {
  version: number;
}

const aad = (connectionId: string, kind: 'access' | 'refresh'): string =>
  `connection:${connectionId}:${kind}`;

/**
 * Seals a token set into the fields a connection stores; `version` starts the compare-and-set sequence.
 */
export function sealTokens(
  keys: KeyRing,
  connectionId: string,
  tokens: TokenSet,
  version: number,
  now: Date,
) {
  return {
    access: keys.seal(tokens.accessToken, aad(connectionId, 'access')),
    refresh: keys.seal(tokens.refreshToken, aad(connectionId, 'refresh')),
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    version,
    refreshedAt: now,
  };
}

/**
 * A connection's OAuth tokens, shared by every worker through MongoDB. A refresh is single-flight twice over:
 * callers in one process share one promise, and across processes one worker claims the refresh of the current
 * `version` (a unique-key lease, see db/claims.ts) while the others wait for the version to move. The rotated refresh token is stored (compare-and-set on the
 * version it replaced) before the new access token is handed out, so a crash never loses it.
 */
export class ConnectionTokens {
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly holder = `${process.pid}:${randomBytes(6).toString('hex')}`;

  constructor(private readonly options: ConnectionTokensOptions) {
    this.now = options.now ?? Date.now;
  }

  async accessToken(): Promise<string> {
    const tokens = await this.load();
    if (tokens.accessExpiresAt.getTime() - (this.options.expirySkewMs ?? 60_000) > this.now())
      return tokens.accessToken;
    return this.refresh(tokens.version);
  }

  /** After a 401: refresh, unless another worker already replaced the token that was refused. */
  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    const tokens = await this.load();
    if (tokens.accessToken !== rejected) return tokens.accessToken;
    return this.refresh(tokens.version);
  }

  private refresh(version: number): Promise<string> {
    this.inFlight ??= this.refreshAcrossWorkers(version).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refreshAcrossWorkers(version: number): Promise<string> {
    const { claims, connectionId } = this.options;
    const scope = `token-refresh:${connectionId}:v${version}`;
    for (;;) {
      const now = new Date(this.now());
      if (await acquireLease(claims, scope, this.holder, this.options.leaseMs ?? 30_000, now)) {
        return this.refreshHoldingLease(version);
      }
      // Another worker is refreshing, or already has: wait for the version to move.
      const current = await this.load();
      if (current.version !== version) return current.accessToken;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 100));
    }
  }

  private async refreshHoldingLease(version: number): Promise<string> {
    const { connections, connectionId, keys } = this.options;
    const current = await this.load();
    let fresh: TokenSet;
    try {
      fresh = await this.options.refreshGrant(current.refreshToken);
    } catch (error) {
      if (!(error instanceof InvalidGrantError)) throw error;
      const reason = 'refresh token rejected (invalid_grant)';
      const parked = await connections
        .findOneAndUpdate(
          { _id: connectionId, 'tokens.version': version },
          { $set: { status: 'needs_reauth', statusReason: reason } },
          { new: true },
        )
        .lean();
      // The CRM must ask its user to reconnect; this version's lease holder is the only one to say so.
      if (parked) {
        const at = new Date(this.now());
        await recordAccountEvents(
          connections.db,
          parked.accountId,
          [connectionStatusEvent(parked, 'needs_reauth', reason, at, `v${version}`)],
          at,
        );
      }
      throw new ConnectionNeedsReauthError(
        `connection ${connectionId} needs to be reconnected: ${error.message}`,
      );
    }
    // Only this version's lease holder writes the next one; the lease outlives the token call's timeout.
    await connections.updateOne(
      { _id: connectionId, 'tokens.version': version },
      { $set: { tokens: sealTokens(keys, connectionId, fresh, version + 1, new Date(this.now())) } },
    );
    return fresh.accessToken;
  }

  private async load(): Promise<OpenTokens> {
    const { connections, connectionId, keys } = this.options;
    const record = await connections.findById(connectionId).lean();
    if (!record) throw new Error(`no connection ${connectionId}`);
    if (record.status === 'needs_reauth')
      throw new ConnectionNeedsReauthError(`connection ${connectionId} needs to be reconnected`);
    // A disconnect forgets the tokens: only a new consent brings the connection back.
    if (record.status === 'disconnected' || !record.tokens)
      throw new ConnectionNeedsReauthError(`connection ${connectionId} is disconnected`);
    return {
      accessToken: keys.open(record.tokens.access, aad(connectionId, 'access')),
      refreshToken: keys.open(record.tokens.refresh, aad(connectionId, 'refresh')),
      accessExpiresAt: new Date(record.tokens.accessExpiresAt),
      refreshExpiresAt: new Date(record.tokens.refreshExpiresAt),
      version: record.tokens.version,
    };
  }
}
