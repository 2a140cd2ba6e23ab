import { randomBytes } from 'node:crypto';
import {
  isGrpcDeadlineError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Connection as MongoConnection } from 'mongoose';
import type { QboAccessSettings } from '../activities/qbo-access';
import { accountModel } from '../accounts/models';
import { forgetBase } from '../contacts/store';
import { storeFieldMap } from '../db/field-maps';
import { claimOnce } from '../db/leases';
import {
  connectionModel,
  connectionTokensModel,
  settingsOf,
  type ConnectionRecord,
  type ConnectionSettings,
} from '../db/models/connection';
import { fieldsReenabled } from '../sync/mapping-policy';
import type { TransactionHistory } from '../sync/transaction-history';
import { storeTokens } from '../oauth/connection-tokens';
import { IntuitOAuth, InvalidGrantError, type TokenSet } from '../oauth/intuit-oauth';
import { contactArSweepModel } from '../followups/models';
import { FollowUpService } from '../followups/service';
import { connectionStatusEvent, recordAccountEvents } from '../outbound/events';
import { QboClient } from '../qbo';
import { queueWebhookDelivery } from '../temporal/webhook-dispatch';
import { checkReturnUrl, ReturnUrlRefused } from '../security/return-url';
import { signState, verifyState } from '../security/signed-state';
import type { CompanyTimeZone } from '../time/company-zone';
import { inferCompanyTimeZone } from '../time/infer-company-zone';
import { connectionWorkflowId, startConnectionWorkflow } from '../temporal/connection-workflows';
import { deleteAuditSchedule, upsertAuditSchedule } from '../temporal/drift-audit';
import {
  backfillRunningFailure,
  contactsChangedChunks,
  contactsChangedSignal,
  disconnectSignal,
  pauseUpdate,
  reconnectedSignal,
  resumeUpdate,
  settingsChangedSignal,
  type ConnectionWorkflowStatus,
} from '../workflows/connection-messages';

/**
 * The life of a connection outside its workflow: "Connect to QuickBooks" (authorize URL with a signed state, then
 * the callback that stores sealed tokens and starts the workflow), settings, and disconnect.
 */
export interface ConnectionServiceDeps {
  db: MongoConnection;
  temporal: () => Promise<Client>;
  qbo: QboAccessSettings;
  stateSecret: string;
  taskQueue: string;
  /** How long pause and resume wait for the workflow to acknowledge; default 10 s. */
  workflowTimeoutMs?: number;
  now?: () => Date;
}

/** Long enough to pick a company and sign in; short enough that a leaked URL is soon useless. */
const stateTtlMs = 15 * 60_000;

export class ConnectFlowError extends Error {
  constructor(
    readonly code:
      | 'invalid_state'
      | 'state_expired'
      | 'state_used'
      | 'authorization_denied'
      | 'invalid_code'
      | 'token_exchange_failed',
    message: string,
  ) {
    super(message);
    this.name = 'ConnectFlowError';
  }
}

/** Why a connection could not be paused or resumed. */
export class PauseError extends Error {
  constructor(
    readonly code: 'connection_inactive' | 'backfill_running' | 'sync_unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'PauseError';
  }
}

/** A paused or resumed connection, and its workflow's view once it acknowledged (null when it is not running). */
export interface PauseOutcome {
  connection: ConnectionRecord;
  workflow: ConnectionWorkflowStatus | null;
}

/** What the connection records of the company, read from CompanyInfo and Preferences at each connect. */
interface CompanyFacts {
  companyName: string;
  homeCurrency: string;
  multiCurrency: boolean;
  timeZone: CompanyTimeZone;
}

export class ConnectionService {
  private readonly oauth: IntuitOAuth;
  private readonly now: () => Date;
  private readonly followUps: FollowUpService;

  constructor(private readonly deps: ConnectionServiceDeps) {
    this.oauth = new IntuitOAuth(deps.qbo.oauth);
    this.now = deps.now ?? (() => new Date());
    this.followUps = new FollowUpService({
      db: deps.db,
      temporal: deps.temporal,
      taskQueue: deps.taskQueue,
      now: this.now,
    });
  }

  /** Throws ReturnUrlRefused when `returnUrl` is not on an origin the account may return to. */
  async beginConnect(
    accountId: string,
    options: {
      backfill: boolean;
      previewFirst?: boolean;
      transactionHistory?: TransactionHistory;
      returnUrl?: string;
    },
  ): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
    const returnUrl =
      options.returnUrl === undefined
        ? undefined
        : checkReturnUrl(options.returnUrl, await this.returnOrigins(accountId)).href;
    const now = this.now().getTime();
    const state = signState(
      this.deps.stateSecret,
      {
        accountId,
        backfill: options.backfill ? 1 : 0,
        ...(options.previewFirst ? { previewFirst: 1 } : {}),
        ...(options.transactionHistory
          ? { history: options.transactionHistory === 'all' ? 'all' : options.transactionHistory.months }
          : {}),
        ...(returnUrl ? { returnUrl } : {}),
      },
      stateTtlMs,
      now,
    );
    return {
      authorizeUrl: this.oauth.authorizeUrl(state),
      state,
      expiresAt: new Date(now + stateTtlMs).toISOString(),
    };
  }

  /**
   * Intuit redirected back. The state must be ours, unexpired and unused; then the code becomes tokens, the
   * company is read, and the connection is stored (tokens sealed) before its workflow starts.
   */
  async completeConnect(
    callbackUrl: string,
  ): Promise<{ connection: ConnectionRecord; reconnecting: boolean; returnUrl?: string }> {
    const params = new URL(callbackUrl).searchParams;
    const error = params.get('error');
    if (error) throw new ConnectFlowError('authorization_denied', `QuickBooks answered ${error}`);
    const checked = verifyState(this.deps.stateSecret, params.get('state') ?? '', this.now().getTime());
    if (!checked.ok)
      throw new ConnectFlowError(
        checked.reason === 'expired' ? 'state_expired' : 'invalid_state',
        checked.reason === 'expired'
          ? 'the connect link expired; start again'
          : 'state is not one this service issued',
      );
    const { accountId, nonce, backfill, previewFirst, history, returnUrl } = checked.payload;
    // A state is good for one callback: a replayed redirect must not connect (or reconnect) anything.
    if (!(await claimOnce(this.deps.db, `oauth-state:${nonce}`, accountId, new Date(checked.payload.exp))))
      throw new ConnectFlowError('state_used', 'this connect link was already used');

    let exchanged: { realmId: string; tokens: TokenSet };
    try {
      exchanged = await this.oauth.exchangeCode(callbackUrl);
    } catch (exchangeError) {
      // Intuit refused the code itself (wrong, expired or already used): the caller's to fix, not an outage.
      if (exchangeError instanceof InvalidGrantError)
        throw new ConnectFlowError(
          'invalid_code',
          `Intuit refused the authorization code: ${exchangeError.message}`,
        );
      throw new ConnectFlowError(
        'token_exchange_failed',
        exchangeError instanceof Error ? exchangeError.message : 'the code could not be exchanged',
      );
    }
    const company = await this.readCompany(exchanged.realmId, exchanged.tokens.accessToken);
    const stored = await this.storeConnection(accountId, exchanged.realmId, exchanged.tokens, company);
    const { reconnecting } = stored;
    let { connection } = stored;
    if (!reconnecting && previewFirst === 1) {
      // Set before the workflow starts, so no contact sent meanwhile is written before its preview is applied.
      await connectionModel(this.deps.db).updateOne(
        { _id: connection._id },
        { $set: { awaitingPreview: true } },
      );
      connection = { ...connection, awaitingPreview: true };
    }
    if (!reconnecting && history !== undefined) {
      // Set before the workflow starts, so its backfill reads the window chosen at connect.
      const transactionHistory: TransactionHistory = history === 'all' ? 'all' : { months: Number(history) };
      await connectionModel(this.deps.db).updateOne(
        { _id: connection._id },
        { $set: { 'settings.transactionHistory': transactionHistory } },
      );
      connection = { ...connection, settings: { ...connection.settings, transactionHistory } };
    }
    const client = await this.deps.temporal();
    await startConnectionWorkflow(client, connection, {
      taskQueue: this.deps.taskQueue,
      pollIntervalSeconds: connection.settings.pollIntervalSeconds,
      activePollIntervalSeconds: settingsOf(connection).activePollIntervalSeconds,
      backfill: !reconnecting && backfill === 1,
    });
    // A workflow parked on needs_reauth resumes; a freshly started one ignores the signal.
    if (reconnecting) await this.signal(connection._id, reconnectedSignal);
    await this.followUps.ensureReminders(connection._id);
    await upsertAuditSchedule(client, {
      connectionId: connection._id,
      accountId: connection.accountId,
      realmId: connection.realmId,
      taskQueue: this.deps.taskQueue,
    });
    await this.announceStatus(connection, 'active', reconnecting ? 'reconnected' : 'connected');
    const back = typeof returnUrl === 'string' ? await this.stillAllowed(accountId, returnUrl) : undefined;
    return { connection, reconnecting, ...(back ? { returnUrl: back } : {}) };
  }

  /** Where the account may send a person back to: its registered origins, and the API's own (the console's). */
  private async returnOrigins(accountId: string): Promise<string[]> {
    const account = await accountModel(this.deps.db)
      .findById(accountId, { 'settings.allowedReturnOrigins': 1 })
      .lean();
    return [
      new URL(this.deps.qbo.oauth.redirectUri).origin,
      ...(account?.settings?.allowedReturnOrigins ?? []),
    ];
  }

  /**
   * The state's returnUrl, judged again now: the account may have dropped the origin since, and a state signed
   * before origins were checked may carry anything. Without it the callback answers with the connection instead.
   */
  private async stillAllowed(accountId: string, returnUrl: string): Promise<string | undefined> {
    try {
      return checkReturnUrl(returnUrl, await this.returnOrigins(accountId)).href;
    } catch (error) {
      if (error instanceof ReturnUrlRefused) return undefined;
      throw error;
    }
  }

  /**
   * Changes a connection's settings, each one on its own (a backfill or poll recording its progress meanwhile keeps
   * its own fields). A field coming back into the sync after `none` loses its merge base on every contact, so it is
   * linked afresh: filled, never cleared.
   */
  async updateSettings(
    accountId: string,
    connectionId: string,
    changes: Partial<ConnectionSettings>,
  ): Promise<ConnectionRecord | null> {
    const stored = {
      ...changes,
      ...(changes.mappingPolicy ? { mappingPolicy: storeFieldMap(changes.mappingPolicy) } : {}),
      ...(changes.conflictPolicy ? { conflictPolicy: storeFieldMap(changes.conflictPolicy) } : {}),
    };
    const set = Object.fromEntries(Object.entries(stored).map(([key, value]) => [`settings.${key}`, value]));
    const before = await connectionModel(this.deps.db)
      .findOneAndUpdate({ _id: connectionId, accountId }, { $set: set })
      .lean();
    if (!before) return null;
    const updated = await connectionModel(this.deps.db).findById(connectionId).lean();
    if (!updated) return null;
    const relink = await forgetBase(
      this.deps.db,
      connectionId,
      fieldsReenabled(settingsOf(before).mappingPolicy, settingsOf(updated).mappingPolicy),
    );
    for (const chunk of contactsChangedChunks(relink))
      await this.signal(connectionId, contactsChangedSignal, chunk);
    // Every customer's tags are judged again on the next reminders run, and the CRM hears of those that change.
    if (settingsOf(before).highValueThreshold !== settingsOf(updated).highValueThreshold)
      await contactArSweepModel(this.deps.db).deleteOne({ _id: connectionId });
    if (changes.pollIntervalSeconds !== undefined || changes.activePollIntervalSeconds !== undefined) {
      const { pollIntervalSeconds, activePollIntervalSeconds } = settingsOf(updated);
      await this.signal(connectionId, settingsChangedSignal, {
        pollIntervalSeconds,
        activePollIntervalSeconds,
      });
    }
    return updated;
  }

  /** Revokes the grant at Intuit, stops the workflow and forgets the tokens; history and projections stay. */
  async disconnect(accountId: string, connectionId: string): Promise<ConnectionRecord | null> {
    const connections = connectionModel(this.deps.db);
    const connection = await connections.findOne({ _id: connectionId, accountId }).lean();
    if (!connection) return null;
    const tokens = connectionTokensModel(this.deps.db);
    const stored = await tokens.findById(connectionId).lean();
    if (stored) {
      try {
        await this.oauth.revoke(
          this.deps.qbo.keys.open(stored.refresh, `connection:${connectionId}:refresh`),
        );
      } catch {
        // Already revoked or expired at Intuit: disconnecting must still succeed locally.
      }
    }
    const updated = await connections
      .findOneAndUpdate(
        { _id: connectionId, accountId },
        // A pause ends with the connection: connecting again starts syncing at once.
        { $set: { status: 'disconnected', statusReason: 'disconnected by the CRM' }, $unset: { paused: 1 } },
        { new: true },
      )
      .lean();
    await tokens.deleteOne({ _id: connectionId });
    await this.signal(connectionId, disconnectSignal);
    await this.followUps.removeReminders(connectionId);
    await deleteAuditSchedule(await this.deps.temporal(), connectionId);
    if (updated) await this.announceStatus(updated, 'disconnected', 'disconnected by the CRM');
    return updated;
  }

  async syncNow(accountId: string, connectionId: string): Promise<ConnectionRecord | null> {
    const connection = await connectionModel(this.deps.db).findOne({ _id: connectionId, accountId }).lean();
    if (connection?.status === 'active') await this.signal(connectionId, 'syncNow');
    return connection;
  }

  /**
   * Pauses the connection's sync (see `pauseUpdate`): the workflow holds the pause first, then the record says so,
   * and the reminders wait with it. Pausing a paused connection keeps its first `since` and note. Null when the
   * account has no such connection.
   */
  async pause(accountId: string, connectionId: string, note: string): Promise<PauseOutcome | null> {
    const connections = connectionModel(this.deps.db);
    const connection = await connections.findOne({ _id: connectionId, accountId }).lean();
    if (!connection) return null;
    if (connection.status === 'disconnected')
      throw new PauseError(
        'connection_inactive',
        'the connection is disconnected; there is no sync to pause',
      );
    const workflow = await this.update(connectionId, pauseUpdate);
    await connections.updateOne(
      { _id: connectionId, paused: { $exists: false } },
      { $set: { paused: { since: this.now(), note: note.trim() } } },
    );
    await this.followUps.holdForConnectionPause(connectionId, 'hold');
    return { connection: (await connections.findById(connectionId).lean())!, workflow };
  }

  /** Lifts a pause: the workflow syncs what waited and polls, and the reminders follow. Resuming twice is harmless. */
  async resume(accountId: string, connectionId: string): Promise<PauseOutcome | null> {
    const connections = connectionModel(this.deps.db);
    const connection = await connections.findOne({ _id: connectionId, accountId }).lean();
    if (!connection) return null;
    if (connection.status === 'disconnected')
      throw new PauseError('connection_inactive', 'the connection is disconnected; connect it again instead');
    const workflow = await this.update(connectionId, resumeUpdate);
    await connections.updateOne({ _id: connectionId }, { $unset: { paused: 1 } });
    await this.followUps.holdForConnectionPause(connectionId, 'lift');
    return { connection: (await connections.findById(connectionId).lean())!, workflow };
  }

  /** Runs an update on the connection's workflow and waits for its answer; null when the workflow is not running. */
  private async update(
    connectionId: string,
    update: typeof pauseUpdate,
  ): Promise<ConnectionWorkflowStatus | null> {
    const client = await this.deps.temporal();
    const handle = client.workflow.getHandle(connectionWorkflowId(connectionId));
    try {
      return await client.withDeadline(Date.now() + (this.deps.workflowTimeoutMs ?? 10_000), () =>
        handle.executeUpdate(update),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      if (
        error instanceof WorkflowUpdateFailedError &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === backfillRunningFailure
      )
        throw new PauseError('backfill_running', error.cause.message);
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error))
        throw new PauseError('sync_unavailable', 'the sync engine did not answer in time; retry the request');
      throw error;
    }
  }

  private async signal<Args extends unknown[]>(
    connectionId: string,
    signal: { name: string } | string,
    ...args: Args
  ): Promise<void> {
    const client = await this.deps.temporal();
    try {
      await client.workflow
        .getHandle(connectionWorkflowId(connectionId))
        .signal(typeof signal === 'string' ? signal : signal.name, ...args);
    } catch (error) {
      // No running workflow: there is nothing to tell, and the record already says what matters.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  private async announceStatus(
    connection: ConnectionRecord,
    status: 'active' | 'disconnected',
    reason: string,
  ): Promise<void> {
    const at = this.now();
    const recorded = await recordAccountEvents(
      this.deps.db,
      connection.accountId,
      [connectionStatusEvent(connection, status, reason, at)],
      at,
    );
    if (recorded > 0)
      await queueWebhookDelivery(await this.deps.temporal(), connection.accountId, this.deps.taskQueue);
  }

  private async readCompany(realmId: string, accessToken: string): Promise<CompanyFacts> {
    const client = new QboClient({
      baseUrl: this.deps.qbo.apiBaseUrl,
      realmId,
      timeoutMs: this.deps.qbo.requestTimeoutMs,
      tokens: {
        accessToken: () => Promise.resolve(accessToken),
        // The token was minted a moment ago; a 401 now is a real failure, not an expiry.
        refreshAfterUnauthorized: () => Promise.reject(new Error('a freshly issued token was refused')),
      },
    });
    const [info, preferences] = await Promise.all([client.companyInfo(), client.preferences()]);
    return {
      companyName: info.CompanyName,
      homeCurrency: preferences.CurrencyPrefs?.HomeCurrency?.value ?? 'USD',
      multiCurrency: preferences.CurrencyPrefs?.MultiCurrencyEnabled ?? false,
      timeZone: inferCompanyTimeZone(info),
    };
  }

  /**
   * One connection per account and company: connecting the same company again refreshes it (a reconnect), its time
   * zone included, since the company's address may have moved.
   */
  private async storeConnection(
    accountId: string,
    realmId: string,
    tokens: TokenSet,
    company: CompanyFacts,
  ): Promise<{ connection: ConnectionRecord; reconnecting: boolean }> {
    const connections = connectionModel(this.deps.db);
    const existing = await connections.findOne({ accountId, realmId }).lean();
    const _id = existing?._id ?? `conn_${randomBytes(12).toString('hex')}`;
    // Tokens first: a connection that says it is active always has them.
    await storeTokens(this.deps.db, this.deps.qbo.keys, _id, tokens, this.now());
    const connection = existing
      ? (await connections
          .findOneAndUpdate(
            { _id },
            { $set: { ...company, status: 'active' }, $unset: { statusReason: 1 } },
            { new: true },
          )
          .lean())!
      : (
          await connections.create({
            _id,
            accountId,
            realmId,
            environment: this.deps.qbo.environment,
            status: 'active',
            ...company,
          })
        ).toObject();
    return { connection, reconnecting: Boolean(existing) };
  }
}
