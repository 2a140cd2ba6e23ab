import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultSignInTtlSeconds, maxSignInTtlSeconds } from '../accounts/console-sign-in';
import { consoleLink, createAccountWithKey, createKey, listAccounts, listKeys, revokeKey } from './accounts';
import { connectionStatus, disconnect, listConnections, pauseConnection, syncNow } from './connections';
import { OpsContext, opsConfig } from './context';
import type { Outcome } from './output';
import { holdReminders, previewReminders, runReminders } from './reminders';
import { resolve, retry } from './repair';

/**
 * `npm run ops -- <command>`: what operators do to accounts, keys and connections, through the same domain
 * services as the API, on the configuration the services run with. `--json` prints a JSON document for scripts.
 * Exit codes: 0 done, 1 refused or failed (the message says why), 2 a command line it does not understand.
 */
class UsageError extends Error {}

type Work = (ctx: OpsContext) => Promise<Outcome>;

function parser(args: string[], run: (work: Work) => Promise<void>): Argv {
  const connectionId = (command: Argv) =>
    command.positional('connectionId', { type: 'string', demandOption: true, describe: 'conn_…' });
  return yargs(args)
    .scriptName('npm run ops --')
    .usage('$0 <command> [options]')
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON, for scripts' })
    .command('accounts', 'CRM accounts (the tenants)', (accounts) =>
      accounts
        .command('list', 'every account, with its live keys and connections', {}, () =>
          run((ctx) => listAccounts(ctx)),
        )
        .command(
          'create <name..>',
          'a new account and its first API key (shown once)',
          (command) => command.positional('name', { type: 'string', array: true, demandOption: true }),
          (argv) => run((ctx) => createAccountWithKey(ctx, argv.name.join(' ').trim())),
        )
        .demandCommand(1, 'name an accounts command'),
    )
    .command('keys', 'API keys of an account', (keys) =>
      keys
        .command(
          'list <accountId>',
          'the account’s keys, live and revoked',
          (command) => command.positional('accountId', { type: 'string', demandOption: true }),
          (argv) => run((ctx) => listKeys(ctx, argv.accountId)),
        )
        .command(
          'create <accountId> [label]',
          'another key (to rotate: create, deploy, then revoke the old one)',
          (command) =>
            command
              .positional('accountId', { type: 'string', demandOption: true })
              .positional('label', { type: 'string' }),
          (argv) => run((ctx) => createKey(ctx, argv.accountId, argv.label)),
        )
        .command(
          'revoke <accountId> <keyId>',
          'revoke a key; it stops working at once',
          (command) =>
            command
              .positional('accountId', { type: 'string', demandOption: true })
              .positional('keyId', { type: 'string', demandOption: true }),
          (argv) => run((ctx) => revokeKey(ctx, argv.accountId, argv.keyId)),
        )
        .demandCommand(1, 'name a keys command'),
    )
    .command('console', 'the admin console', (consoleCommand) =>
      consoleCommand
        .command(
          'link <accountId>',
          'a one-time link that signs into the console as the account',
          (command) =>
            command.positional('accountId', { type: 'string', demandOption: true }).option('ttl', {
              type: 'number',
              default: defaultSignInTtlSeconds,
              describe: `Seconds the link stays valid (at most ${maxSignInTtlSeconds})`,
            }),
          (argv) => run((ctx) => consoleLink(ctx, argv.accountId, argv.ttl)),
        )
        .demandCommand(1, 'name a console command'),
    )
    .command('connections', 'QuickBooks connections', (connections) =>
      connections
        .command(
          'list',
          'every connection, or one account’s',
          (command) => command.option('account', { type: 'string', describe: 'Only this account’s' }),
          (argv) => run((ctx) => listConnections(ctx, argv.account ? { accountId: argv.account } : {})),
        )
        .command(
          'status <connectionId>',
          'status, workflow, contacts in sync, freshness, tokens, reminders',
          connectionId,
          (argv) => run((ctx) => connectionStatus(ctx, argv.connectionId)),
        )
        .command('sync <connectionId>', 'poll QuickBooks for changes now', connectionId, (argv) =>
          run((ctx) => syncNow(ctx, argv.connectionId)),
        )
        .command(
          'pause <connectionId>',
          'stop syncing both ways (and the reminders); contacts and webhooks wait, nothing is lost',
          (command) =>
            connectionId(command).option('note', {
              type: 'string',
              default: '',
              describe: 'Why, shown with it',
            }),
          (argv) => run((ctx) => pauseConnection(ctx, argv.connectionId, { note: argv.note })),
        )
        .command(
          'resume <connectionId>',
          'sync what waited, poll for the rest, and resume the reminders',
          connectionId,
          (argv) => run((ctx) => pauseConnection(ctx, argv.connectionId, 'resume')),
        )
        .command(
          'disconnect <connectionId>',
          'revoke the tokens at Intuit and stop syncing; history is kept',
          (command) =>
            connectionId(command).option('yes', {
              type: 'boolean',
              default: false,
              describe: 'Go ahead without asking',
            }),
          (argv) => run((ctx) => disconnect(ctx, argv.connectionId, argv.yes)),
        )
        .demandCommand(1, 'name a connections command'),
    )
    .command('reminders', 'follow-up reminders of a connection', (reminders) =>
      reminders
        .command('run <connectionId>', 'run them now and report what the run did', connectionId, (argv) =>
          run((ctx) => runReminders(ctx, argv.connectionId)),
        )
        .command(
          'preview <connectionId>',
          'the policy, the schedule, and what the next run delivers',
          connectionId,
          (argv) => run((ctx) => previewReminders(ctx, argv.connectionId)),
        )
        .command(
          'pause <connectionId>',
          'hold the schedule: no run starts until resumed (policy edits keep the hold)',
          (command) =>
            connectionId(command).option('note', {
              type: 'string',
              default: '',
              describe: 'Why, shown in the UI',
            }),
          (argv) => run((ctx) => holdReminders(ctx, argv.connectionId, { note: argv.note })),
        )
        .command('resume <connectionId>', 'lift the hold', connectionId, (argv) =>
          run((ctx) => holdReminders(ctx, argv.connectionId, 'lift')),
        )
        .demandCommand(1, 'name a reminders command'),
    )
    .command(
      'retry <connectionId> [crmContactIds..]',
      'write failed and waiting contacts to QuickBooks again (the ones named, or all)',
      (command) =>
        connectionId(command).positional('crmContactIds', { type: 'string', array: true, default: [] }),
      (argv) => run((ctx) => retry(ctx, argv.connectionId, argv.crmContactIds)),
    )
    .command(
      'resolve <syncEventId> <keep>',
      'decide a conflict: keep qbo (as applied) or crm (write the CRM’s value to QuickBooks)',
      (command) =>
        command
          .positional('syncEventId', { type: 'string', demandOption: true })
          .positional('keep', { choices: ['qbo', 'crm'] as const, demandOption: true }),
      (argv) => run((ctx) => resolve(ctx, argv.syncEventId, argv.keep)),
    )
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

export async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const run = async (work: Work): Promise<void> => {
    const ctx = new OpsContext(opsConfig());
    try {
      const outcome = await work(ctx);
      process.stdout.write(`${json ? JSON.stringify(outcome.json, null, 2) : outcome.text}\n`);
    } finally {
      await ctx.close();
    }
  };
  const cli = parser(args, run);
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${await cli.getHelp()}\n\n${error.message}\n`);
      return 2;
    }
    // OpsError and ConfigError say what to do; anything else is reported by its message, never a stack.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  return 0;
}

void main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
