import { Client, Connection } from '@temporalio/client';
import { issueConsoleSignInLink, type ConsoleSignInLink } from '../accounts/console-sign-in';
import { createAccount, issueApiKey, revokeApiKey } from '../accounts/keys';
import { accountModel, apiKeyModel } from '../accounts/models';
import { connectMongo } from '../db/connect';
import { reminderScheduleId, runReminderScheduleNow } from '../temporal/reminder-schedules';
import type { Say } from './launcher';

/**
 * The demo `npm start` sets up on top of the emulator, through the same doors a CRM uses: a "Demo CRM" account with
 * a fresh API key, the demo company connected through the OAuth consent page and backfilled, Intuit's webhooks
 * pointed at the API, and the follow-up schedule run once so its overdue-invoice reminders show at once.
 */
export interface DemoTargets {
  apiUrl: string;
  emulatorUrl: string;
  mongodbUri: string;
  temporalAddress: string;
  namespace: string;
}

export interface DemoSummary {
  accountId: string;
  apiKey: string;
  connectionId: string;
  realmId: string;
  companyName: string;
  followUps: FollowUpOutcomes;
  /** Signs into the console as the demo account, once. */
  consoleLink: ConsoleSignInLink;
}

/** What became of the demo's follow-ups on each channel: the words "sent" and "delivered" only where they were. */
export interface FollowUpOutcomes {
  planned: number;
  /** `followup.created` events stored for the CRM. */
  recorded: number;
  /** Those events the CRM's webhook endpoint took; and those still waiting for it. */
  delivered: number;
  awaitingDelivery: number;
  /** The account's webhook endpoint, when one is set and enabled. */
  endpoint: string | null;
  emailEnabled: boolean;
  emailed: number;
  emailSkipped: number;
  /** Refused for good by the mail server, or failed. */
  emailFailed: number;
}

/** The follow-ups as `GET /v1/follow-ups` lists them, as far as the outcomes go. */
interface ListedFollowUp {
  channels: { crm?: { status: string }; email?: { status: string } };
}

export function followUpOutcomes(
  followUps: readonly ListedFollowUp[],
  events: { delivered: number; awaitingDelivery: number },
  setup: { endpoint: string | null; emailEnabled: boolean },
): FollowUpOutcomes {
  const count = (channel: 'crm' | 'email', statuses: string[]) =>
    followUps.filter((followUp) => statuses.includes(followUp.channels[channel]?.status ?? '')).length;
  return {
    planned: followUps.length,
    recorded: count('crm', ['recorded']),
    ...events,
    ...setup,
    emailed: count('email', ['sent']),
    emailSkipped: count('email', ['skipped']),
    emailFailed: count('email', ['bounced', 'failed']),
  };
}

const demoAccountName = 'Demo CRM';
/** The emulator's default verifier token, which the API also uses by default. */
const demoVerifierToken = 'qbo-emulator-verifier-token';

/**
 * Approves an authorize URL on the emulator's consent page for one company, as a user would, and returns where the
 * emulator sends the browser next (the callback, with `code`, `state` and `realmId`).
 */
export async function approveConsent(authorizeUrl: string, realmId: string): Promise<string> {
  const authorize = new URL(authorizeUrl);
  const form = new URLSearchParams(authorize.searchParams);
  form.set('realmId', realmId);
  form.set('action', 'approve');
  const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) throw new Error(`consent page answered ${consent.status}`);
  return location;
}

export async function setUpDemo(targets: DemoTargets, say: Say): Promise<DemoSummary> {
  const demo = await demoAccess(targets.mongodbUri, targets.apiUrl);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${targets.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${demo.key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const json: unknown = await response.json();
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };

  const companies = (await (
    await fetch(`${targets.emulatorUrl}/__admin/companies`, { signal: AbortSignal.timeout(10_000) })
  ).json()) as { companies: { realmId: string; companyName: string }[] };
  const company = companies.companies[0];
  if (!company) throw new Error('the emulator has no company');
  await fetch(`${targets.emulatorUrl}/__admin/companies/${company.realmId}/webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `${targets.apiUrl}/v1/webhooks/quickbooks`,
      verifierToken: demoVerifierToken,
    }),
    signal: AbortSignal.timeout(10_000),
  });

  const started = (await call('POST', '/v1/connections/quickbooks', {})) as { authorizeUrl: string };
  const callback = new URL(await approveConsent(started.authorizeUrl, company.realmId));
  const connected = await fetch(`${targets.apiUrl}${callback.pathname}${callback.search}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const connection = (await connected.json()) as { id: string };
  if (!connected.ok) throw new Error(`the OAuth callback answered ${connected.status}`);
  say(`demo     │ connected ${company.companyName} as ${connection.id}; backfilling…`);

  const deadline = Date.now() + 120_000;
  for (;;) {
    const detail = (await call('GET', `/v1/connections/${connection.id}`)) as {
      backfill: { status: string } | null;
    };
    // The backfill shows up on the connection once its workflow begins; a reconnect keeps the first one's.
    if (detail.backfill?.status === 'done') break;
    if (Date.now() > deadline) throw new Error('the demo backfill did not finish in 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  // The demo runs at any hour: no quiet hours, so the reminders go out as soon as the schedule runs.
  await call('PUT', `/v1/connections/${connection.id}/follow-up-policy`, { quietHours: null });
  const temporal = await Connection.connect({ address: targets.temporalAddress, connectTimeout: 10_000 });
  try {
    const client = new Client({ connection: temporal, namespace: targets.namespace });
    await runReminderScheduleNow(client, connection.id);
  } finally {
    await temporal.close();
  }

  const everything = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = (await call(
        'GET',
        `${path}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )) as { data: T[]; nextCursor: string | null };
      items.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  };
  const events = (status: string) =>
    everything(`/v1/events?type=followup.created&connectionId=${connection.id}&deliveryStatus=${status}`);
  const [followUps, delivered, awaiting, endpoint, policy] = await Promise.all([
    everything<ListedFollowUp>(`/v1/follow-ups?connectionId=${connection.id}`),
    events('delivered'),
    events('pending'),
    call('GET', '/v1/webhook-endpoint') as Promise<{ url: string | null; enabled: boolean }>,
    call('GET', `/v1/connections/${connection.id}/follow-up-policy`) as Promise<{
      channels: { email: boolean };
    }>,
  ]);
  return {
    accountId: demo.accountId,
    apiKey: demo.key,
    connectionId: connection.id,
    realmId: company.realmId,
    companyName: company.companyName,
    followUps: followUpOutcomes(
      followUps,
      { delivered: delivered.length, awaitingDelivery: awaiting.length },
      { endpoint: endpoint.enabled ? endpoint.url : null, emailEnabled: policy.channels.email },
    ),
    consoleLink: demo.consoleLink,
  };
}

/**
 * The demo account, created once; each start revokes the last start's key and prints a new one, with a one-time link
 * into the console.
 */
async function demoAccess(
  mongodbUri: string,
  apiUrl: string,
): Promise<{ accountId: string; key: string; consoleLink: ConsoleSignInLink }> {
  const mongo = await connectMongo(mongodbUri, 10_000);
  try {
    const db = mongo.connection;
    const account =
      (await accountModel(db).findOne({ name: demoAccountName }).lean()) ??
      (await createAccount(db, demoAccountName));
    const previous = await apiKeyModel(db)
      .find({ accountId: account._id, revokedAt: { $exists: false } })
      .lean();
    for (const key of previous) await revokeApiKey(db, account._id, key._id);
    const issued = await issueApiKey(db, account._id, 'demo (npm start)');
    const consoleLink = await issueConsoleSignInLink(db, { accountId: account._id, baseUrl: apiUrl });
    return { accountId: account._id, key: issued.key, consoleLink };
  } finally {
    await mongo.disconnect();
  }
}

/** Where people look next, for the lines `npm start` prints. */
export interface DemoPlaces {
  apiUrl: string;
  temporalUiUrl: string | undefined;
  namespace: string;
  emulatorUrl: string;
}

/** What the demo did, said as it happened: what was recorded, what was delivered and emailed, and where to look. */
export function describeDemo(demo: DemoSummary, places: DemoPlaces, now: Date): string[] {
  const { followUps: outcome } = demo;
  const api = places.apiUrl;
  const minutes = Math.round((demo.consoleLink.expiresAt.getTime() - now.getTime()) / 60_000);
  const delivery =
    outcome.endpoint === null
      ? `${outcome.delivered}: the account has no webhook endpoint (PUT ${api}/v1/webhook-endpoint sets one)`
      : `${outcome.delivered} to ${outcome.endpoint}` +
        (outcome.awaitingDelivery > 0 ? `; ${outcome.awaitingDelivery} still on their way` : '');
  const email = !outcome.emailEnabled
    ? `0: email is off in the follow-up policy (GET ${api}/v1/connections/${demo.connectionId}/follow-up-policy)`
    : `${outcome.emailed}` +
      (outcome.emailSkipped > 0
        ? `; ${outcome.emailSkipped} skipped (no address, or one that bounced)`
        : '') +
      (outcome.emailFailed > 0 ? `; ${outcome.emailFailed} refused or failed` : '');
  const schedule = reminderScheduleId(demo.connectionId);
  return [
    `Demo: ${demo.companyName} is connected to the "${demoAccountName}" account (${demo.accountId})`,
    `  API key        ${demo.apiKey}   (new each start; the previous one is revoked)`,
    `  connection     ${api}/v1/connections/${demo.connectionId}`,
    `  API reference  ${api}/docs`,
    '',
    `Follow-ups: the reminder schedule ran once and planned ${outcome.planned} (overdue invoices, estimates, payments)`,
    `  recorded       ${outcome.recorded} followup.created events for the CRM: GET ${api}/v1/events?type=followup.created`,
    `  delivered      ${delivery}`,
    `  emailed        ${email}`,
    `  follow-ups     GET ${api}/v1/follow-ups`,
    '',
    'Where to look',
    `  Console        ${api}/console`,
    `                 sign in as ${demoAccountName} once, within ${minutes} minutes: ${demo.consoleLink.url}`,
    ...(places.temporalUiUrl
      ? [
          `  Temporal UI    ${places.temporalUiUrl}/namespaces/${places.namespace}/schedules/${schedule}   (the reminder schedule)`,
        ]
      : []),
    `  QBO emulator   ${places.emulatorUrl}/__admin/companies/${demo.realmId}   (the demo company)`,
  ];
}
