import type { ContactLineage } from '../../sdk/src';

type FieldLineage = ContactLineage['fields'][number];
type LineageRule = NonNullable<FieldLineage['rule']>;
type LineageChannel = NonNullable<NonNullable<FieldLineage['change']>['channel']>;
type LineageState = FieldLineage['state'];

/** A contact's lineage in words, for the console's contact page: where each field's value came from, and why. */

const sideWords: Record<NonNullable<FieldLineage['side']>, string> = {
  crm: 'the CRM',
  qbo: 'QuickBooks',
  both: 'both sides',
};

const stateWords: Record<LineageState, string> = {
  synced: 'in sync',
  pending: 'pending: the CRM’s value is on its way',
  held: 'held for a person',
  unsynced: 'not synced',
};

const channelWords: Record<LineageChannel, string> = {
  put: 'the CRM’s PUT',
  push: 'read while writing a PUT',
  webhook: 'a QuickBooks webhook',
  cdc_poll: 'a poll of QuickBooks (CDC)',
  backfill: 'the backfill',
  audit: 'the drift audit',
  undo: 'an undo',
};

export const lineageRuleWords: Record<LineageRule, string> = {
  one_side_changed: 'changed on one side only',
  older_than_base: 'an older change lost to a newer one',
  most_recent: 'both changed: the more recent change won',
  tie_qbo_wins: 'both changed at the same moment: QuickBooks won the tie',
  qbo_wins: 'this field’s policy: QuickBooks wins',
  crm_wins: 'this field’s policy: the CRM wins',
  manual: 'held for a person',
  fill: 'filled an empty value at the first link',
  catch_up: 'caught up with a write already made',
  direction: 'the field flows one way',
  person: 'decided by a person',
  created: 'the customer was created from the contact',
  agreed: 'both sides already held it',
};

/**
 * One row per field that has a value or an origin: the field (a custom field under its CRM key), its value, its
 * state, who set it and when, how the change reached us (with QuickBooks' version of the customer) and the rule.
 */
export function lineageRows(fields: readonly FieldLineage[], time: (iso: string) => string): string[][] {
  return fields
    .filter((field) => field.value !== null || field.side !== null)
    .map((field) => [
      field.crmKey ? `${field.crmKey} (custom field)` : field.field,
      field.value ?? '—',
      stateWords[field.state],
      field.side ? sideWords[field.side] : '—',
      field.setAt ? time(field.setAt) : '—',
      field.change?.channel
        ? channelWords[field.change.channel] +
          (field.change.qboSyncToken ? ` (QuickBooks version ${field.change.qboSyncToken})` : '')
        : '—',
      field.rule ? lineageRuleWords[field.rule] : '—',
    ]);
}
