import { fieldSides, flattenFields } from '../../field-sides';
import { lineageRows } from '../../lineage';
import { api, explain, ok } from '../api';
import type { Page } from '../app';
import { fieldValue, h, table, when } from '../dom';
import { eventDetail, kindWords, sourceWords } from '../history';

type FeedItem = Awaited<ReturnType<typeof feedPage>>['data'][number];

const feedPage = (cursor?: string) =>
  ok(
    api.GET('/v1/contacts', {
      params: { query: { changedSince: '1970-01-01T00:00:00Z', limit: 200, ...(cursor ? { cursor } : {}) } },
    }),
  );

const contactPath = (crmContactId: string, connectionId: string) =>
  `/console/contacts/${encodeURIComponent(crmContactId)}?connectionId=${encodeURIComponent(connectionId)}`;

function matches(item: FeedItem, words: string): boolean {
  const haystack = [
    item.fields.displayName,
    item.fields.companyName,
    item.fields.email,
    item.fields.givenName,
    item.fields.familyName,
    item.crmContactId,
    item.qboCustomerId,
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return words
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

/** The feed is read in the background up to this many pages (of 200); beyond, the user asks for more. */
const backgroundPages = 50;

/**
 * Every QuickBooks customer, linked or not, searched in the browser over the API's feed (the API has no contact
 * search): the pages are read in the background, and the results follow as they arrive. The feed holds what
 * QuickBooks changed, so a contact only the CRM has touched is opened by its CRM id instead.
 */
export const contactsPage: Page = {
  path: /^\/console\/contacts$/,
  title: 'Contacts',
  async render({ query, announce, signal, navigate }) {
    const items: FeedItem[] = [];
    let next: string | null = null;
    let pages = 0;
    const load = async () => {
      const page = await feedPage(next ?? undefined);
      items.push(...page.data);
      next = page.nextCursor;
      pages += 1;
    };
    await load();
    const search = h('input', {
      id: 'contact-search',
      type: 'search',
      value: query.get('q') ?? '',
      autocomplete: 'off',
    });
    const results = h('div', { 'aria-live': 'polite' });
    const more = h('button', { type: 'button', class: 'quiet' }, 'Load more customers');
    const show = () => {
      const words = search.value.trim();
      const found = items.filter((item) => matches(item, words));
      more.hidden = next === null || pages < backgroundPages;
      results.replaceChildren(
        h('p', {}, `${found.length} of ${items.length} customers${next ? ' read so far' : ''}`),
        found.length === 0
          ? h('p', {}, 'No contact matches.')
          : table(
              'Contacts found',
              ['Name', 'Email', 'CRM contact', 'QuickBooks id', 'Active'],
              found
                .slice(0, 200)
                .map((item) => [
                  item.crmContactId
                    ? h(
                        'a',
                        { href: contactPath(item.crmContactId, item.connectionId) },
                        fieldValue(item.fields.displayName),
                      )
                    : fieldValue(item.fields.displayName),
                  fieldValue(item.fields.email),
                  item.crmContactId ?? 'not linked',
                  item.qboCustomerId,
                  item.active ? 'yes' : 'no',
                ]),
            ),
      );
    };
    search.addEventListener('input', () => {
      // The query string follows the search, so a reload or a shared link finds the same contacts.
      const q = search.value ? `?q=${encodeURIComponent(search.value)}` : '';
      window.history.replaceState(null, '', `/console/contacts${q}`);
      show();
    });
    more.addEventListener('click', () => {
      load()
        .then(show)
        .catch((error: unknown) => announce(explain(error)));
    });
    void (async () => {
      while (next !== null && pages < backgroundPages && !signal.aborted) {
        await load();
        if (!signal.aborted) show();
      }
    })().catch((error: unknown) => announce(explain(error)));
    show();
    return [
      h('h1', {}, 'Contacts'),
      h(
        'form',
        { role: 'search', class: 'card', on: { submit: (event) => event.preventDefault() } },
        h('label', { for: 'contact-search' }, 'Search by name, email, company or id'),
        search,
      ),
      results,
      more,
      openById(navigate),
    ];
  },
};

function openById(navigate: (path: string) => void): HTMLElement {
  const id = h('input', { id: 'crm-contact-id', type: 'text', autocomplete: 'off', required: true });
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'open-title',
      on: {
        submit: (event) => {
          event.preventDefault();
          navigate(`/console/contacts/${encodeURIComponent(id.value.trim())}`);
        },
      },
    },
    h('h2', { id: 'open-title' }, 'Open a contact by its CRM id'),
    h('label', { for: 'crm-contact-id' }, 'CRM contact id'),
    id,
    h('button', { type: 'submit' }, 'Open contact'),
  );
}

const stateWords: Record<string, string> = {
  synced: 'In sync',
  pending: 'Pending',
  rejected: 'Failing',
  deleted: 'Deleted',
};

export const contactPage: Page = {
  path: /^\/console\/contacts\/([^/]+)$/,
  title: 'Contact',
  async render({ params, query, announce }) {
    const crmContactId = params[0]!;
    const connectionId = query.get('connectionId') ?? undefined;
    const scope = connectionId ? { connectionId } : {};
    const [contact, history, lineage] = await Promise.all([
      ok(api.GET('/v1/contacts/{crmContactId}', { params: { path: { crmContactId }, query: scope } })),
      ok(api.GET('/v1/sync-events', { params: { query: { crmContactId, ...scope, limit: 100 } } })),
      ok(
        api.GET('/v1/contacts/{crmContactId}/lineage', { params: { path: { crmContactId }, query: scope } }),
      ),
    ]);
    const origins = lineageRows(lineage.fields, when);
    const name = fieldValue(contact.fields.displayName);
    document.title = `${name} · qbo-sync console`;
    const sides = fieldSides(
      flattenFields(contact.fields),
      history.data.filter((event) => event.kind === 'conflict'),
    );
    const retry = h(
      'button',
      {
        type: 'button',
        on: {
          click: () => {
            ok(
              api.POST('/v1/connections/{id}/retry', {
                params: { path: { id: contact.connectionId } },
                body: { crmContactIds: [crmContactId] },
              }),
            )
              .then(() => announce('Queued for another try.'))
              .catch((error: unknown) => announce(explain(error)));
          },
        },
      },
      'Retry this contact',
    );
    const quickbooks = h(
      'section',
      { 'aria-labelledby': 'qb-title' },
      h('h2', { id: 'qb-title' }, 'QuickBooks'),
    );
    if (contact.quickbooks) {
      const minted = await ok(
        api.POST('/v1/contacts/{crmContactId}/quickbooks/embed-token', {
          params: { path: { crmContactId }, query: { connectionId: contact.connectionId } },
          body: { ttlSeconds: 900 },
        }),
      );
      quickbooks.append(
        h(
          'p',
          {},
          h(
            'a',
            { href: contact.quickbooks.link, target: '_blank', rel: 'noopener' },
            `Open customer ${contact.quickbooks.customerId} in QuickBooks (new tab)`,
          ),
        ),
        h('iframe', { src: minted.url, title: `QuickBooks section of ${name}`, class: 'panel' }),
      );
    } else quickbooks.append(h('p', {}, 'Not linked to a QuickBooks customer yet.'));

    return [
      h('h1', {}, name),
      h(
        'p',
        { class: `state state-${contact.sync.state}` },
        `Sync state: ${stateWords[contact.sync.state] ?? contact.sync.state}`,
        contact.sync.lastEvent
          ? ` (last: ${kindWords[contact.sync.lastEvent.kind as keyof typeof kindWords] ?? contact.sync.lastEvent.kind}, ${when(contact.sync.lastEvent.at)})`
          : '',
      ),
      contact.sync.state === 'synced' ? null : retry,
      h(
        'section',
        { 'aria-labelledby': 'fields-title' },
        h('h2', { id: 'fields-title' }, 'Fields side by side'),
        table(
          'Fields side by side',
          ['Field', 'CRM', 'QuickBooks', 'Applied'],
          sides.map((side) => [
            side.conflictAt ? h('strong', {}, `${side.field} (conflict)`) : side.field,
            fieldValue(side.crm),
            fieldValue(side.qbo),
            fieldValue(side.applied),
          ]),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'lineage-title' },
        h('h2', { id: 'lineage-title' }, 'Where each value came from'),
        origins.length === 0
          ? h('p', {}, 'No field has a value yet.')
          : table(
              'Where each value came from',
              ['Field', 'Value', 'State', 'Set by', 'When', 'How it reached us', 'Why'],
              origins,
            ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'history-title' },
        h('h2', { id: 'history-title' }, 'History'),
        history.data.length === 0
          ? h('p', {}, 'Nothing has happened to this contact yet.')
          : table(
              'History',
              ['When', 'What', 'From', 'Fields', 'Details'],
              history.data.map((event) => [
                when(event.at),
                kindWords[event.kind],
                sourceWords[event.source],
                event.fields.join(', ') || '—',
                eventDetail(event),
              ]),
            ),
      ),
      quickbooks,
    ];
  },
};
