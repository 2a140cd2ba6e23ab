import { syncFieldNames } from '../../../sync/fields';
import { syncedEntities } from '../../../sync/transactions';
import { backfillProgress, type BackfillState } from '../../backfill-progress';
import { freshnessKinds, freshnessSeries, type LaggedEvent } from '../../freshness';
import { mappingChanges, type Direction } from '../../mapping-preview';
import { api, explain, ok } from '../api';
import type { Page, PageContext } from '../app';
import { chartWidth, freshnessChart } from '../chart';
import { ago, duration, facts, h, table, when, type Child } from '../dom';
import { driftSection } from './drift';

type Connection = Awaited<ReturnType<typeof loadConnection>>;

const loadConnection = (id: string) => ok(api.GET('/v1/connections/{id}', { params: { path: { id } } }));

/** Starts Intuit's consent flow; the callback brings the browser back to the connections page. */
async function connect(backfill: boolean): Promise<void> {
  const started = await ok(
    api.POST('/v1/connections/quickbooks', {
      body: { backfill, returnUrl: new URL('/console/connections', window.location.origin).toString() },
    }),
  );
  window.location.assign(started.authorizeUrl);
}

function connectForm(announce: (message: string) => void): HTMLElement {
  const backfill = h('input', { type: 'checkbox', id: 'connect-backfill', checked: true });
  return h(
    'form',
    {
      class: 'card',
      on: {
        submit: (event) => {
          event.preventDefault();
          connect(backfill.checked).catch((error: unknown) => announce(explain(error)));
        },
      },
    },
    h('h2', {}, 'Connect a company'),
    h(
      'p',
      { class: 'check' },
      backfill,
      h(
        'label',
        { for: 'connect-backfill' },
        'Read its existing customers and transactions first (backfill)',
      ),
    ),
    h('button', { type: 'submit' }, 'Connect a QuickBooks company'),
  );
}

const statusWords: Record<string, string> = {
  active: 'Active',
  needs_reauth: 'Needs to be reconnected',
  disconnected: 'Disconnected',
};

export const connectionsPage: Page = {
  path: /^\/console\/connections$/,
  title: 'Connections',
  async render({ query, navigate, announce }) {
    // Back from Intuit's consent page: straight to the new connection, to watch its backfill.
    const connected = query.get('connectionId');
    if (connected) {
      navigate(`/console/connections/${encodeURIComponent(connected)}?connected=1`, { replace: true });
      return [];
    }
    const { data } = await ok(api.GET('/v1/connections', { params: { query: { limit: 200 } } }));
    return [
      h('h1', {}, 'Connections'),
      data.length === 0
        ? h('p', {}, 'No QuickBooks company is connected yet.')
        : table(
            'Connections',
            ['Company', 'Status', 'Environment', 'Home currency', 'Tokens', 'Last webhook', 'Last poll'],
            data.map((connection) => [
              h(
                'a',
                { href: `/console/connections/${connection.id}` },
                connection.companyName ?? connection.realmId,
              ),
              statusText(connection),
              connection.environment,
              connection.homeCurrency ?? '—',
              connection.tokens ? `refresh token until ${when(connection.tokens.refreshExpiresAt)}` : 'none',
              ago(connection.lastWebhookAt),
              ago(connection.lastPolledAt),
            ]),
          ),
      connectForm(announce),
    ];
  },
};

/** The status in words, and the pause beside it: a paused connection is still active, only held. */
function statusText(connection: Pick<Connection, 'status' | 'paused'>): string {
  const status = statusWords[connection.status] ?? connection.status;
  return connection.paused ? `${status}, paused` : status;
}

function statusSection(connection: Connection): HTMLElement {
  const tokens = connection.tokens;
  return h(
    'section',
    { 'aria-labelledby': 'status-title' },
    h('h2', { id: 'status-title' }, 'Status'),
    facts([
      ['Status', [statusText(connection), connection.statusReason ? ` (${connection.statusReason})` : '']],
      ...(connection.paused
        ? [
            [
              'Paused',
              `since ${when(connection.paused.since)}${connection.paused.note ? `: ${connection.paused.note}` : ''}` +
                ' (nothing goes to or comes from QuickBooks; contacts and webhooks wait, and reminders are held)',
            ] as [string, Child],
          ]
        : []),
      ['Company', `${connection.companyName ?? '—'} (realm ${connection.realmId})`],
      ['Environment', connection.environment],
      [
        'Home currency',
        `${connection.homeCurrency ?? '—'}${connection.multiCurrency ? ', multi-currency' : ''}`,
      ],
      ['Access token', tokens ? `expires ${when(tokens.accessExpiresAt)}` : 'none'],
      [
        'Refresh token',
        tokens
          ? `expires ${when(tokens.refreshExpiresAt)}, last refreshed ${ago(tokens.lastRefreshedAt)}`
          : 'none',
      ],
      ['Last webhook', ago(connection.lastWebhookAt)],
      ['Last poll', ago(connection.lastPolledAt)],
      ['Sync engine', connection.workflow ? connection.workflow.state : 'not answering'],
      ['Last error', connection.workflow?.lastError ?? 'none'],
      [
        'Backlog',
        connection.workflow
          ? `CRM → QuickBooks: ${connection.workflow.pushesInFlight} writing, ${connection.workflow.contactsWaiting} waiting; ` +
            `QuickBooks → CRM: ${connection.workflow.pullsInFlight} merging, ${connection.workflow.customersWaiting} waiting`
          : '—',
      ],
      [
        'Records',
        `${connection.counts.customers} customers, ${connection.counts.linkedContacts} linked contacts, ${connection.counts.transactions} transactions`,
      ],
    ]),
  );
}

function backfillSection(backfill: BackfillState | null): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'backfill-title' },
    h('h2', { id: 'backfill-title' }, 'Backfill'),
  );
  if (!backfill) {
    section.append(h('p', {}, 'This connection was made without a backfill.'));
    return section;
  }
  const progress = backfillProgress(backfill, syncedEntities, new Date());
  const rate = progress.recordsPerSecond === null ? '—' : `${progress.recordsPerSecond.toFixed(1)} records/s`;
  const left =
    backfill.status === 'done'
      ? `finished ${when(backfill.finishedAt)}`
      : backfill.status === 'waiting_for_reconnect'
        ? 'interrupted: QuickBooks’ grant ended; reconnect to resume it where it stopped'
        : backfill.status === 'stopped'
          ? 'stopped: the connection was disconnected'
          : progress.secondsLeft === null
            ? 'time left: estimating'
            : `about ${duration(progress.secondsLeft * 1000)} left (a rough estimate: QuickBooks gives no totals up front)`;
  section.append(
    h(
      'p',
      { id: 'backfill-label' },
      `${progress.percent} % · ${progress.read} records read · ${rate} · ${left}`,
    ),
    h('progress', { max: 100, value: progress.percent, 'aria-labelledby': 'backfill-label', class: 'bar' }),
    table(
      'Backfill per entity',
      ['Entity', 'Read', 'State'],
      progress.entities.map((entity) => [entity.name, String(entity.read), entity.state]),
    ),
  );
  return section;
}

async function healthSection(id: string): Promise<HTMLElement> {
  const health = await ok(api.GET('/v1/connections/{id}/health', { params: { path: { id } } }));
  const { records, freshness, apiBudget } = health;
  const used = Math.max(apiBudget.usedThisMinute, apiBudget.usedLastMinute);
  return h(
    'section',
    { 'aria-labelledby': 'health-title' },
    h('h2', { id: 'health-title' }, 'Health'),
    h(
      'ul',
      { class: 'tiles' },
      (
        [
          ['In sync', records.inSync],
          ['Pending', records.pending],
          ['Failing', records.failing],
          ['Excluded', records.excluded],
        ] as const
      ).map(([label, count]) => h('li', {}, h('span', { class: 'count' }, String(count)), ' ', label)),
    ),
    facts([
      [
        'QuickBooks → CRM',
        `p50 ${duration(freshness.qboToCrm.p50Ms)}, p95 ${duration(freshness.qboToCrm.p95Ms)} (${freshness.qboToCrm.samples} changes, last day)`,
      ],
      [
        'CRM → QuickBooks',
        `p50 ${duration(freshness.crmToQbo.p50Ms)}, p95 ${duration(freshness.crmToQbo.p95Ms)} (${freshness.crmToQbo.samples} changes, last day)`,
      ],
      ['Tokens', health.tokens.state.replace('_', ' ')],
    ]),
    h(
      'p',
      { id: 'budget-label' },
      `QuickBooks requests: ${used} of Intuit’s ${apiBudget.perMinute} per minute`,
    ),
    h('meter', {
      min: 0,
      max: apiBudget.perMinute,
      low: apiBudget.perMinute * 0.6,
      high: apiBudget.perMinute * 0.85,
      value: used,
      'aria-labelledby': 'budget-label',
      class: 'bar',
    }),
    freshnessChart(await freshnessOverTime(id), chartWidth()),
  );
}

/** The last day's changes with their lag, both directions, at most 1,000 per kind. */
async function freshnessOverTime(connectionId: string) {
  const kinds = [...freshnessKinds.qboToCrm, ...freshnessKinds.crmToQbo];
  const since = Date.now() - 86_400_000;
  const events: LaggedEvent[] = [];
  await Promise.all(
    kinds.map(async (kind) => {
      let cursor: string | undefined;
      for (let page = 0; page < 5; page += 1) {
        const found = await ok(
          api.GET('/v1/sync-events', {
            params: { query: { connectionId, kind, limit: 200, ...(cursor ? { cursor } : {}) } },
          }),
        );
        events.push(...found.data);
        const last = found.data[found.data.length - 1];
        if (!found.nextCursor || !last || new Date(last.at).getTime() < since) break;
        cursor = found.nextCursor;
      }
    }),
  );
  return freshnessSeries(events, new Date(), { buckets: 24, bucketMs: 3_600_000 });
}

function actions(connection: Connection, context: PageContext, reload: () => Promise<void>): HTMLElement {
  const id = connection.id;
  const confirm = h('button', { type: 'button', class: 'danger', hidden: true }, 'Yes, disconnect it');
  const run = (work: () => Promise<unknown>, done: string) => () => {
    work()
      .then(async () => {
        context.announce(done);
        await reload();
      })
      .catch((error: unknown) => context.announce(explain(error)));
  };
  confirm.addEventListener(
    'click',
    run(() => ok(api.DELETE('/v1/connections/{id}', { params: { path: { id } } })), 'Disconnected.'),
  );
  return h(
    'div',
    { class: 'actions' },
    connection.status === 'active'
      ? connection.paused
        ? null
        : h(
            'button',
            {
              type: 'button',
              on: {
                click: run(
                  () => ok(api.POST('/v1/connections/{id}/sync', { params: { path: { id } } })),
                  'Sync queued.',
                ),
              },
            },
            'Sync now',
          )
      : h(
          'button',
          {
            type: 'button',
            on: {
              click: () => void connect(false).catch((error: unknown) => context.announce(explain(error))),
            },
          },
          'Reconnect',
        ),
    connection.status === 'disconnected'
      ? null
      : connection.paused
        ? h(
            'button',
            {
              type: 'button',
              on: {
                click: run(
                  () => ok(api.POST('/v1/connections/{id}/resume', { params: { path: { id } } })),
                  'Sync resumed.',
                ),
              },
            },
            'Resume sync',
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'quiet',
              on: {
                click: run(
                  () => ok(api.POST('/v1/connections/{id}/pause', { params: { path: { id } }, body: {} })),
                  'Sync paused.',
                ),
              },
            },
            'Pause sync',
          ),
    connection.status === 'disconnected'
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'quiet',
            'aria-expanded': 'false',
            on: {
              click: (event) => {
                confirm.hidden = !confirm.hidden;
                (event.currentTarget as HTMLElement).setAttribute('aria-expanded', String(!confirm.hidden));
              },
            },
          },
          'Disconnect…',
        ),
    confirm,
  );
}

function settingsForm(connection: Connection, context: PageContext): HTMLElement {
  const interval = h('input', {
    id: 'poll-interval',
    type: 'number',
    min: 10,
    max: 3600,
    required: true,
    value: String(connection.settings.pollIntervalSeconds),
  });
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'settings-title',
      on: {
        submit: (event) => {
          event.preventDefault();
          ok(
            api.PATCH('/v1/connections/{id}', {
              params: { path: { id: connection.id } },
              body: { pollIntervalSeconds: Number(interval.value) },
            }),
          )
            .then(() => context.announce('Settings saved.'))
            .catch((error: unknown) => context.announce(explain(error)));
        },
      },
    },
    h('h2', { id: 'settings-title' }, 'Settings'),
    h('label', { for: 'poll-interval' }, 'Seconds between polls for changes (10–3600)'),
    interval,
    h('button', { type: 'submit' }, 'Save settings'),
  );
}

const directions: [Direction, string][] = [
  ['both', 'Both ways'],
  ['qbo-to-crm', 'QuickBooks → CRM only'],
  ['crm-to-qbo', 'CRM → QuickBooks only'],
  ['none', 'Not synced'],
];

/** Per-field directions, with what the draft would change shown before it is saved. */
function mappingForm(connection: Connection, context: PageContext): HTMLElement {
  let saved: Partial<Record<string, Direction>> = { ...connection.settings.mappingPolicy };
  const draft: Partial<Record<string, Direction>> = { ...saved };
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const showPreview = () => {
    const changes = mappingChanges(syncFieldNames, saved, draft);
    preview.replaceChildren(
      changes.length === 0
        ? h('p', {}, 'No changes.')
        : h(
            'ul',
            {},
            changes.map((change) =>
              h('li', {}, h('strong', {}, change.field), `: ${change.effects.join('; ')}.`),
            ),
          ),
    );
  };
  const rows = syncFieldNames.map((field) => {
    const id = `map-${field.replace('.', '-')}`;
    const select = h(
      'select',
      {
        id,
        on: {
          change: () => {
            draft[field] = select.value as Direction;
            showPreview();
          },
        },
      },
      directions.map(([value, label]) =>
        h('option', { value, selected: (draft[field] ?? 'both') === value }, label),
      ),
    );
    return h('div', { class: 'field-row' }, h('label', { for: id }, field), select);
  });
  showPreview();
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'mapping-title',
      on: {
        submit: (event) => {
          event.preventDefault();
          const mappingPolicy = Object.fromEntries(
            Object.entries(draft).filter(
              (entry): entry is [string, Direction] => entry[1] !== undefined && entry[1] !== 'both',
            ),
          );
          ok(
            api.PATCH('/v1/connections/{id}', {
              params: { path: { id: connection.id } },
              body: { mappingPolicy },
            }),
          )
            .then((updated) => {
              saved = { ...updated.settings.mappingPolicy };
              showPreview();
              context.announce('Mapping saved.');
            })
            .catch((error: unknown) => context.announce(explain(error)));
        },
      },
    },
    h('h2', { id: 'mapping-title' }, 'Field mapping'),
    h(
      'p',
      { class: 'help' },
      'Which way each field flows. Fields synced both ways are merged field by field.',
    ),
    h('div', { class: 'field-grid' }, rows),
    h('h3', {}, 'What saving would change'),
    preview,
    h('button', { type: 'submit' }, 'Save mapping'),
  );
}

export const connectionPage: Page = {
  path: /^\/console\/connections\/([^/]+)$/,
  title: 'Connection',
  async render(context) {
    const id = context.params[0]!;
    const connection = await loadConnection(id);
    document.title = `${connection.companyName ?? connection.realmId} · qbo-sync console`;
    const status = h('div', {}, statusSection(connection));
    const backfill = h('div', {}, backfillSection(connection.backfill));
    const actionBar = h(
      'div',
      {},
      actions(connection, context, () => reload()),
    );
    let current = connection;
    const reload = async () => {
      const fresh = await loadConnection(id);
      if (context.signal.aborted) return;
      status.replaceChildren(statusSection(fresh));
      backfill.replaceChildren(backfillSection(fresh.backfill));
      if (fresh.status !== current.status || Boolean(fresh.paused) !== Boolean(current.paused))
        actionBar.replaceChildren(actions(fresh, context, reload));
      current = fresh;
    };
    // A running backfill is watched closely (every 2 s); otherwise the status keeps itself current every 10 s.
    let ticks = 0;
    context.every(2000, async () => {
      ticks += 1;
      if (current.backfill?.status === 'running' || ticks % 5 === 0) await reload();
    });
    const [health, drift] = await Promise.all([
      healthSection(id).catch((error: unknown) =>
        h('section', {}, h('h2', {}, 'Health'), h('p', { class: 'error' }, explain(error))),
      ),
      driftSection(connection, context),
    ]);
    return [
      h('h1', {}, connection.companyName ?? connection.realmId),
      context.query.get('connected') ? h('p', { class: 'notice' }, 'The company is connected.') : null,
      actionBar,
      status,
      backfill,
      health,
      drift,
      settingsForm(connection, context),
      mappingForm(connection, context),
    ];
  },
};
