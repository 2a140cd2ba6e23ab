import { syncFieldNames } from '../../../src/sync/fields';
import {
  directionOf,
  fieldsFlowingTo,
  flowsTo,
  isDirection,
  type Direction,
  type MappingPolicy,
} from '../../../src/sync/mapping-policy';

describe('per-connection mapping policy', () => {
  it('syncs every field both ways by default', () => {
    expect(directionOf('notes')).toBe('both');
    expect(fieldsFlowingTo('qbo')).toEqual([...syncFieldNames]);
    expect(fieldsFlowingTo('crm', {})).toEqual([...syncFieldNames]);
  });

  const table: [Direction, boolean, boolean][] = [
    ['both', true, true],
    ['qbo-to-crm', false, true],
    ['crm-to-qbo', true, false],
    ['none', false, false],
  ];
  it.each(table)('%s: written to QBO %s, written to the CRM %s', (direction, toQbo, toCrm) => {
    expect(flowsTo('qbo', direction)).toBe(toQbo);
    expect(flowsTo('crm', direction)).toBe(toCrm);
  });

  it('lists the fields flowing to each side under overrides, in field order', () => {
    const policy: MappingPolicy = { notes: 'none', email: 'qbo-to-crm', website: 'crm-to-qbo' };
    const toQbo = fieldsFlowingTo('qbo', policy);
    const toCrm = fieldsFlowingTo('crm', policy);
    expect(toQbo).not.toContain('notes');
    expect(toQbo).not.toContain('email');
    expect(toQbo).toContain('website');
    expect(toCrm).not.toContain('notes');
    expect(toCrm).toContain('email');
    expect(toCrm).not.toContain('website');
    expect(toQbo).toHaveLength(syncFieldNames.length - 2);
    expect(toQbo.indexOf('givenName')).toBeLessThan(toQbo.indexOf('website'));
  });

  it('recognises directions', () => {
    expect(isDirection('qbo-to-crm')).toBe(true);
    expect(isDirection('sideways')).toBe(false);
    expect(isDirection(3)).toBe(false);
  });
});
