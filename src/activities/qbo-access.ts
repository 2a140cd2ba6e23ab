import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { ConnectionTokens } from '../oauth/connection-tokens';
import type { Config } from '../config';
import { IntuitOAuth, endpointsAt, intuitEndpoints, type OAuthSettings } from '../oauth/intuit-oauth';
import { mongoMinuteCounter } from '../db/models/qbo-budget';
import { QboClient, RealmBudget, type BudgetLimit, type QboRequestSample } from '../qbo';
import { readCustomerFieldDefinitions } from '../qbo/custom-field-definitions';
import type { CustomFieldDefinition } from '../sync/custom-fields';
import { KeyRing } from '../security/encryption';

export interface QboAccessSettings {
  apiBaseUrl: string;
  environment: 'sandbox' | 'production';
  requestTimeoutMs: number;
  oauth: OAuthSettings;
  keys: KeyRing;
}

/** The QBO settings of a process, from its validated configuration. */
export function qboAccessSettings(config: Config): QboAccessSettings {
  return {
    apiBaseUrl: config.QBO_API_BASE_URL,
    environment: config.QBO_ENVIRONMENT,
    requestTimeoutMs: config.QBO_REQUEST_TIMEOUT_MS,
    oauth: {
      clientId: config.QBO_CLIENT_ID,
      clientSecret: config.QBO_CLIENT_SECRET,
      environment: config.QBO_ENVIRONMENT,
      redirectUri: config.QBO_REDIRECT_URI,
      endpoints:
        config.QBO_OAUTH_BASE_URL === 'intuit' ? intuitEndpoints : endpointsAt(config.QBO_OAUTH_BASE_URL),
      timeoutMs: config.QBO_REQUEST_TIMEOUT_MS,
    },
    keys: KeyRing.parse(config.TOKEN_ENCRYPTION_KEYS),
  };
}

/**
 * Where the App Foundations GraphQL API answers: Intuit's own host for Intuit's Accounting API (the same for
 * sandbox companies, which Intuit's GraphQL examples use), otherwise (the emulator) `/graphql` beside the API.
 */
export function graphqlUrlOf(apiBaseUrl: string): string {
  const base = apiBaseUrl.replace(/\/+$/, '');
  return /quickbooks\.api\.intuit\.com$/.test(new URL(base).host)
    ? 'https://qb.api.intuit.com/graphql'
    : `${base}/graphql`;
}

/** Told of every QBO request and budget wait, without realm, ids or tokens: the worker's metrics. */
export interface QboObservers {
  onRequest?: (sample: QboRequestSample) => void;
  onBudgetWait?: (limit: BudgetLimit, waitedMs: number) => void;
}

/** Opens a connection's QBO client: its record, its shared tokens, and a client for its realm. */
export class QboAccess {
  private readonly oauth: IntuitOAuth;

  constructor(
    private readonly db: MongoConnection,
    readonly settings: QboAccessSettings,
    private readonly observers: QboObservers = {},
  ) {
    this.oauth = new IntuitOAuth(settings.oauth);
  }

  async open(connectionId: string): Promise<{ connection: ConnectionRecord; client: QboClient }> {
    const connection = await connectionModel(this.db).findById(connectionId).lean();
    if (!connection) throw new Error(`no connection ${connectionId}`);
    const tokens = this.tokensOf(connectionId);
    const client = new QboClient({
      baseUrl: this.settings.apiBaseUrl,
      realmId: connection.realmId,
      timeoutMs: this.settings.requestTimeoutMs,
      tokens,
      budget: new RealmBudget({
        realmId: connection.realmId,
        counter: mongoMinuteCounter(this.db),
        ...(this.observers.onBudgetWait ? { onWait: this.observers.onBudgetWait } : {}),
      }),
      ...(this.observers.onRequest ? { onRequest: this.observers.onRequest } : {}),
    });
    return { connection, client };
  }

  /** The company's custom field definitions for customers (GraphQL); throws CustomFieldsUnavailable. */
  async customFieldDefinitions(connectionId: string): Promise<CustomFieldDefinition[]> {
    return readCustomerFieldDefinitions({
      url: graphqlUrlOf(this.settings.apiBaseUrl),
      tokens: this.tokensOf(connectionId),
      timeoutMs: this.settings.requestTimeoutMs,
    });
  }

  private tokensOf(connectionId: string): ConnectionTokens {
    return new ConnectionTokens({
      db: this.db,
      keys: this.settings.keys,
      connectionId,
      refreshGrant: (refreshToken) => this.oauth.refresh(refreshToken),
    });
  }
}
