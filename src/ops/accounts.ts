import { issueConsoleSignInLink } from '../accounts/console-sign-in';
import { createAccount, issueApiKey, revokeApiKey } from '../accounts/keys';
import { accountModel, apiKeyModel } from '../accounts/models';
import { connectionModel } from '../db/models/connection';
import { OpsContext, OpsError } from './context';
import { labelled, table, when, type Outcome } from './output';

/** Accounts (the CRM tenants), their API keys, and one-time console sign-in links. */

async function existingAccount(ctx: OpsContext, accountId: string) {
  const account = await accountModel(await ctx.db())
    .findById(accountId)
    .lean();
  if (!account)
    throw new OpsError(`no account ${accountId}: list the accounts with \`npm run ops -- accounts list\``);
  return account;
}

export async function listAccounts(ctx: OpsContext): Promise<Outcome> {
  const db = await ctx.db();
  const [accounts, keys, connections] = await Promise.all([
    accountModel(db).find({}, { name: 1, createdAt: 1 }).sort({ createdAt: 1, _id: 1 }).lean(),
    apiKeyModel(db)
      .find({ revokedAt: { $exists: false } }, { accountId: 1 })
      .lean(),
    connectionModel(db)
      .find({ status: { $ne: 'disconnected' } }, { accountId: 1 })
      .lean(),
  ]);
  const count = (rows: { accountId: string }[], accountId: string) =>
    rows.filter((row) => row.accountId === accountId).length;
  const data = accounts.map((account) => ({
    id: account._id,
    name: account.name,
    liveKeys: count(keys, account._id),
    connections: count(connections, account._id),
    createdAt: account.createdAt,
  }));
  return {
    json: data,
    text: table(
      ['ACCOUNT', 'NAME', 'LIVE KEYS', 'CONNECTIONS', 'CREATED'],
      data.map((row) => [
        row.id,
        row.name,
        String(row.liveKeys),
        String(row.connections),
        when(row.createdAt),
      ]),
      'No accounts yet: create one with `npm run ops -- accounts create "<name>"`.',
    ),
  };
}

export async function createAccountWithKey(ctx: OpsContext, name: string): Promise<Outcome> {
  const db = await ctx.db();
  const account = await createAccount(db, name, ctx.now());
  const key = await issueApiKey(db, account._id, 'first key', ctx.now());
  const json = { accountId: account._id, name: account.name, keyId: key.id, apiKey: key.key };
  return {
    json,
    text: `${labelled([
      ['account', `${account._id}  (${account.name})`],
      ['API key', key.key],
      ['key id', key.id],
    ])}\nThe key is shown this once; only its hash is stored.`,
  };
}

export async function listKeys(ctx: OpsContext, accountId: string): Promise<Outcome> {
  await existingAccount(ctx, accountId);
  const keys = await apiKeyModel(await ctx.db())
    .find({ accountId }, { secretHash: 0 })
    .sort({ createdAt: 1 })
    .lean();
  const data = keys.map(({ _id, ...key }) => ({ id: _id, ...key }));
  return {
    json: data,
    text: table(
      ['KEY ID', 'PREFIX', 'LABEL', 'CREATED', 'LAST USED', 'REVOKED'],
      data.map((key) => [
        key.id,
        `${key.prefix}…`,
        key.label ?? '',
        when(key.createdAt),
        when(key.lastUsedAt),
        when(key.revokedAt),
      ]),
      `Account ${accountId} has no keys: create one with \`npm run ops -- keys create ${accountId}\`.`,
    ),
  };
}

export async function createKey(ctx: OpsContext, accountId: string, label?: string): Promise<Outcome> {
  await existingAccount(ctx, accountId);
  const key = await issueApiKey(await ctx.db(), accountId, label, ctx.now());
  return {
    json: { accountId, keyId: key.id, apiKey: key.key },
    text: `${labelled([
      ['API key', key.key],
      ['key id', key.id],
    ])}\nThe key is shown this once. To rotate, deploy it, then revoke the old one.`,
  };
}

export async function revokeKey(ctx: OpsContext, accountId: string, keyId: string): Promise<Outcome> {
  await existingAccount(ctx, accountId);
  if (!(await revokeApiKey(await ctx.db(), accountId, keyId, ctx.now())))
    throw new OpsError(
      `account ${accountId} has no live key ${keyId}: see its keys with \`npm run ops -- keys list ${accountId}\``,
    );
  return {
    json: { accountId, keyId, revoked: true },
    text: `Revoked key ${keyId}; it stops working at once.`,
  };
}

export async function consoleLink(ctx: OpsContext, accountId: string, ttlSeconds: number): Promise<Outcome> {
  const account = await existingAccount(ctx, accountId);
  const link = await issueConsoleSignInLink(
    await ctx.db(),
    { accountId, baseUrl: ctx.publicUrl, ttlSeconds },
    ctx.now(),
  );
  return {
    json: { accountId, url: link.url, expiresAt: link.expiresAt },
    text: `Sign in to the console as ${account.name} (${accountId}), once, before ${when(link.expiresAt)}:\n${link.url}`,
  };
}
