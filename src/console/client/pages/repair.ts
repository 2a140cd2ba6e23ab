import type { SyncEvent } from '../../../../sdk/src';
import { api, explain, ok } from '../api';
import type { Page, PageContext } from '../app';
import { fieldValue, h, table, when } from '../dom';
import { conflictRule, fixHint, problemsOf } from '../history';

const contactLink = (event: SyncEvent) =>
  event.crmContactId
    ? h(
        'a',
        {
          href: `/console/contacts/${encodeURIComponent(event.crmContactId)}?connectionId=${encodeURIComponent(event.connectionId)}`,
        },
        event.crmContactId,
      )
    : (event.qboCustomerId ?? '—');

/** A time a conflict's detail carries (an ISO string), or none. */
const timeOf = (value: unknown) => (typeof value === 'string' ? value : null);

const listEvents = async (status: 'conflict' | 'failed') =>
  (await ok(api.GET('/v1/sync-events', { params: { query: { status, limit: 200 } } }))).data;

/** Conflicts waiting for a person: both values, when, the rule that decided; resolved one by one or together. */
export const conflictsPage: Page = {
  path: /^\/console\/conflicts$/,
  title: 'Conflicts',
  async render(context) {
    const conflicts = await listEvents('conflict');
    const selected = new Set<string>();
    const resolve = (ids: string[], choice: 'qbo' | 'crm') => {
      Promise.all(
        ids.map((id) =>
          ok(api.POST('/v1/sync-events/{id}/resolve', { params: { path: { id } }, body: { choice } })),
        ),
      )
        .then(() => {
          context.announce(`${ids.length === 1 ? 'Conflict' : `${ids.length} conflicts`} resolved.`);
          context.navigate('/console/conflicts', { replace: true });
        })
        .catch((error: unknown) => context.announce(explain(error)));
    };
    const bulk = (choice: 'qbo' | 'crm', label: string) =>
      h(
        'button',
        {
          type: 'button',
          on: {
            click: () => {
              if (selected.size === 0) context.announce('Select conflicts first.');
              else resolve([...selected], choice);
            },
          },
        },
        label,
      );
    return [
      h('h1', {}, 'Conflicts'),
      conflicts.length === 0
        ? h('p', {}, 'No conflict is waiting for a decision.')
        : [
            h(
              'p',
              {},
              `${conflicts.length} waiting. Each shows what its rule applied (a held field, nothing yet); choose which value to keep.`,
            ),
            h(
              'div',
              { class: 'actions' },
              bulk('qbo', 'Keep QuickBooks’ values for the selected'),
              bulk('crm', 'Use the CRM’s values for the selected'),
            ),
            table(
              'Conflicts',
              [
                'Select',
                'Contact',
                'Field',
                'CRM value',
                'Changed in the CRM',
                'QuickBooks value',
                'Changed in QuickBooks',
                'Rule',
                'Resolve',
              ],
              conflicts.map((event) => {
                const field = event.fields.join(', ');
                const box = h('input', {
                  type: 'checkbox',
                  'aria-label': `Select the conflict on ${field} of ${event.crmContactId ?? event.qboCustomerId ?? ''}`,
                  on: {
                    change: (change) => {
                      if ((change.target as HTMLInputElement).checked) selected.add(event.id);
                      else selected.delete(event.id);
                    },
                  },
                });
                return [
                  box,
                  contactLink(event),
                  field,
                  fieldValue(event.detail.crmValue),
                  when(timeOf(event.detail.crmChangedAt)),
                  fieldValue(event.detail.qboValue),
                  when(timeOf(event.detail.qboChangedAt)),
                  conflictRule(event),
                  h(
                    'div',
                    { class: 'row-actions' },
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        'aria-label': `Keep QuickBooks: ${field} of ${event.crmContactId ?? ''}`,
                        on: { click: () => resolve([event.id], 'qbo') },
                      },
                      'Keep QuickBooks',
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        'aria-label': `Use CRM: ${field} of ${event.crmContactId ?? ''}`,
                        on: { click: () => resolve([event.id], 'crm') },
                      },
                      'Use CRM',
                    ),
                  ),
                ];
              }),
            ),
          ],
    ];
  },
};

/** The newest refusal of each contact whose latest refusal has not been followed by a success. */
async function stillFailing(events: SyncEvent[]): Promise<SyncEvent[]> {
  const newest = new Map<string, SyncEvent>();
  for (const event of events) {
    const key = `${event.connectionId}/${event.crmContactId}`;
    if (event.crmContactId && !newest.has(key)) newest.set(key, event);
  }
  const checked = await Promise.all(
    [...newest.values()].map(async (event) => {
      const { data } = await api.GET('/v1/contacts/{crmContactId}', {
        params: { path: { crmContactId: event.crmContactId! }, query: { connectionId: event.connectionId } },
      });
      return data?.sync.state === 'rejected' ? event : null;
    }),
  );
  return checked.filter((event): event is SyncEvent => event !== null);
}

function retry(context: PageContext, connectionId: string, crmContactIds?: string[]) {
  ok(
    api.POST('/v1/connections/{id}/retry', {
      params: { path: { id: connectionId } },
      body: crmContactIds ? { crmContactIds } : {},
    }),
  )
    .then((result) => context.announce(`${result.queued.length} queued for another try.`))
    .catch((error: unknown) => context.announce(explain(error)));
}

export const failingPage: Page = {
  path: /^\/console\/failing$/,
  title: 'Failing records',
  async render(context) {
    const failing = await stillFailing(await listEvents('failed'));
    const connections = [...new Set(failing.map((event) => event.connectionId))];
    return [
      h('h1', {}, 'Failing records'),
      failing.length === 0
        ? h('p', {}, 'No contact is failing.')
        : [
            h('p', {}, `${failing.length} contacts QuickBooks refused. Fix them in the CRM, then retry.`),
            h(
              'div',
              { class: 'actions' },
              connections.map((connectionId) =>
                h(
                  'button',
                  { type: 'button', on: { click: () => retry(context, connectionId) } },
                  connections.length === 1 ? 'Retry all' : `Retry all of ${connectionId}`,
                ),
              ),
            ),
            table(
              'Failing records',
              ['Contact', 'Since', 'Why (QuickBooks’ rule)', 'How to fix', 'Retry'],
              failing.map((event) => {
                const problems = problemsOf(event);
                return [
                  contactLink(event),
                  when(event.at),
                  h(
                    'ul',
                    {},
                    problems.map((problem) => h('li', {}, problem.problem)),
                  ),
                  h(
                    'ul',
                    {},
                    problems.map((problem) => h('li', {}, fixHint(problem))),
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'small',
                      'aria-label': `Retry ${event.crmContactId ?? ''}`,
                      on: { click: () => retry(context, event.connectionId, [event.crmContactId!]) },
                    },
                    'Retry',
                  ),
                ];
              }),
            ),
          ],
    ];
  },
};
