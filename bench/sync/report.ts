import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { round, table } from '../lib/stats';
import { anatomyLegend, anatomySteps, type AnatomyStep } from './backfill-anatomy';
import type { AuditResult } from './audit';
import type { BackfillResult } from './backfill';
import type { ProfileSummary } from './cpu-profile';
import type { FreshnessResult } from './freshness';
import type { MachineInfo } from './machine';
import { syncProcesses, type ScaleResult } from './scale';
import { renderChart, type Panel } from './svg';
import { meets, realmRequestsPerMinute, targets } from './targets';
import { mergeTraffic, type TrafficSummary } from './traffic';

export interface RunRecord {
  startedAt: string;
  finishedAt?: string;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  backfill?: BackfillResult;
  backfillWorkerProfile?: ProfileSummary;
  /** Per scale step, the worker's threads' profiles cut to the measuring window. */
  scaleWorkerProfiles?: { companies: number; threads: ProfileSummary[] }[];
  freshness?: FreshnessResult;
  /** The freshness load at other rates than the issue's, each on a stack of its own. */
  freshnessAtOtherRates?: FreshnessResult[];
  scale?: ScaleResult;
  audit?: AuditResult;
  /** The database each benchmark ran on. */
  databases?: Record<string, string>;
  /** Benchmarks that failed, with why. */
  errors?: Record<string, string>;
  /** 1-minute load average before and after each benchmark: the machine is shared. */
  loads?: Record<string, { start: number; end: number }>;
}

/** One section of the report and the run it came from (a report may combine the latest run of each benchmark). */
interface Sections {
  backfill?: { run: RunRecord; result: BackfillResult };
  freshness?: { run: RunRecord; result: FreshnessResult };
  scale?: { run: RunRecord; result: ScaleResult };
  audit?: { run: RunRecord; result: AuditResult };
}

const repoRoot = path.resolve(__dirname, '..', '..');

/** A Markdown table; a column whose cells all start with a number (or a dash, or nothing) is right-aligned. */
const md = (header: string[], rows: (string | number)[][]): string => {
  const numeric = header.map(
    (_, column) => column > 0 && rows.every((row) => /^(\*\*)?([\d–-]|$)/.test(String(row[column] ?? ''))),
  );
  return [
    `| ${header.join(' | ')} |`,
    `| ${numeric.map((right) => (right ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
};

const ms = (value: number): string =>
  !Number.isFinite(value) ? '–' : value >= 1000 ? `${round(value / 1000, 1)} s` : `${Math.round(value)} ms`;
const yes = (met: boolean): string => (met ? 'met' : '**missed**');
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const percent = (share: number): string => `${round(share * 100, 1)} %`;
/** A target judged in the run, or '–' for a result recorded before the target existed. */
const verdict = (judged: { met: boolean } | undefined): string => (judged ? yes(judged.met) : '–');

function machineLine(machine: MachineInfo): string {
  const load = machine.loadAverage;
  return (
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB RAM, ${machine.os}, Node ${machine.node}; ` +
    `1-minute load average ${load.start}${load.end !== undefined ? ` at the start, ${load.end} at the end` : ''}`
  );
}

function runLine(run: RunRecord, benchmark: string): string {
  const load = run.loads?.[benchmark];
  // Only runs recorded before the record named its database lack the name, and those all ran on FerretDB.
  const database = run.databases?.[benchmark] ?? 'FerretDB 1.24 (SQLite)';
  return (
    `run ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${run.mode} mode, on ${database}` +
    (load ? `; load average ${load.start} before this benchmark, ${load.end} after` : '')
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Backfill

function backfillSection(
  { run, result }: NonNullable<Sections['backfill']>,
  profile?: ProfileSummary,
): string {
  const { options, median, anatomy } = result;
  const records = result.runs[0]?.records ?? 0;
  const rows = result.runs.map((entry, index) => [
    `run ${index + 1}`,
    ms(entry.endToEndMs),
    int(entry.recordsPerSecond),
    ms(entry.ceiling.ms),
    `${ms(entry.ceiling.fetchMs)} / ${ms(entry.ceiling.writeMs)}`,
    int(entry.ceilingRecordsPerSecond),
    `${entry.ratio}×`,
  ]);
  rows.push([
    '**median**',
    ms(median.endToEndMs),
    int(median.recordsPerSecond),
    ms(median.ceilingMs),
    '',
    int(median.ceilingRecordsPerSecond),
    `**${median.ratio}×**`,
  ]);
  const last = result.runs.at(-1)!;
  const pageTotal = anatomySteps.reduce((sum, step) => sum + anatomy.steps[step], 0);
  const share = (step: AnatomyStep): string => `${Math.round((anatomy.steps[step] / pageTotal) * 100)}%`;
  const anatomyRows = anatomySteps.map((step) => [
    `\`${step}\``,
    ms(anatomy.steps[step]),
    share(step),
    anatomyLegend[step],
  ]);
  const growth = anatomy.heldByCollectionSize.filter((point) => point.documents > 0);
  const firstPoint = growth[0];
  const lastPoint = growth.at(-1);
  const perThousand =
    firstPoint && lastPoint && lastPoint.documents > firstPoint.documents
      ? round(((lastPoint.ms - firstPoint.ms) / (lastPoint.documents - firstPoint.documents)) * 1000, 1)
      : undefined;
  const temporalMs = last.breakdown.scheduleToStartMs + last.breakdown.betweenActivitiesMs;
  // Runs recorded before the pipelined backfill read one page per activity.
  const pages = last.breakdown.activities.backfillPages ?? last.breakdown.activities.backfillPage;
  const announced = result.runs.filter((entry) => entry.announcedMs !== null).length;
  const loadRows = Object.keys(last.load.processes).map((name) => [
    name,
    `${last.load.processes[name]!.cpuSeconds} s`,
    `${last.ceiling.load?.processes[name]?.cpuSeconds ?? '–'} s`,
  ]);
  const withoutHeld = median.endToEndMs - (anatomy.steps.held / Math.max(1, anatomy.records)) * records;
  const parts = [
    '## 1. Backfill against the ceiling',
    '',
    `_${runLine(run, 'backfill')}._`,
    '',
    `A company of ${int(options.customers)} customers and ${int(options.transactions)} transactions ` +
      `(${int(records)} records) is seeded through the emulator's admin API (median ${ms(median.seedMs)}), then ` +
      'connected through the real OAuth flow (`POST /v1/connections/quickbooks`, the consent page, the callback) with ' +
      "a backfill. Intuit's real limits are on (500 requests/min, 10/s, 10 in flight). **End to end** runs from the " +
      'connect request to `backfill.finishedAt` on the connection record. The **ceiling**, measured right after each ' +
      'run on the same machine, is a bare `fetch` loop sending the same requests (the opening CDC read, then every ' +
      "page with src/activities/backfill.ts's statements: `orderby Id`, 1,000 rows, 100 rows of overlap), paced " +
      "under Intuit's limits, each page followed by `insertMany` of the documents the real backfill stored for it, " +
      'into collections with the same indexes. Ratio = end-to-end time ÷ ceiling time.',
    '',
    md(['', 'end to end', 'records/s', 'ceiling', 'ceiling fetch / write', 'records/s', 'ratio'], rows),
    '',
    `Target: ${targets.backfillRatio.label} the ceiling — ${yes(result.target.met)} (median ${median.ratio}×).`,
    '',
    '### Where the time goes',
    '',
    `Temporal is not the cost: in the last run the backfill workflow's ${pages?.count ?? 0} activities (each reads ` +
      "pages for up to 10 s, a page's request in flight while the page before it is written) ran for " +
      `${ms(pages?.totalMs ?? 0)} of its ${ms(last.breakdown.workflowMs)}, and tasks waiting in the queue plus the ` +
      `workflow's turns between activities took ${ms(temporalMs)} in all (from the workflow's own history). The ` +
      `connect flow before it (consent, token exchange, the company read, starting the workflows) took ` +
      `${ms(last.connectMs)}.`,
    '',
    'CPU seconds per process during the last run, end to end and ceiling (`bench` is the process holding the ' +
      'emulator, the API and the load generators):',
    '',
    md(['process', 'end to end', 'ceiling'], loadRows),
    '',
    `Each step of a page, timed by running the same calls src/activities/backfill.ts makes, one at a time, over ` +
      `the same company (${anatomy.pages} pages, ${ms(anatomy.totalMs)} in all; the backfill itself overlaps ` +
      "each page's `query` with the writes of the page before it):",
    '',
    md(['step', 'time', 'share', 'what it is'], anatomyRows),
    '',
  ];
  if (lastPoint && perThousand !== undefined)
    parts.push(
      `The rows already held (\`held\`: the 100-row overlap with the previous page, found by their inserts' ` +
        `duplicate keys, then read by \`_id\`) are ` +
        `what the bare loop does not do: ${ms(firstPoint!.ms)} for a page against ${int(firstPoint!.documents)} ` +
        `documents, ${ms(lastPoint.ms)} against ${int(lastPoint.documents)}. Without them the median run would take ` +
        `about ${ms(withoutHeld)}, ${round(withoutHeld / median.ceilingMs, 2)}× the ceiling. The other steps are ` +
        'what the ceiling does too (the request and the insert) plus a few milliseconds of bookkeeping per page.',
      '',
    );
  if (profile)
    parts.push(
      `CPU profile of the worker's main thread during the runs (V8 \`--cpu-prof\`, ${ms(profile.busyMs)} busy of ` +
        `${ms(profile.totalMs)} sampled: the worker mostly waits):`,
      '',
      md(
        ['area', 'self time', 'share of busy'],
        profile.byArea.slice(0, 10).map((area) => [area.area, ms(area.ms), `${area.share}%`]),
      ),
      '',
    );
  parts.push(
    announced === result.runs.length
      ? 'The CRM received `connection.status_changed: backfill_completed` in every run.'
      : `**Finding:** in ${result.runs.length - announced} of ${result.runs.length} runs the CRM had not received ` +
          '`connection.status_changed: backfill_completed` within 5 s of the backfill’s end.',
    '',
  );
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Freshness and budget

function latencyRow(
  label: string,
  summary: FreshnessResult['latency']['qboToCrm']['webhooks'],
  target: string,
  verdictCell: string,
): string[] {
  return [
    label,
    String(summary.count),
    ms(summary.p50),
    ms(summary.p95),
    ms(summary.p99),
    ms(summary.max),
    String(summary.lost),
    String(summary.failed ?? 0),
    target,
    verdictCell,
  ];
}

/** What went wrong while the load ran, from the worker's and the API's own logs. */
function freshnessHealth(result: FreshnessResult): string[] {
  const health = result.health;
  if (!health) return [];
  const byType = Object.entries(health.activityFailuresByType)
    .filter(([, count]) => count > 0)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return [
    `From the first edit to the end of the run, ${health.activityFailures} activity attempts failed and were ` +
      `retried by Temporal (initial interval 2 s, doubling, up to 2 minutes)` +
      (byType ? `, by activity: ${byType}` : '') +
      `; the API answered ${health.api5xx} requests with a 5xx.`,
    '',
  ];
}

/** The same load at other rates, each on a fresh stack: where the pipeline stands when the database keeps up. */
function otherRates(run: RunRecord): string[] {
  const others = run.freshnessAtOtherRates ?? [];
  if (others.length === 0 || !run.freshness) return [];
  const all = [run.freshness, ...others];
  const cell = (summary: FreshnessResult['latency']['qboToCrm']['webhooks']): string =>
    `${ms(summary.p50)} / ${ms(summary.p95)}` +
    ((summary.failed ?? 0) + summary.lost > 0
      ? ` (${(summary.failed ?? 0) + summary.lost} lost or refused)`
      : '');
  return [
    'The same load at other rates, each on a stack of its own (p50 / p95):',
    '',
    md(
      [
        'edits/s',
        'QBO→CRM, webhooks',
        'QBO→CRM, dropped',
        'CRM→QBO, webhooks',
        'CRM→QBO, dropped',
        'requests per change',
        'database cores (webhooks phase)',
      ],
      all.map((result) => [
        `${result.options.editsPerSecond} over ${result.options.realms} realms`,
        cell(result.latency.qboToCrm.webhooks),
        cell(result.latency.qboToCrm.polling),
        cell(result.latency.crmToQbo.webhooks),
        cell(result.latency.crmToQbo.polling),
        String(result.budgetOverall.perChangedRecord),
        String(result.load?.webhooks.processes.database?.cores ?? '–'),
      ]),
    ),
    '',
  ];
}

function refusedReasons(result: FreshnessResult): string {
  const reasons = new Set(
    [result.latency.qboToCrm, result.latency.crmToQbo].flatMap((byPhase) =>
      Object.values(byPhase).flatMap((summary) => summary.failures ?? []),
    ),
  );
  return reasons.size > 0 ? `: ${[...reasons].slice(0, 3).join('; ')}` : '';
}

/** CPU per process in each phase, and per change: the cost of a change for docs/scaling.md. */
function freshnessLoad(result: FreshnessResult): string[] {
  if (!result.load) return [];
  const names = ['worker', 'temporal', 'database', 'bench'];
  const rows = result.budget.map((part) => {
    const load = result.load[part.phase];
    const edits = part.edits.qbo + part.edits.crm;
    return [
      part.phase === 'webhooks' ? 'webhooks on' : 'webhooks dropped',
      String(edits),
      ...names.map((name) => {
        const process = load.processes[name];
        return process
          ? `${process.cores} / ${round((process.cpuSeconds * 1000) / Math.max(1, edits), 1)} ms`
          : '–';
      }),
    ];
  });
  return [
    'CPU per process over each phase (share of one core / CPU per change):',
    '',
    md(['phase', 'changes', 'worker', 'Temporal', 'database', 'bench (emulator, API, CRM)'], rows),
    '',
  ];
}

/** How QBO→CRM is timed from the webhook's arrival, and what it leaves out. */
function fromArrivalNote(result: FreshnessResult): string[] {
  const fromArrival = result.latency.qboToCrmFromArrival;
  if (!fromArrival) return [];
  return [
    '**QBO→CRM from webhook arrival** is timed from the first Intuit delivery naming the customer that our ' +
      "endpoint stored after the edit (the inbox record's `receivedAt`, src/ingest/inbox.ts) to the CRM's receipt " +
      `of the change: the part of the chain that is ours. The p95 target (${targets.qboToCrmFromArrivalP95Ms.label}) ` +
      "is judged on it; the time from the edit adds the emulator's webhook batching and delivery. " +
      `${fromArrival.withoutWebhook ?? 0} of the ${result.latency.qboToCrm.webhooks.count} changes that arrived ` +
      'reached the CRM with no webhook stored before them (a poll brought them first) and have no time from arrival.',
    '',
  ];
}

/** CDC polling with webhooks dropped, as a share of each realm's request budget. */
function pollingShareNote(result: FreshnessResult): string[] {
  const polling = result.budget.find((part) => part.phase === 'polling');
  if (!polling?.pollShareOfRealmBudget) return [];
  const { max, mean } = polling.pollShareOfRealmBudget;
  return [
    `With webhooks dropped, CDC polling used at most ${percent(max)} of a realm's budget of ` +
      `${realmRequestsPerMinute} requests a minute (mean ${percent(mean)} over the ${result.options.realms} realms), ` +
      `polling every ${result.options.pollIntervalSeconds} s; target ${targets.pollingBudgetShare.label} — ` +
      `${verdict(result.targets.pollingBudgetShare)}.`,
    '',
  ];
}

function freshnessSection({ run, result }: NonNullable<Sections['freshness']>): string {
  const { options, latency, targets: judged } = result;
  return [
    '## 2. Freshness',
    '',
    `_${runLine(run, 'freshness')}._`,
    '',
    `${options.editsPerSecond} edits per second spread evenly over ${options.realms} connected companies (one realm per ` +
      'CRM account, each with its own signed webhook endpoint), alternating direction per company: a bookkeeper ' +
      "editing a linked customer's notes in QBO (the emulator's admin API, published like any web-app edit), and the " +
      'CRM sending `PUT /v1/contacts/{id}` with new notes for another linked contact. **QBO→CRM** is timed from the ' +
      "edit to the CRM's receiver getting the signed `contact.updated` carrying it; **CRM→QBO** from sending the " +
      'PUT to the customer in the emulator having the new notes (read every 5 ms). Two phases, one after the other: ' +
      `${options.webhookSeconds} s with Intuit's webhooks delivered and the default poll interval (60 s), then ` +
      `${options.pollingSeconds} s with every Intuit webhook dropped (emulator fault \`dropRate: 1\`) and ` +
      `\`pollIntervalSeconds: ${options.pollIntervalSeconds}\` (PATCH /v1/connections/{id}), so QBO→CRM rests on CDC ` +
      `polling alone. A ${options.warmupSeconds} s warm-up and the seconds around the switch are not counted.`,
    '',
    md(
      ['direction, phase', 'arrived', 'p50', 'p95', 'p99', 'max', 'lost', 'refused', 'target (p95)', ''],
      [
        ...(latency.qboToCrmFromArrival
          ? [
              latencyRow(
                'QBO→CRM from webhook arrival, webhooks on',
                latency.qboToCrmFromArrival,
                targets.qboToCrmFromArrivalP95Ms.label,
                verdict(judged.qboToCrmFromArrivalP95Ms),
              ),
            ]
          : []),
        latencyRow('QBO→CRM from the edit, webhooks on', latency.qboToCrm.webhooks, 'reported', ''),
        latencyRow(
          'QBO→CRM, webhooks dropped',
          latency.qboToCrm.polling,
          targets.qboToCrmPollingP95Ms.label,
          verdict(judged.qboToCrmPollingP95Ms),
        ),
        latencyRow(
          'CRM→QBO, webhooks on',
          latency.crmToQbo.webhooks,
          targets.crmToQboP95Ms.label,
          yes(meets(targets.crmToQboP95Ms, latency.crmToQbo.webhooks.p95)),
        ),
        latencyRow(
          'CRM→QBO, webhooks dropped',
          latency.crmToQbo.polling,
          targets.crmToQboP95Ms.label,
          yes(meets(targets.crmToQboP95Ms, latency.crmToQbo.polling.p95)),
        ),
      ],
    ),
    '',
    ...fromArrivalNote(result),
    ...pollingShareNote(result),
    `The API answered the ${latency.contactPut.count} contact PUTs (stored, workflow signalled) in p50 ` +
      `${ms(latency.contactPut.p50)}, p95 ${ms(latency.contactPut.p95)}. "lost" counts edits that had not arrived ` +
      'when the run ended (a poll interval plus 10 s after the last edit); "refused" counts edits that could not ' +
      `be made at all (the API answered 5xx, or the request timed out after 30 s${refusedReasons(result)}). The CRM receiver verified every ` +
      `signature (${result.receiver.rejected} rejected) and saw ${result.receiver.duplicates} duplicate deliveries.`,
    '',
    ...freshnessLoad(result),
    ...freshnessHealth(result),
    ...otherRates(run),
    '**What bounds each figure.** With webhooks, QBO→CRM is a chain of hops, each waiting on the one before: the ' +
      "emulator's webhook batching window (250 ms, as configured), our webhook endpoint storing the events and " +
      'signalling the workflow, a workflow task, `drainInbox` reading the customer from QBO into our copy, a ' +
      'workflow task, `pullCustomer` merging it into the contact (which wakes the account’s dispatcher itself), and ' +
      'the delivery. Without webhooks the wait for the next CDC poll dominates: uniform over the poll interval, so ' +
      'p50 is about half of it and p95 close to all of it. CRM→QBO is the PUT, the signal, a workflow task and the ' +
      'contact’s own `pushContact` (up to four per connection at once), which writes the sparse update against the ' +
      'version of the customer it holds: one QBO round trip, or a read and a second write when a bookkeeper saved ' +
      'the customer in between (5010). When the two cores are saturated every hop waits for CPU: compare the ' +
      'lighter load, and the cores each process used.',
    '',
  ].join('\n');
}

function budgetSection(
  { run, result }: NonNullable<Sections['freshness']>,
  proof: TrafficSummary | undefined,
): string {
  const rows = result.budget.map((part) => [
    part.phase === 'webhooks' ? 'webhooks on' : 'webhooks dropped',
    `${part.edits.qbo} + ${part.edits.crm}`,
    String(part.requests.total),
    String(part.requests.qboEditReads),
    `${part.requests.crmEditReads} + ${part.requests.crmEditWrites}`,
    String(part.requests.cdcPolls),
    String(part.requests.other),
    `**${part.perChangedRecord}**`,
    `${part.perChangedRecordByDirection.qbo} / ${part.perChangedRecordByDirection.crm}`,
  ]);
  const overall = result.budgetOverall;
  const parts = [
    '## 4. API budget',
    '',
    `_Measured on the freshness load above (${runLine(run, 'freshness')})._`,
    '',
    "Every QBO request the emulator admitted, from each realm's request log (`GET /__admin/companies/{realmId}/requests`), " +
      "counted over each phase's window and attributed by what it touched: reads of customers edited in QBO, reads " +
      'and writes of customers edited in the CRM, CDC polls (shared out between the two directions by their number ' +
      'of changes), anything else. One edit changes one record.',
    '',
    md(
      [
        'phase',
        'edits (QBO + CRM)',
        'requests',
        'QBO-edit reads',
        'CRM-edit reads + writes',
        'CDC polls',
        'other',
        'per changed record',
        'QBO→CRM / CRM→QBO',
      ],
      rows,
    ),
    '',
    `Target: ${targets.requestsPerChangedRecord.label} requests per changed record on average — ${yes(result.targets.requestsPerChangedRecord.met)} ` +
      `(${overall.perChangedRecord}: ${overall.requests} requests for ${overall.edits} changed records).`,
    '',
    'A change made in QBO costs one request while webhooks arrive (the read by id that `drainInbox` does) and a ' +
      'share of a poll when they do not (one CDC request brings every change since the cursor). A change made in ' +
      'the CRM costs one: `pushContact` writes against the version it holds, and reads the customer only when QBO ' +
      'answers that the version is stale (5010). The webhook of our own write is recognised and not fetched ' +
      '(the projection remembers the second of our write), so the echo costs nothing.',
    '',
  ];
  if (proof)
    parts.push(
      '### No realm over the limits',
      '',
      "The emulator enforces Intuit's limits per realm and counts, per realm, the requests it admitted, the ones it " +
        'refused with 429 (ThrottleExceeded), the peak in flight and the peaks in any sliding second and minute ' +
        '(`GET /__admin/companies/{realmId}/traffic`). Over every realm of every benchmark in this report:',
      '',
      md(
        [
          'realms',
          'requests admitted',
          'refused (429)',
          'peak in flight',
          'peak in any minute',
          'peak in any second',
        ],
        [
          [
            String(proof.realms),
            int(proof.requests),
            `**${proof.throttled}**`,
            `${proof.maxPeakInFlight} (limit ${proof.limits.concurrent})`,
            `${proof.maxPeakPerMinute} (limit ${proof.limits.perMinute})`,
            `${proof.maxPeakPerSecond} (limit ${proof.limits.perSecond})`,
          ],
        ],
      ),
      '',
      proof.throttled === 0
        ? 'Zero refusals means the sync engine never even tried to go over a limit; the peaks show how close it came.'
        : `**${proof.throttled} requests were refused**: the sync engine tried to go over a limit (they were retried).`,
      '',
    );
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Scale

function scaleSection({ run, result }: NonNullable<Sections['scale']>): string {
  const { options, baseline, steps } = result;
  const processes = syncProcesses;
  const loadRow = (label: string, window: ScaleResult['baseline'], extra: string[]): string[] => [
    label,
    ...processes.map(
      (name) => `${window.processes[name]?.cores ?? '–'} / ${window.processes[name]?.rssMbMax ?? '–'} MB`,
    ),
    ...extra,
  ];
  const rows = [
    loadRow('idle (0 companies)', baseline, ['–', '–', '–', '–']),
    ...steps.map((step) =>
      loadRow(`${step.companies} companies`, step.window, [
        String(step.pollsPerSecond),
        processes.map((name) => step.cpuMsPerPoll[name] ?? '–').join(' / '),
        step.cpuMsPerPollSyncTotal !== undefined ? `${step.cpuMsPerPollSyncTotal} ms` : '–',
        `${ms(step.probe.p50)} / ${ms(step.probe.p95)} / ${ms(step.probe.p99)} / ${ms(step.probe.max)} (${step.probe.count})`,
      ]),
    ),
  ];
  const last = steps.at(-1);
  return [
    '## 3. Scale on one machine',
    '',
    `_${runLine(run, 'scale')}._`,
    '',
    `Companies connected through the OAuth flow (no backfill: the steady state is what is measured), each polling ` +
      `CDC every ${options.pollIntervalSeconds} s and changing nothing, measured over ${options.windowSeconds} s ` +
      "windows once every company is idle (five minutes after the last connect), when the task queue's idle-poll " +
      'sweep polls them and each workflow polls itself only as a fallback, every five intervals. CPU is the share ' +
      'of one core from `/proc/<pid>/stat` ' +
      '(utime + stime), memory the peak `VmRSS`. A probe edits one random customer in QBO every second, with ' +
      'webhooks on, and times it to the CRM receiver.',
    '',
    md(
      [
        '',
        'worker cores / RSS',
        'Temporal cores / RSS',
        'database cores / RSS',
        'polls/s',
        'CPU ms per poll (worker / Temporal / database)',
        'CPU ms per poll, sum',
        'probe QBO→CRM p50 / p95 / p99 / max (n)',
      ],
      rows,
    ),
    '',
    last
      ? `Per poll above the idle baseline, at ${last.companies} companies: ` +
        `${processes.map((name) => `${name} ${last.cpuMsPerPoll[name]} ms`).join(', ')} of CPU` +
        (last.cpuMsPerPollSyncTotal !== undefined
          ? `, ${last.cpuMsPerPollSyncTotal} ms in all (target ${targets.scaleCpuMsPerPoll.label}: ` +
            `${verdict(last.targets?.cpuMsPerPoll)})`
          : '') +
        (last.history
          ? `. A connection workflow's history grows by ${last.history.eventsPerCycle} events per loop turn ` +
            `(${last.history.events} events after ${last.history.cycles} turns).`
          : '.')
      : '',
    '',
    'What one query costs on the embedded server as a collection grows is measured by `npm run bench:database` ' +
      '(bench/database.ts). What grows with the companies here is the Temporal dev server and the database sharing ' +
      'two cores with the worker; in production MongoDB and a Temporal cluster run on machines of their own.',
    '',
    result.error
      ? `**The next step did not complete** (${result.error.split('\n')[0]}): on this machine, that is past what ` +
        'the local stack holds.'
      : '',
    '',
    'How this extends to 100,000 companies, with the arithmetic, is in [scaling.md](scaling.md).',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Chart

function chart(sections: Sections): string {
  const panels: Panel[] = [];
  const blue = '#2f6fb0';
  const grey = '#9aa5b1';
  const green = '#3c9a5f';
  const orange = '#e08a2c';
  if (sections.backfill) {
    const { median } = sections.backfill.result;
    panels.push({
      title: `1. Backfill, records/s (median): ${median.ratio}× the ceiling (red tick: target ${targets.backfillRatio.label})`,
      unit: 'records/s',
      bars: [
        {
          label: 'ceiling (fetch + insertMany)',
          segments: [{ value: median.ceilingRecordsPerSecond, color: grey }],
        },
        {
          label: 'qbo-sync end to end',
          segments: [{ value: median.recordsPerSecond, color: blue }],
          target: median.ceilingRecordsPerSecond / targets.backfillRatio.value,
        },
      ],
    });
  }
  if (sections.freshness) {
    const { latency } = sections.freshness.result;
    type Row = [string, FreshnessResult['latency']['qboToCrm']['webhooks'], number | undefined];
    const rows: Row[] = [
      ...(latency.qboToCrmFromArrival
        ? [
            [
              'QBO→CRM from webhook arrival',
              latency.qboToCrmFromArrival,
              targets.qboToCrmFromArrivalP95Ms.value,
            ] as Row,
          ]
        : []),
      ['QBO→CRM from the edit, webhooks', latency.qboToCrm.webhooks, undefined],
      ['QBO→CRM, no webhooks', latency.qboToCrm.polling, targets.qboToCrmPollingP95Ms.value],
      ['CRM→QBO, webhooks', latency.crmToQbo.webhooks, targets.crmToQboP95Ms.value],
      ['CRM→QBO, no webhooks', latency.crmToQbo.polling, targets.crmToQboP95Ms.value],
    ];
    panels.push({
      title: '2. Freshness: p50 | p95 | p99 (red tick: p95 target)',
      unit: 'ms',
      scale: 'log',
      min: 10,
      max: 100_000,
      bars: rows.flatMap(([label, summary, target]) => [
        {
          label: `${label} p50`,
          segments: [{ value: summary.p50, color: green, series: 'p50' }],
          text: ms(summary.p50),
        },
        {
          label: 'p95',
          segments: [{ value: summary.p95, color: blue, series: 'p95' }],
          text: ms(summary.p95),
          target,
        },
        {
          label: 'p99',
          segments: [{ value: summary.p99, color: grey, series: 'p99' }],
          text: ms(summary.p99),
        },
      ]),
    });
  }
  if (sections.scale) {
    const { baseline, steps } = sections.scale.result;
    const bar = (label: string, window: ScaleResult['baseline']) => ({
      label,
      segments: [
        { value: window.processes.worker?.cores ?? 0, color: blue, series: 'worker' },
        { value: window.processes.temporal?.cores ?? 0, color: orange, series: 'Temporal' },
        { value: window.processes.database?.cores ?? 0, color: green, series: 'database' },
      ],
      text: `${round(
        ['worker', 'temporal', 'database'].reduce(
          (sum, name) => sum + (window.processes[name]?.cores ?? 0),
          0,
        ),
        2,
      )} cores`,
    });
    panels.push({
      title: '3. Scale: CPU cores while N companies poll CDC (machine has 2)',
      unit: 'cores',
      bars: [bar('idle', baseline), ...steps.map((step) => bar(`${step.companies} companies`, step.window))],
    });
  }
  if (sections.freshness) {
    const { budget, budgetOverall } = sections.freshness.result;
    panels.push({
      title: `4. QBO requests per changed record (target ${targets.requestsPerChangedRecord.label})`,
      unit: 'requests',
      lines: [
        {
          value: targets.requestsPerChangedRecord.value,
          label: String(targets.requestsPerChangedRecord.value),
        },
      ],
      bars: [
        ...budget.flatMap((part) => {
          const name = part.phase === 'webhooks' ? 'webhooks on' : 'no webhooks';
          return [
            {
              label: `QBO→CRM, ${name}`,
              segments: [{ value: part.perChangedRecordByDirection.qbo, color: blue }],
            },
            {
              label: `CRM→QBO, ${name}`,
              segments: [{ value: part.perChangedRecordByDirection.crm, color: orange }],
            },
          ];
        }),
        { label: 'all changes', segments: [{ value: budgetOverall.perChangedRecord, color: grey }] },
      ],
    });
  }
  const runs = [sections.backfill?.run, sections.freshness?.run, sections.scale?.run].filter(
    Boolean,
  ) as RunRecord[];
  const machine = runs[0]?.machine;
  return renderChart(
    'qbo-sync benchmarks',
    panels,
    machine
      ? `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}; generated by npm run bench`
      : 'generated by npm run bench',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Drift audit

function auditedTransactions({ counts, introduced }: AuditResult): string {
  const found = counts.transactions.missing + counts.transactions.behind + counts.transactions.deleted;
  const made =
    introduced.transactions.missing + introduced.transactions.behind + introduced.transactions.deleted;
  return `${found} of ${made}, healed ${counts.transactions.healed}`;
}

function auditSection({ run, result }: NonNullable<Sections['audit']>): string {
  const { options, counts, traffic, requests, introduced } = result;
  const kinds = Object.entries(requests.byKind).sort(([, a], [, b]) => b - a);
  return [
    '## 5. Drift audit',
    '',
    `_${runLine(run, 'audit')}._`,
    '',
    `A company of ${int(options.customers)} customers and ${int(options.transactions)} transactions is seeded ` +
      `(${ms(result.seedMs)}), connected with a backfill (${ms(result.backfillMs)}), and every active customer is ` +
      `linked to a CRM contact holding its own fields: ${int(result.linkedContacts)} contacts sent by ` +
      '`POST /v1/contacts/batch`, each pinned to its customer, all synced in ' +
      `${ms(result.linkMs)} with ${int(result.linkRequests)} QBO requests. Intuit's webhooks are not subscribed ` +
      'and polls are an hour apart, so the engine hears of nothing more. Then, directly in the emulator (as a person ' +
      `in the QBO web app), ${options.editedCustomers} linked customers get a new phone and ` +
      `${options.deactivatedCustomers} are made inactive; ${options.driftedInvoices} unpaid invoices are changed, ` +
      `${options.driftedInvoices} deleted and ${options.driftedInvoices} created; and the audit is started on demand ` +
      '(`POST /v1/connections/{id}/audit`). Its time runs from that request to the audit’s `finishedAt`; the ' +
      "emulator's throttle counters are reset just before it, so the peaks below are the audit's alone.",
    '',
    md(
      [
        'audit time',
        'customers audited',
        'contacts compared',
        'transactions audited',
        'QBO requests',
        'peak in any minute',
        'peak in flight',
        'refused (429)',
      ],
      [
        [
          ms(result.auditMs),
          int(counts.customers),
          int(counts.compared),
          int(counts.transactions.read),
          int(requests.total),
          `${traffic.maxPeakPerMinute} (limit ${traffic.limits.perMinute})`,
          `${traffic.maxPeakInFlight} (limit ${traffic.limits.concurrent})`,
          String(traffic.throttled),
        ],
      ],
    ),
    '',
    `QBO requests by kind (the emulator's request log): ${kinds.map(([kind, count]) => `\`${kind}\` ${count}`).join(', ')}. ` +
      'The audit reads customers in query pages of 1,000 (`Active in (true, false)`, so inactive ones are seen ' +
      'too), then each transaction type of the history window in pages of 1,000, and never one by one: only a ' +
      'transaction our copy holds and QuickBooks stopped listing is read by id, to confirm it is gone. Healing goes ' +
      'through the normal sync path, from what the page returned.',
    '',
    md(
      ['', 'introduced', 'found by the audit', 'healed'],
      [
        [
          'new phone (`projection_behind`, `contact_differs`)',
          String(options.editedCustomers),
          String(counts.byKind.contact_differs),
          `${counts.healed} (${result.contactsHealedVerified} contacts read back with QBO's phone)`,
        ],
        [
          'made inactive (`link_to_inactive`)',
          introduced.inactive === options.deactivatedCustomers
            ? String(options.deactivatedCustomers)
            : `${introduced.inactive} (${options.deactivatedCustomers}, and ` +
              `${introduced.inactive - options.deactivatedCustomers} sub-customers QBO made inactive with them)`,
          String(counts.byKind.link_to_inactive),
          '– (left for a person)',
        ],
        [
          'invoice changed (`transaction_behind`)',
          String(introduced.transactions.behind),
          String(counts.transactions.behind),
          '',
        ],
        [
          'invoice created (`transaction_missing`)',
          String(introduced.transactions.missing),
          String(counts.transactions.missing),
          '',
        ],
        [
          'invoice deleted (`transaction_deleted`)',
          String(introduced.transactions.deleted),
          String(counts.transactions.deleted),
          `${counts.transactions.healed} of the ${
            introduced.transactions.behind + introduced.transactions.missing + introduced.transactions.deleted
          } transactions`,
        ],
        [
          '**all customers and links**',
          `**${introduced.drifted}**`,
          `**${counts.drifted}**`,
          `**${counts.healed}** of ${introduced.healable} healable`,
        ],
      ],
    ),
    '',
    `Targets: ${targets.auditRequestsPerMinute.label} and ${targets.auditConcurrentRequests.label} per realm — ` +
      `${yes(result.targets.perMinute.met && result.targets.concurrent.met)}; drift found equal to drift introduced, ` +
      `every healable one healed — ${yes(result.targets.found.met)}.`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The document

/** The headline figures, one row each: figure, measured, target, verdict. */
function summaryRows(sections: Sections): string[][] {
  const rows: string[][] = [];
  if (sections.backfill) {
    const { median, target } = sections.backfill.result;
    rows.push([
      'Backfill, end to end ÷ ceiling',
      `${median.ratio}× (${int(median.recordsPerSecond)} vs ${int(median.ceilingRecordsPerSecond)} records/s)`,
      targets.backfillRatio.label,
      yes(target.met),
    ]);
  }
  if (sections.freshness) {
    const { latency, targets: judged, options, budget, budgetOverall } = sections.freshness.result;
    const tail = (summary: FreshnessResult['latency']['qboToCrm']['webhooks']): string =>
      `p95 ${ms(summary.p95)}, p99 ${ms(summary.p99)}, max ${ms(summary.max)}`;
    const crm = latency.crmToQbo.webhooks.p95 >= latency.crmToQbo.polling.p95 ? 'webhooks' : 'polling';
    const lostOrRefused = [latency.qboToCrm.webhooks, latency.crmToQbo.webhooks].reduce(
      (sum, part) => sum + part.lost + (part.failed ?? 0),
      0,
    );
    const pollShare = budget.find((part) => part.phase === 'polling')?.pollShareOfRealmBudget;
    rows.push(
      [
        'QBO→CRM from webhook arrival, webhooks on',
        latency.qboToCrmFromArrival ? tail(latency.qboToCrmFromArrival) : '–',
        `p95 ${targets.qboToCrmFromArrivalP95Ms.label}`,
        verdict(judged.qboToCrmFromArrivalP95Ms),
      ],
      ['QBO→CRM from the edit, webhooks on', tail(latency.qboToCrm.webhooks), 'reported', ''],
      [
        `QBO→CRM, webhooks dropped (poll every ${options.pollIntervalSeconds} s)`,
        tail(latency.qboToCrm.polling),
        `p95 ${targets.qboToCrmPollingP95Ms.label}`,
        verdict(judged.qboToCrmPollingP95Ms),
      ],
      [
        `CRM→QBO (worse phase: ${crm === 'webhooks' ? 'webhooks on' : 'webhooks dropped'})`,
        tail(latency.crmToQbo[crm]),
        `p95 ${targets.crmToQboP95Ms.label}`,
        verdict(judged.crmToQboP95Ms),
      ],
      [
        'Edits lost or refused, webhooks on',
        String(lostOrRefused),
        targets.lostOrRefused.label,
        verdict(judged.lostOrRefused),
      ],
      [
        "Polling's share of a realm's budget, webhooks dropped",
        pollShare ? `${percent(pollShare.max)} of ${realmRequestsPerMinute}/min (busiest realm)` : '–',
        targets.pollingBudgetShare.label,
        verdict(judged.pollingBudgetShare),
      ],
      [
        'QBO requests per changed record',
        String(budgetOverall.perChangedRecord),
        targets.requestsPerChangedRecord.label,
        verdict(judged.requestsPerChangedRecord),
      ],
    );
  }
  for (const other of sections.freshness?.run.freshnessAtOtherRates ?? []) {
    const { latency, options } = other;
    const crm = Math.max(latency.crmToQbo.webhooks.p95, latency.crmToQbo.polling.p95);
    rows.push([
      `Freshness at ${options.editsPerSecond} edits/s (for comparison)`,
      `QBO→CRM p95 ${ms(latency.qboToCrmFromArrival?.p95 ?? Number.NaN)} from arrival, ` +
        `${ms(latency.qboToCrm.polling.p95)} without webhooks; CRM→QBO p95 ${ms(crm)}`,
      `${targets.qboToCrmFromArrivalP95Ms.label}, ${targets.qboToCrmPollingP95Ms.label}; ` +
        targets.crmToQboP95Ms.label,
      yes(
        Object.values(other.targets).every((judged) => judged.met) &&
          meets(targets.qboToCrmFromArrivalP95Ms, latency.qboToCrmFromArrival?.p95 ?? Number.NaN),
      ),
    ]);
  }
  if (sections.scale) {
    for (const step of sections.scale.result.steps) {
      const cores = syncProcesses.reduce((sum, name) => sum + (step.window.processes[name]?.cores ?? 0), 0);
      rows.push([
        `${step.companies} companies polling`,
        `${round(cores, 2)} cores; probe p95 ${ms(step.probe.p95)}, p99 ${ms(step.probe.p99)}, ` +
          `max ${ms(step.probe.max)}; CPU per poll ${step.cpuMsPerPollSyncTotal ?? '–'} ms`,
        `probe p95 ${targets.scaleProbeP95Ms.label}; CPU per poll ${targets.scaleCpuMsPerPoll.label}`,
        step.targets
          ? yes(step.targets.probeP95Ms.met && step.targets.cpuMsPerPoll.met)
          : yes(step.probe.count > 0 && meets(targets.scaleProbeP95Ms, step.probe.p95)),
      ]);
    }
  }
  if (sections.audit) {
    const { result } = sections.audit;
    rows.push(
      [
        `Drift audit of ${int(result.options.customers)} customers, ${int(result.options.transactions)} transactions`,
        `${ms(result.auditMs)}, ${int(result.requests.total)} QBO requests; peak ` +
          `${result.traffic.maxPeakPerMinute}/min, ${result.traffic.maxPeakInFlight} in flight`,
        `${targets.auditRequestsPerMinute.label}, ${targets.auditConcurrentRequests.label}`,
        yes(result.targets.perMinute.met && result.targets.concurrent.met),
      ],
      [
        'Drift audit: found vs introduced, healed',
        `${result.counts.drifted} of ${result.introduced.drifted}; healed ${result.counts.healed} of ` +
          `${result.introduced.healable}; transactions ${auditedTransactions(result)}`,
        'all found, all healable healed',
        yes(result.targets.found.met),
      ],
    );
  }
  return rows;
}

function renderMarkdown(sections: Sections, chartFile: string, profile?: ProfileSummary): string {
  const runs = [
    sections.backfill?.run,
    sections.freshness?.run,
    sections.scale?.run,
    sections.audit?.run,
  ].filter(Boolean) as RunRecord[];
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts); edit bench/sync/report.ts, not this file. -->',
    '',
    'Measured with `npm run bench` on a local stack started by the benchmark itself: the Temporal dev server and ' +
      'the embedded MongoDB-wire server (mongo-java-server on H2, src/stack/mongo-server) from the tool cache, the ' +
      "QBO emulator with Intuit's real limits, the API (in the benchmark process, as in src/api/main.ts) and the " +
      'real worker entry point (src/worker/main.ts) as a process of its own, all on 127.0.0.1. The machine is ' +
      'shared and noisy (see the load averages), so every figure is a median or a percentile, and every comparison ' +
      'is a ratio measured in the same run.',
    '',
    ...runs
      .filter((run, index) => runs.indexOf(run) === index)
      .map(
        (run) =>
          `- Machine: ${machineLine(run.machine)} (${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${run.mode} mode).`,
      ),
    '',
    md(['figure', 'measured', 'target', ''], summaryRows(sections)),
    '',
    // A benchmark that failed in one run and completed in a newer one is reported from the newer one.
    ...runs
      .filter((run, index) => runs.indexOf(run) === index)
      .flatMap((run) => Object.entries(run.errors ?? {}))
      .filter(([name]) => !(name in sections))
      .map(([name, message]) => `**${name} did not complete:** ${message.split('\n')[0]}\n`),
    `![Benchmark chart](${chartFile})`,
    '',
  ];
  if (sections.backfill) parts.push(backfillSection(sections.backfill, profile));
  if (sections.freshness) parts.push(freshnessSection(sections.freshness));
  if (sections.scale) parts.push(scaleSection(sections.scale));
  if (sections.freshness) {
    const proof = mergeTraffic(
      [
        sections.backfill?.result.traffic,
        sections.freshness.result.traffic,
        sections.scale?.result.steps.at(-1)?.traffic,
        sections.audit?.result.traffic,
      ].filter((part): part is TrafficSummary => part !== undefined),
    );
    parts.push(budgetSection(sections.freshness, proof));
  }
  if (sections.audit) parts.push(auditSection(sections.audit));
  parts.push(
    '## Running it',
    '',
    '```sh',
    'npm run bench                      # all of them, full sizes; rewrites docs/benchmarks.md and docs/benchmarks.svg',
    'npm run bench -- backfill budget   # some of them (budget runs the freshness load)',
    'npm run bench -- audit             # the drift audit alone',
    'npm run bench -- --report-only     # rebuild this page from the newest full results in bench-results/',
    'npm run bench -- --quick           # small sizes, about two minutes; report in bench-results/',
    'npm run bench -- backfill --profile   # also CPU-profile the worker during the backfill',
    '```',
    '',
    'Each run writes its raw figures to `bench-results/sync-<mode>-<time>.json` (git-ignored). A full run builds ' +
      'this page from the newest full result of each benchmark, so running one benchmark updates its own section ' +
      'and keeps the others.',
    '',
  );
  return parts.join('\n');
}

/** Runs recorded on FerretDB measured the database's process as `ferretdb`; the report reads it as `database`. */
function databaseProcess(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('ferretdb' in value)) return value;
  const { ferretdb, ...rest } = value as Record<string, unknown>;
  return { ...rest, database: ferretdb };
}

/** The newest full-mode run holding each benchmark, from the results folder. */
function latestSections(resultsDir: string, current: RunRecord): Sections {
  const files = readdirSync(resultsDir)
    .filter((name) => /^sync-full-.*\.json$/.test(name))
    .sort();
  const sections: Sections = {};
  for (const name of files) {
    const run = JSON.parse(readFileSync(path.join(resultsDir, name), 'utf8'), databaseProcess) as RunRecord;
    Object.assign(sections, sectionsOf(run));
  }
  return { ...sections, ...sectionsOf(current) };
}

/** The sections one run holds. */
function sectionsOf(run: RunRecord): Sections {
  return {
    ...(run.backfill ? { backfill: { run, result: run.backfill } } : {}),
    ...(run.freshness ? { freshness: { run, result: run.freshness } } : {}),
    ...(run.scale ? { scale: { run, result: run.scale } } : {}),
    ...(run.audit ? { audit: { run, result: run.audit } } : {}),
  };
}

/** Writes the report: docs/ for a full run (merged with earlier full runs), bench-results/ for a quick one. */
export function writeReport(record: RunRecord, resultsDir: string): string[] {
  const full = record.mode === 'full';
  const sections: Sections = full ? latestSections(resultsDir, record) : sectionsOf(record);
  const folder = full ? path.join(repoRoot, 'docs') : resultsDir;
  const base = full ? 'benchmarks' : 'benchmarks-quick';
  const markdownFile = path.join(folder, `${base}.md`);
  const chartFile = path.join(folder, `${base}.svg`);
  const profile = sections.backfill?.run.backfillWorkerProfile;
  writeFileSync(chartFile, chart(sections));
  writeFileSync(markdownFile, renderMarkdown(sections, `${base}.svg`, profile));
  return [markdownFile, chartFile];
}

/** The headline figures on stdout. */
export function printSummary(record: RunRecord): void {
  const sections = sectionsOf(record);
  console.log(`\nqbo-sync benchmarks (${record.mode}) on ${machineLine(record.machine)}\n`);
  console.log(
    table(
      ['figure', 'measured', 'target', 'met'],
      summaryRows(sections).map((row) => row.map((cell) => cell.replace(/\*\*/g, '').replace(/`/g, ''))),
    ),
  );
  if (record.backfill) {
    const { anatomy } = record.backfill;
    console.log(
      `\nbackfill page anatomy: ${anatomySteps.map((step) => `${step} ${Math.round(anatomy.steps[step])} ms`).join(', ')}`,
    );
  }
  if (record.freshness) {
    const { latency } = record.freshness;
    const line = (label: string, summary: typeof latency.contactPut) =>
      `${label}: p50 ${ms(summary.p50)}, p95 ${ms(summary.p95)}, p99 ${ms(summary.p99)}, max ${ms(summary.max)} (n=${summary.count})`;
    if (latency.qboToCrmFromArrival)
      console.log(`\n${line('QBO→CRM arrival ', latency.qboToCrmFromArrival)}`);
    console.log(
      `${latency.qboToCrmFromArrival ? '' : '\n'}${line('QBO→CRM webhooks', latency.qboToCrm.webhooks)}`,
    );
    console.log(line('QBO→CRM polling ', latency.qboToCrm.polling));
    console.log(line('CRM→QBO webhooks', latency.crmToQbo.webhooks));
    console.log(line('CRM→QBO polling ', latency.crmToQbo.polling));
  }
}
