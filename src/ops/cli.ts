import { loadConfig } from '../config';
import { connectMongo } from '../db/connect';
import { createAccount, issueApiKey, revokeApiKey } from './keys';
import { accountModel, apiKeyModel } from './models';

/**
 * Ops commands for tenants: `npm run ops -- <command>`.
 *   accounts:create <name>             a CRM account and its first API key
 *   keys:create <accountId> [label]    another key (rotation: create the new one, then revoke the old)
 *   keys:revoke <accountId> <keyId>
 *   keys:list <accountId>
 * A new key is printed once; only its hash is stored.
 */
const usage = `usage: npm run ops -- accounts:create <name> | keys:create <accountId> [label] |
       keys:revoke <accountId> <keyId> | keys:list <accountId>`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = loadConfig();
  const mongo = await connectMongo(config.MONGODB_URI, config.DEPENDENCY_TIMEOUT_MS);
  const db = mongo.connection;
  try {
    switch (command) {
      case 'accounts:create': {
        const name = args.join(' ').trim();
        if (!name) break;
        const account = await createAccount(db, name);
        const key = await issueApiKey(db, account._id, 'first key');
        print({ accountId: account._id, name: account.name, keyId: key.id, apiKey: key.key });
        return 0;
      }
      case 'keys:create': {
        const [accountId, label] = args;
        if (!accountId) break;
        const key = await issueApiKey(db, accountId, label);
        print({ accountId, keyId: key.id, apiKey: key.key });
        return 0;
      }
      case 'keys:revoke': {
        const [accountId, keyId] = args;
        if (!accountId || !keyId) break;
        const revoked = await revokeApiKey(db, accountId, keyId);
        print({ accountId, keyId, revoked });
        return revoked ? 0 : 1;
      }
      case 'keys:list': {
        const [accountId] = args;
        if (!accountId || !(await accountModel(db).exists({ _id: accountId }))) break;
        const keys = await apiKeyModel(db)
          .find({ accountId }, { secretHash: 0 })
          .sort({ createdAt: 1 })
          .lean();
        print(keys);
        return 0;
      }
    }
    process.stderr.write(`${usage}\n`);
    return 2;
  } finally {
    await mongo.disconnect();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
