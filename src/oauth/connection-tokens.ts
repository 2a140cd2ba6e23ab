import { randomBytes } from 'node:crypto';
import type { Connection as MongoConnection } from 'mongoose';
import { acquireLease } from '../db/leases';
import { connectionModel, connectionTokensModel } from '../db/models/connection';
import { connectionStatusEvent, recordAccountEvents } from '../outbound/events';
import type { KeyRing } from '../security/encryption';
import { InvalidGrantError, type TokenSet } from './intuit-oauth';

/** The connection's grant is gone; the workflow waits for a reconnect instead of retrying. */
export class ConnectionNeedsReauthError extends Error {
  override name = 'ConnectionNeedsReauthError';
}

export interface ConnectionTokensOptions {
  db: MongoConnection;
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

function sealTokens(keys: KeyRing, connectionId: string, tokens: TokenSet, version: number, now: Date) {
  return {
    access: keys.seal(tokens.accessToken, aad(connectionId, 'access')),
    refresh: keys.seal(tokens.refreshToken, aad(connectionId, 'refresh')),
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    version,
    refreshedAt: now,
  };
}

/** Stores the tokens of a new consent (a connect or a reconnect), sealed, as the connection's next version. */
export async function storeTokens(
  db: MongoConnection,
  keys: KeyRing,
  connectionId: string,
  tokens: TokenSet,
  now: Date,
): Promise<void> {
  const stored = connectionTokensModel(db);
  const previous = await stored.findById(connectionId, { version: 1 }).lean();
  await stored.replaceOne(
    { _id: connectionId },
    { _id: connectionId, ...sealTokens(keys, connectionId, tokens, (previous?.version ?? 0) + 1, now) },
    { upsert: true },
  );
}

/**
 * A connection's OAuth tokens, shared by every worker through MongoDB. A refresh is single-flight twice over:
 * callers in one process share one promise, and across processes one worker claims the refresh of the current
 * `version` (a lease, see db/leases.ts) while the others wait for the version to move. The rotated
 * refresh token is stored before the new access token is handed out, so a crash never loses it. The tokens live
 * in a document of their own, which only the lease holder (or a new consent) writes.
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
    const { db, connectionId } = this.options;
    const scope = `token-refresh:${connectionId}:v${version}`;
    for (;;) {
      const now = new Date(this.now());
      if (await acquireLease(db, scope, this.holder, this.options.leaseMs ?? 30_000, now)) {
        return this.refreshHoldingLease(version);
      }
      // Another worker is refreshing, or already has: wait for the version to move.
      const current = await this.load();
      if (current.version !== version) return current.accessToken;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 100));
    }
  }

  private async refreshHoldingLease(version: number): Promise<string> {
    const { db, connectionId, keys } = this.options;
    const current = await this.load();
    let fresh: TokenSet;
    try {
      fresh = await this.options.refreshGrant(current.refreshToken);
    } catch (error) {
      if (!(error instanceof InvalidGrantError)) throw error;
      const reason = 'refresh token rejected (invalid_grant)';
      // A reconnect since this refresh began brought new tokens: they are not the ones Intuit refused.
      const stillCurrent = (await connectionTokensModel(db).findById(connectionId, { version: 1 }).lean())
        ?.version;
      const parked =
        stillCurrent === version
          ? await connectionModel(db)
              .findOneAndUpdate(
                { _id: connectionId },
                { $set: { status: 'needs_reauth', statusReason: reason } },
                { new: true },
              )
              .lean()
          : null;
      // The CRM must ask its user to reconnect; this version's lease holder is the only one to say so.
      if (parked) {
        const at = new Date(this.now());
        await recordAccountEvents(
          db,
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
    await connectionTokensModel(db).updateOne(
      { _id: connectionId, version },
      { $set: sealTokens(keys, connectionId, fresh, version + 1, new Date(this.now())) },
    );
    return fresh.accessToken;
  }

  private async load(): Promise<OpenTokens> {
    const { db, connectionId, keys } = this.options;
    const [record, tokens] = await Promise.all([
      connectionModel(db).findById(connectionId, { status: 1 }).lean(),
      connectionTokensModel(db).findById(connectionId).lean(),
    ]);
    if (!record) throw new Error(`no connection ${connectionId}`);
    if (record.status === 'needs_reauth')
      throw new ConnectionNeedsReauthError(`connection ${connectionId} needs to be reconnected`);
    // A disconnect forgets the tokens: only a new consent brings the connection back.
    if (record.status === 'disconnected' || !tokens)
      throw new ConnectionNeedsReauthError(`connection ${connectionId} is disconnected`);
    return {
      accessToken: keys.open(tokens.access, aad(connectionId, 'access')),
      refreshToken: keys.open(tokens.refresh, aad(connectionId, 'refresh')),
      accessExpiresAt: new Date(tokens.accessExpiresAt),
      refreshExpiresAt: new Date(tokens.refreshExpiresAt),
      version: tokens.version,
    };
  }
}
