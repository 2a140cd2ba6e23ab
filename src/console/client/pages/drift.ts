import type { DriftAudit } from '../../../../sdk/src';
import {
  byKindInWords,
  counted,
  driftKindWords,
  driftRateSeries,
  percent,
  transactionSampleRow,
  transactionsInWords,
} from '../../drift';
import { api, explain, ok } from '../api';
import type { PageContext } from '../app';
import { chartWidth, timeChart } from '../chart';
import { facts, fieldValue, h, nodes, table, when, type Child } from '../dom';

/** The latest audit, or null before the first (the API answers 404 then). */
async function latestAudit(id: string): Promise<DriftAudit | null> {
  const answer = api.GET('/v1/connections/{id}/audit', { params: { path: { id } } });
  if ((await answer).response.status === 404) return null;
  return ok(answer);
}

const statusWords: Record<DriftAudit['status'], string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
};

function statusText(audit: DriftAudit): string {
  if (audit.status === 'running') return `Running, started ${when(audit.startedAt)}`;
  return audit.error ? `${statusWords[audit.status]}: ${audit.error}` : statusWords[audit.status];
}

const words = (one: string, many = `${one}s`) => ({ one, many });

function countFacts(counts: NonNullable<DriftAudit['counts']>, audit: DriftAudit): [string, Child][] {
  const unlinked =
    audit.unlinkedSamples.length > 0 ? ` (among them ${audit.unlinkedSamples.join(', ')})` : '';
  return [
    [
      'Compared',
      counted(counts.compared, words('linked contact')) +
        (counts.inFlight > 0 ? `; ${counts.inFlight} not compared, a change of theirs was on its way` : ''),
    ],
    [
      'Drifted',
      `${counts.drifted} (${counted(counts.driftedFields, words('field'))}); ${counts.healed} healed, ` +
        `${counts.drifted - counts.healed} left for a person`,
    ],
    ['Drift rate', `${percent(audit.rate)} of compared links`],
    ['By kind', byKindInWords(counts.byKind)],
    [
      'Unlinked customers',
      `${counted(counts.unlinkedCustomers, words('active customer'))} no contact is linked to${unlinked}`,
    ],
    [
      'Read from QuickBooks',
      `${counted(counts.customers, words('customer'))} in ${counted(counts.qboRequests, words('query page'))}`,
    ],
    ...(counts.transactions
      ? [['Transactions', transactionsInWords(counts.transactions)] as [string, Child]]
      : []),
  ];
}

function samplesTable(audit: DriftAudit, connectionId: string): Child {
  if (audit.samples.length === 0) return h('p', {}, 'Nothing drifted.');
  const drifted = audit.counts?.drifted ?? audit.samples.length;
  return [
    drifted > audit.samples.length
      ? h('p', { class: 'help' }, `The first ${audit.samples.length} of ${drifted}.`)
      : null,
    table(
      'Drift found by the latest audit',
      ['Contact', 'Customer', 'Found', 'What differed', 'Outcome'],
      audit.samples.map((sample) => [
        sample.crmContactId
          ? h(
              'a',
              {
                href: `/console/contacts/${encodeURIComponent(sample.crmContactId)}?connectionId=${encodeURIComponent(connectionId)}`,
              },
              sample.crmContactId,
            )
          : 'none linked',
        sample.mergedInto
          ? `${sample.qboCustomerId} (merged into ${sample.mergedInto})`
          : sample.qboCustomerId,
        sample.kinds.map((kind) => driftKindWords[kind].one).join('; '),
        sample.fields.length === 0
          ? '—'
          : h(
              'ul',
              {},
              sample.fields.map((field) =>
                h(
                  'li',
                  {},
                  `${field.field}: QuickBooks ${fieldValue(field.qbo)} · our copy ${fieldValue(field.projection)} · ` +
                    `CRM ${fieldValue(field.crm)}`,
                ),
              ),
            ),
        sample.healed ? 'Healed' : 'Left for a person',
      ]),
    ),
  ];
}

function transactionSamplesTable(samples: DriftAudit['transactionSamples']): Child {
  if (samples.length === 0) return null;
  return [
    h('h3', {}, 'Transactions that differed'),
    table(
      'Transactions found by the latest audit',
      ['Transaction', 'Found', 'Outcome'],
      samples.map((sample) => {
        const row = transactionSampleRow(sample);
        return [row.transaction, row.found, row.outcome];
      }),
    ),
  ];
}

function rateChart(history: DriftAudit['history']): Child {
  if (history.length === 0) return h('p', {}, 'The drift rate over time shows once an audit has completed.');
  const series = driftRateSeries(history);
  return timeChart(
    {
      caption: `Drift rate of the last ${counted(history.length, words('audit'))}: drifted links per compared link`,
      times: series.times,
      lines: [{ label: 'Drift rate', stroke: '#a3370f', values: series.percent }],
      format: (value) => percent(value === null ? null : value / 100),
      figures: {
        label: 'Drift rate per audit',
        head: ['Finished', 'Compared', 'Drifted', 'Healed', 'Drift rate'],
        rows: history.map((entry) => [
          when(entry.finishedAt),
          String(entry.compared),
          String(entry.drifted),
          String(entry.healed),
          percent(entry.rate),
        ]),
        empty: '',
      },
    },
    chartWidth(),
  );
}

function auditView(audit: DriftAudit | null, connectionId: string): Child {
  if (!audit) return h('p', {}, 'No audit yet.');
  return [
    facts([
      ['Status', statusText(audit)],
      ['Finished', when(audit.finishedAt)],
      ...(audit.counts ? countFacts(audit.counts, audit) : []),
    ]),
    audit.counts ? [h('h3', {}, 'What differed'), samplesTable(audit, connectionId)] : null,
    transactionSamplesTable(audit.transactionSamples),
    h('h3', {}, 'Drift rate over time'),
    rateChart(audit.history),
  ];
}

function outcome(audit: DriftAudit): string {
  if (audit.status === 'failed') return `DriftAudit failed: ${audit.error ?? 'no reason given'}.`;
  const counts = audit.counts;
  return counts
    ? `DriftAudit completed: ${counts.drifted} drifted of ${counts.compared} compared, ${counts.healed} healed.`
    : 'DriftAudit completed.';
}

/**
 * The connection's drift audit: the latest one's findings, "Run audit now", and the rate over time. While an audit
 * runs the section asks every second; otherwise every 10 s, in case the daily schedule ran one. It is redrawn only
 * when the audit changed, so an open table or the keyboard's place in it stays put.
 */
export async function driftSection(
  connection: { id: string; status: string },
  context: PageContext,
): Promise<HTMLElement> {
  const { id } = connection;
  const section = h(
    'section',
    { 'aria-labelledby': 'drift-title' },
    h('h2', { id: 'drift-title' }, 'Drift audit'),
    h(
      'p',
      { class: 'help' },
      'Compares every linked contact, our copy of its customer and QuickBooks, and syncs what fell behind. ' +
        'Each connection is audited daily.',
    ),
  );
  let current: DriftAudit | null;
  try {
    current = await latestAudit(id);
  } catch (error) {
    section.append(h('p', { class: 'error' }, explain(error)));
    return section;
  }
  const body = h('div', {}, auditView(current, id));
  let shown = JSON.stringify(current);
  const show = (audit: DriftAudit | null) => {
    if (current?.status === 'running' && audit && audit.status !== 'running')
      context.announce(outcome(audit));
    current = audit;
    const json = JSON.stringify(audit);
    if (json === shown) return;
    shown = json;
    body.replaceChildren(...nodes([auditView(audit, id)]));
  };
  // Answers can overtake each other (a poll sent before the button was pressed): an older one never replaces a newer.
  let asked = 0;
  let answered = 0;
  const ask = async (request: () => Promise<DriftAudit | null>): Promise<boolean> => {
    const sent = (asked += 1);
    const audit = await request();
    if (context.signal.aborted || sent < answered) return false;
    answered = sent;
    show(audit);
    return true;
  };
  const run = h(
    'button',
    {
      type: 'button',
      on: {
        click: () => {
          ask(() => ok(api.POST('/v1/connections/{id}/audit', { params: { path: { id } } })))
            .then((shownNow) => shownNow && context.announce('DriftAudit running.'))
            .catch((error: unknown) => context.announce(explain(error)));
        },
      },
    },
    'Run audit now',
  );
  let ticks = 0;
  context.every(1000, async () => {
    ticks += 1;
    if (current?.status === 'running' || ticks % 10 === 0) await ask(() => latestAudit(id));
  });
  section.append(...nodes([connection.status === 'active' ? run : null, body]));
  return section;
}
