import type { Client } from '@temporalio/client';
import type { Connection as MongoConnection, Mongoose } from 'mongoose';
import { qboAccessSettings } from '../activities/qbo-access';
import { loadConfig, publicOrigin, type Config } from '../config';
import type { RepairDeps } from '../connections/repair';
import { ConnectionService } from '../connections/service';
import { connectMongo } from '../db/connect';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { FollowUpService } from '../followups/service';
import { redactUri } from '../logger';
import { loadStackConfig, serviceEnvironment, stackAddresses } from '../stack/config';
import { connectTemporalClient } from '../temporal/connection';

/** A refusal the operator can act on: printed as it is, with exit code 1. */
export class OpsError extends Error {
  override name = 'OpsError';
}

/**
 * The configuration the API and the worker have when `npm start` runs them: the same variables and defaults, and
 * the embedded servers' addresses (MONGODB_PORT, MONGODB_DATABASE, TEMPORAL_PORT) unless MONGODB_URI and
 * TEMPORAL_ADDRESS name others. So the CLI works beside `npm start` on any ports, and against a deployment alike.
 */
export function opsConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const stack = loadStackConfig(env);
  return loadConfig(serviceEnvironment(stack, stackAddresses(stack), env));
}

/** What the commands work with: the database and Temporal, opened on first use, and the domain services over them. */
export class OpsContext {
  private mongo: Promise<Mongoose> | undefined;
  private client: Promise<Client> | undefined;

  constructor(
    readonly config: Config,
    readonly now: () => Date = () => new Date(),
  ) {}

  async db(): Promise<MongoConnection> {
    const { MONGODB_URI: uri, DEPENDENCY_TIMEOUT_MS: timeoutMs } = this.config;
    this.mongo ??= connectMongo(uri, timeoutMs).catch((error: unknown) => {
      throw new OpsError(
        `MongoDB at ${redactUri(uri)} did not answer within ${timeoutMs} ms (${(error as Error).message}). ` +
          'Is `npm start` running? The CLI reads MONGODB_URI, or MONGODB_PORT and MONGODB_DATABASE, as it does.',
      );
    });
    return (await this.mongo).connection;
  }

  temporal = (): Promise<Client> => {
    const { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace } = this.config;
    this.client ??= connectTemporalClient(address, namespace, this.config.DEPENDENCY_TIMEOUT_MS).catch(
      (error: unknown) => {
        throw new OpsError(
          `Temporal at ${address} did not answer (${(error as Error).message}). Is \`npm start\` running? ` +
            'The CLI reads TEMPORAL_ADDRESS, or TEMPORAL_PORT, as it does.',
        );
      },
    );
    return this.client;
  };

  /** The API's public origin, where the console and the panel live: that of the OAuth redirect URI. */
  get publicUrl(): string {
    return publicOrigin(this.config);
  }

  async connectionService(): Promise<ConnectionService> {
    return new ConnectionService({
      db: await this.db(),
      temporal: this.temporal,
      qbo: qboAccessSettings(this.config),
      stateSecret: this.config.OAUTH_STATE_SECRET,
      taskQueue: this.config.TEMPORAL_TASK_QUEUE,
      now: this.now,
    });
  }

  async followUpService(): Promise<FollowUpService> {
    return new FollowUpService({
      db: await this.db(),
      temporal: this.temporal,
      taskQueue: this.config.TEMPORAL_TASK_QUEUE,
      now: this.now,
    });
  }

  async repairDeps(): Promise<RepairDeps> {
    return {
      db: await this.db(),
      temporal: this.temporal,
      dependencyTimeoutMs: this.config.DEPENDENCY_TIMEOUT_MS,
      now: this.now,
    };
  }

  /** A connection by id, whichever account holds it. */
  async connection(connectionId: string): Promise<ConnectionRecord> {
    const found = await connectionModel(await this.db())
      .findById(connectionId)
      .lean();
    if (!found)
      throw new OpsError(`no connection ${connectionId}: list them with \`npm run ops -- connections list\``);
    return found;
  }

  async close(): Promise<void> {
    const [mongo, client] = await Promise.all([
      this.mongo?.catch(() => undefined),
      this.client?.catch(() => undefined),
    ]);
    await Promise.all([mongo?.disconnect(), client?.connection.close()]);
  }
}
