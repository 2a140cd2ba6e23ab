/**
 * What a mapping change would do, in words, before it is saved: for each field whose direction changes, which
 * changes stop or start flowing. Directions are the API's: `both`, `qbo-to-crm`, `crm-to-qbo` and `none`.
 */
export type Direction = 'both' | 'qbo-to-crm' | 'crm-to-qbo' | 'none';

const flows = (direction: Direction) => ({
  toCrm: direction === 'both' || direction === 'qbo-to-crm',
  toQbo: direction === 'both' || direction === 'crm-to-qbo',
});

export interface MappingChange {
  field: string;
  from: Direction;
  to: Direction;
  effects: string[];
}

export function mappingChanges(
  fields: readonly string[],
  saved: Partial<Record<string, Direction>>,
  draft: Partial<Record<string, Direction>>,
): MappingChange[] {
  return fields.flatMap((field) => {
    const from = saved[field] ?? 'both';
    const to = draft[field] ?? 'both';
    if (from === to) return [];
    const before = flows(from);
    const after = flows(to);
    const effects: string[] = [];
    if (before.toCrm && !after.toCrm) effects.push('QuickBooks’ changes to it will no longer reach the CRM');
    if (!before.toCrm && after.toCrm) effects.push('QuickBooks’ changes to it will reach the CRM');
    if (before.toQbo && !after.toQbo)
      effects.push('the CRM’s changes to it will no longer be written to QuickBooks');
    if (!before.toQbo && after.toQbo) effects.push('the CRM’s changes to it will be written to QuickBooks');
    if (to === 'both') effects.push('edits on both sides are merged; QuickBooks wins a true conflict');
    return [{ field, from, to, effects }];
  });
}
