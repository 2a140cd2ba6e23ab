import { api, explain, ok } from '../api';
import type { Page } from '../app';
import { duration, h, table, when } from '../dom';

const deliveryWords: Record<string, string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
  no_endpoint: 'No endpoint set',
};

/** The delivery log of the events sent to the CRM's webhook endpoint. */
export const eventsPage: Page = {
  path: /^\/console\/events$/,
  title: 'Events',
  async render() {
    const [endpoint, events] = await Promise.all([
      ok(api.GET('/v1/webhook-endpoint')),
      ok(api.GET('/v1/events', { params: { query: { limit: 100 } } })),
    ]);
    return [
      h('h1', {}, 'Events'),
      h(
        'p',
        {},
        endpoint.url
          ? `Sent to ${endpoint.url}${endpoint.enabled ? '' : ' (disabled)'}, signed with the QboSync-Signature header.`
          : 'No webhook endpoint is set: events are kept for the log only (PUT /v1/webhook-endpoint).',
      ),
      events.data.length === 0
        ? h('p', {}, 'No events yet.')
        : table(
            'Events',
            ['When', 'Type', 'Contact', 'Delivery', 'Attempts', 'Last error'],
            events.data.map((event) => [
              h('a', { href: `/console/events/${encodeURIComponent(event.id)}` }, when(event.createdAt)),
              event.type,
              event.crmContactId ?? '—',
              deliveryWords[event.delivery.status] ?? event.delivery.status,
              String(event.delivery.attempts),
              event.delivery.lastError ?? '—',
            ]),
          ),
    ];
  },
};

export const eventPage: Page = {
  path: /^\/console\/events\/([^/]+)$/,
  title: 'Event',
  async render({ params, announce, navigate }) {
    const id = params[0]!;
    const event = await ok(api.GET('/v1/events/{id}', { params: { path: { id } } }));
    let payload = event.payload;
    try {
      payload = JSON.stringify(JSON.parse(event.payload), null, 2);
    } catch {
      // Shown as sent.
    }
    return [
      h('h1', {}, `Event ${event.type}`),
      h(
        'p',
        {},
        `${when(event.createdAt)} · ${deliveryWords[event.delivery.status] ?? event.delivery.status} · ${event.delivery.attempts} attempts`,
      ),
      h(
        'button',
        {
          type: 'button',
          on: {
            click: () => {
              ok(api.POST('/v1/events/{id}/redeliver', { params: { path: { id } } }))
                .then(() => {
                  announce('Queued for delivery.');
                  navigate(`/console/events/${encodeURIComponent(id)}`, { replace: true });
                })
                .catch((error: unknown) => announce(explain(error)));
            },
          },
        },
        'Redeliver',
      ),
      h('h2', {}, 'Payload'),
      h('pre', { class: 'payload', tabindex: 0, 'aria-label': 'Payload' }, payload),
      h('h2', {}, 'Attempts'),
      event.attempts.length === 0
        ? h('p', {}, 'Not attempted yet.')
        : table(
            'Delivery attempts',
            ['When', 'URL', 'Answer', 'Error', 'Took'],
            event.attempts.map((attempt) => [
              when(attempt.at),
              attempt.url,
              attempt.statusCode === null ? '—' : String(attempt.statusCode),
              attempt.error ?? '—',
              duration(attempt.durationMs),
            ]),
          ),
    ];
  },
};
