import type { SyncEvent } from '../../../sdk/src';
import { fieldValue, h, type Child } from './dom';

/** Sync events in words: what happened, and the values and rules behind it. */
export const kindWords: Record<SyncEvent['kind'], string> = {
  linked: 'Linked to a QuickBooks customer',
  relinked: 'Linked to another customer (merged in QuickBooks)',
  unlinked: 'Unlinked (customer deleted in QuickBooks)',
  created: 'Customer created in QuickBooks',
  updated_qbo: 'CRM change written to QuickBooks',
  updated_crm: 'QuickBooks change applied to the CRM contact',
  conflict: 'Both sides changed a field',
  rejected: 'Refused by QuickBooks’ rules',
  contact_deleted: 'Contact deleted in the CRM',
  undone: 'Undone in QuickBooks (a change taken back)',
  document_written: 'Document written to QuickBooks',
};

export const sourceWords: Record<SyncEvent['source'], string> = {
  crm: 'CRM',
  qbo: 'QuickBooks',
  both: 'both',
  sync: 'sync',
};

interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

interface FieldProblem {
  field: string;
  qboField?: string;
  problem: string;
}

export const problemsOf = (event: SyncEvent): FieldProblem[] =>
  Array.isArray(event.detail.problems) ? (event.detail.problems as FieldProblem[]) : [];

const sideValue = (side: unknown) => (side === 'crm' ? 'the CRM’s value' : 'QuickBooks’ value');

/** Each conflict rule of the merge (src/sync/merge.ts), in words. */
const ruleWords: Partial<Record<string, (applied: unknown) => string>> = {
  most_recent: (applied) => `The more recent change wins: ${sideValue(applied)} was applied`,
  tie_qbo_wins: () => 'Both changed within the clock tolerance of each other: QuickBooks wins such a tie',
  qbo_wins: () => 'This field’s policy: QuickBooks wins',
  crm_wins: () => 'This field’s policy: the CRM wins',
  manual: () => 'This field’s policy: held for a person; nothing was written',
  older_than_base: () => 'The CRM’s change was older than QuickBooks’ change: QuickBooks’ value was kept',
};

/** The rule that decided a conflict, in words. */
export function conflictRule(event: SyncEvent): string {
  if (event.resolution)
    return `Decided by hand ${new Date(event.resolution.at).toLocaleString('en-US')}: ${sideValue(event.resolution.choice)} kept`;
  const words = ruleWords[String(event.detail.rule)];
  return words ? words(event.detail.applied) : `${sideValue(event.detail.applied)} was applied`;
}

/** How to fix a refused field, for the person who has to. */
export function fixHint(problem: FieldProblem): string {
  return `Correct ${problem.field} in the CRM (QuickBooks’ ${problem.qboField ?? problem.field}); the next save is written again, or retry it here once fixed.`;
}

export function eventDetail(event: SyncEvent): Child {
  if (event.kind === 'conflict')
    return [
      `CRM: ${fieldValue(event.detail.crmValue)} · QuickBooks: ${fieldValue(event.detail.qboValue)} · `,
      conflictRule(event),
    ];
  const problems = problemsOf(event);
  if (problems.length > 0)
    return h(
      'ul',
      {},
      problems.map((problem) => h('li', {}, problem.problem)),
    );
  const changes = Array.isArray(event.detail.changes) ? (event.detail.changes as Change[]) : [];
  if (changes.length > 0)
    return h(
      'ul',
      {},
      changes.map((change) =>
        h('li', {}, `${change.field}: ${fieldValue(change.from)} → ${fieldValue(change.to)}`),
      ),
    );
  return '—';
}
