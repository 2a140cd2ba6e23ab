import type { components } from '../../../../sdk/src';
import { api, explain, ok } from '../api';
import type { Page, PageContext } from '../app';
import { h, table, when } from '../dom';

type Policy = components['schemas']['FollowUpPolicy'];

const kindWords: Record<string, string> = {
  invoice_overdue: 'Overdue invoice',
  estimate_expiring: 'Estimate expiring',
  estimate_accepted: 'Estimate accepted',
  payment_received: 'Payment received',
};

/** Labelled inputs, each with an id derived from its name. */
function input(name: string, label: string, attributes: Record<string, string | number | boolean>) {
  const element = h('input', { id: `policy-${name}`, name, ...attributes });
  return {
    element,
    row: h('div', { class: 'field-row' }, h('label', { for: `policy-${name}` }, label), element),
  };
}

function checkbox(name: string, label: string, checked: boolean) {
  const element = h('input', { id: `policy-${name}`, name, type: 'checkbox', checked });
  return { element, row: h('p', { class: 'check' }, element, h('label', { for: `policy-${name}` }, label)) };
}

/** The policy editor: every change re-renders the preview of each email; Save stores the policy. */
function policyEditor(connectionId: string, policy: Policy, context: PageContext): HTMLElement {
  const enabled = checkbox('enabled', 'Follow-ups on', policy.enabled);
  const timeZone = input('timeZone', 'Time zone (empty: the company’s)', {
    type: 'text',
    value: policy.timeZone ?? '',
  });
  const quiet = checkbox('quiet', 'Quiet hours (nothing delivered)', policy.quietHours !== null);
  const quietStart = input('quietStart', 'Quiet from (hour, 0–23)', {
    type: 'number',
    min: 0,
    max: 23,
    value: policy.quietHours?.start ?? 20,
  });
  const quietEnd = input('quietEnd', 'Quiet until (hour, 0–23)', {
    type: 'number',
    min: 0,
    max: 23,
    value: policy.quietHours?.end ?? 8,
  });
  const minimum = input('minimumAmount', 'Minimum amount (home currency)', {
    type: 'number',
    min: 0,
    step: '0.01',
    value: policy.minimumAmount,
  });
  const overdue = checkbox('overdue', 'Overdue invoice reminders', policy.overdue.enabled);
  const cadence = input('cadence', 'Days past due for each reminder (comma-separated)', {
    type: 'text',
    value: policy.overdue.cadenceDays.join(', '),
  });
  const expiring = checkbox('expiring', 'Estimates about to expire', policy.estimateExpiring.enabled);
  const daysBefore = input('daysBefore', 'Days before expiry', {
    type: 'number',
    min: 0,
    max: 60,
    value: policy.estimateExpiring.daysBefore,
  });
  const accepted = checkbox('accepted', 'Thanks for an accepted estimate', policy.estimateAccepted.enabled);
  const payment = checkbox('payment', 'Thanks for a payment', policy.paymentReceived.enabled);
  const withinDays = input('withinDays', 'Only payments from the last N days', {
    type: 'number',
    min: 0,
    max: 30,
    value: policy.paymentReceived.withinDays,
  });
  const crm = checkbox('crm', 'Tell the CRM (signed webhook)', policy.channels.crm);
  const email = checkbox('email', 'Email the customer', policy.channels.email);
  const sender = input('senderName', 'Sender name (the company’s when empty)', {
    type: 'text',
    value: policy.email.senderName ?? '',
  });
  const replyTo = input('replyTo', 'Reply-to address', { type: 'email', value: policy.email.replyTo ?? '' });
  const link = input('linkTemplate', 'Link template ({realmId}, {type}, {id}, {number})', {
    type: 'url',
    value: policy.email.linkTemplate ?? '',
  });
  const locale = input('locale', 'Locale', { type: 'text', value: policy.email.locale });
  const digest = checkbox(
    'digest',
    'One email per customer listing all their overdue invoices',
    policy.email.delivery === 'digest',
  );

  const draft = (): Policy => ({
    enabled: enabled.element.checked,
    // Left empty, the policy follows the company's zone.
    ...(timeZone.element.value.trim() ? { timeZone: timeZone.element.value.trim() } : {}),
    quietHours: quiet.element.checked
      ? { start: Number(quietStart.element.value), end: Number(quietEnd.element.value) }
      : null,
    minimumAmount: Number(minimum.element.value || 0),
    overdue: {
      enabled: overdue.element.checked,
      cadenceDays: cadence.element.value
        .split(',')
        .map((day) => day.trim())
        .filter(Boolean)
        .map(Number),
    },
    estimateExpiring: { enabled: expiring.element.checked, daysBefore: Number(daysBefore.element.value) },
    estimateAccepted: { enabled: accepted.element.checked },
    paymentReceived: { enabled: payment.element.checked, withinDays: Number(withinDays.element.value) },
    channels: { crm: crm.element.checked, email: email.element.checked },
    email: {
      ...(sender.element.value.trim() ? { senderName: sender.element.value.trim() } : {}),
      ...(replyTo.element.value.trim() ? { replyTo: replyTo.element.value.trim() } : {}),
      ...(link.element.value.trim() ? { linkTemplate: link.element.value.trim() } : {}),
      locale: locale.element.value.trim(),
      delivery: digest.element.checked ? 'digest' : 'per_document',
    },
  });

  const preview = h('div', { class: 'previews', 'aria-live': 'polite', 'aria-busy': 'false' });
  const problem = h('p', { class: 'error', role: 'alert' });
  let latest = 0;
  const refresh = async () => {
    const asked = ++latest;
    preview.setAttribute('aria-busy', 'true');
    const { data, error } = await api.POST('/v1/connections/{id}/follow-up-policy/preview', {
      params: { path: { id: connectionId } },
      body: draft(),
    });
    if (asked !== latest) return;
    preview.setAttribute('aria-busy', 'false');
    problem.textContent = error ? `${error.detail}` : '';
    if (!data) return;
    preview.replaceChildren(
      ...(data.emails.length === 0
        ? [h('p', {}, 'This policy sends no email.')]
        : data.emails.map((mail) =>
            h(
              'article',
              { class: 'email card', 'aria-label': `Email for ${mail.stage}` },
              h('h3', {}, `${kindWords[mail.kind] ?? mail.kind} (${mail.stage})`),
              h('p', { class: 'subject' }, h('strong', {}, 'Subject: '), mail.subject),
              h(
                'pre',
                { class: 'body', tabindex: 0, 'aria-label': `Text of the email for ${mail.stage}` },
                mail.text,
              ),
            ),
          )),
    );
  };
  let timer: number | undefined;
  const soon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(
      () => void refresh().catch((error: unknown) => (problem.textContent = explain(error))),
      250,
    );
  };
  context.signal.addEventListener('abort', () => window.clearTimeout(timer));

  const form = h(
    'form',
    {
      class: 'card policy',
      'aria-labelledby': 'policy-title',
      on: {
        input: soon,
        change: soon,
        submit: (event) => {
          event.preventDefault();
          ok(
            api.PUT('/v1/connections/{id}/follow-up-policy', {
              params: { path: { id: connectionId } },
              body: draft(),
            }),
          )
            .then(() => context.announce('Follow-up policy saved.'))
            .catch((error: unknown) => {
              problem.textContent = explain(error);
            });
        },
      },
    },
    h('h2', { id: 'policy-title' }, 'Policy'),
    h(
      'div',
      { class: 'field-grid' },
      [
        enabled,
        timeZone,
        quiet,
        quietStart,
        quietEnd,
        minimum,
        overdue,
        cadence,
        expiring,
        daysBefore,
        accepted,
        payment,
        withinDays,
        crm,
        email,
        sender,
        replyTo,
        link,
        locale,
        digest,
      ].map((part) => part.row),
    ),
    problem,
    h('button', { type: 'submit' }, 'Save policy'),
  );
  void refresh().catch((error: unknown) => (problem.textContent = explain(error)));
  return h(
    'div',
    { class: 'split' },
    form,
    h(
      'section',
      { 'aria-labelledby': 'preview-title' },
      h('h2', { id: 'preview-title' }, 'Preview of each email'),
      preview,
    ),
  );
}

export const followUpsPage: Page = {
  path: /^\/console\/follow-ups$/,
  title: 'Follow-ups',
  async render(context) {
    const connections = (await ok(api.GET('/v1/connections', { params: { query: { limit: 200 } } }))).data;
    const chosen = context.query.get('connectionId') ?? connections[0]?.id;
    if (!chosen) return [h('h1', {}, 'Follow-ups'), h('p', {}, 'Connect a QuickBooks company first.')];
    const [policy, followUps] = await Promise.all([
      ok(api.GET('/v1/connections/{id}/follow-up-policy', { params: { path: { id: chosen } } })),
      ok(api.GET('/v1/follow-ups', { params: { query: { connectionId: chosen, limit: 100 } } })),
    ]);
    const picker =
      connections.length > 1
        ? h(
            'p',
            {},
            h('label', { for: 'follow-up-connection' }, 'Company '),
            h(
              'select',
              {
                id: 'follow-up-connection',
                on: {
                  change: (event) =>
                    context.navigate(
                      `/console/follow-ups?connectionId=${encodeURIComponent((event.target as HTMLSelectElement).value)}`,
                    ),
                },
              },
              connections.map((connection) =>
                h(
                  'option',
                  { value: connection.id, selected: connection.id === chosen },
                  connection.companyName ?? connection.realmId,
                ),
              ),
            ),
          )
        : null;
    return [
      h('h1', {}, 'Follow-ups'),
      picker,
      policyEditor(chosen, policy, context),
      h(
        'section',
        { 'aria-labelledby': 'list-title' },
        h('h2', { id: 'list-title' }, 'Follow-ups and what was sent'),
        followUps.data.length === 0
          ? h('p', {}, 'No follow-ups yet.')
          : table(
              'Follow-ups',
              ['Customer', 'What', 'Stage', 'Status', 'Due', 'Sent'],
              followUps.data.map((followUp) => [
                followUp.customerName ?? followUp.crmContactId ?? '—',
                kindWords[followUp.kind] ?? followUp.kind,
                followUp.stage,
                followUp.status,
                followUp.dueOn,
                h(
                  'ul',
                  {},
                  (followUp.history as { at: string; action: string; to?: string }[])
                    .filter((entry) => entry.action !== 'planned')
                    .map((entry) =>
                      h(
                        'li',
                        {},
                        `${entry.action.replace('_', ' ')}${entry.to ? ` to ${entry.to}` : ''}, ${when(entry.at)}`,
                      ),
                    ),
                ),
              ]),
            ),
      ),
    ];
  },
};
