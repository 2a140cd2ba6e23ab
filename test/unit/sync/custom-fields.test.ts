import {
  checkCustomValue,
  customFieldEntries,
  customFieldsForCrm,
  customFieldsFromCrm,
  customFieldValuesOf,
  mappedCustomFields,
  type CustomFieldDefinition,
} from '../../../src/sync/custom-fields';
import {
  addressFieldParts,
  customFieldName,
  isCustomFieldName,
  isFieldName,
  toSyncFields,
} from '../../../src/sync/fields';
import { mergeContact } from '../../../src/sync/merge';

const tier: CustomFieldDefinition = {
  id: '1149601',
  label: 'Tier',
  type: 'dropdown',
  options: ['Gold', 'Silver'],
};
const seats: CustomFieldDefinition = { id: '1149602', label: 'Seats', type: 'number', options: [] };
const renewal: CustomFieldDefinition = { id: '1149603', label: 'Renewal', type: 'date', options: [] };
const region: CustomFieldDefinition = { id: '1149604', label: 'Region', type: 'string', options: [] };

describe('custom field names', () => {
  it('are custom.<definitionId>, beside the fixed names, and never address parts', () => {
    expect(customFieldName('1149601')).toBe('custom.1149601');
    expect(isCustomFieldName('custom.1149601')).toBe(true);
    expect(isCustomFieldName('custom.')).toBe(false);
    expect(isCustomFieldName('custom.a.b')).toBe(false);
    expect(isFieldName('email')).toBe(true);
    expect(isFieldName('tier')).toBe(false);
    expect(addressFieldParts('custom.1149601')).toBeUndefined();
    expect(addressFieldParts('billingAddress.city')).toEqual({ kind: 'billingAddress', part: 'city' });
  });
});

describe('checkCustomValue', () => {
  it('takes a dropdown option and refuses anything else, naming the options', () => {
    expect(checkCustomValue(tier, ' Gold ')).toEqual({ ok: true, value: 'Gold' });
    const refused = checkCustomValue(tier, 'Platinum');
    expect(refused).toEqual({
      ok: false,
      problem:
        '"Platinum" is not an option of the QuickBooks dropdown "Tier"; the options are "Gold", "Silver"',
    });
  });

  it('takes numbers and numeric strings in one spelling, and refuses other text', () => {
    expect(checkCustomValue(seats, 12)).toEqual({ ok: true, value: '12' });
    expect(checkCustomValue(seats, '12.50')).toEqual({ ok: true, value: '12.5' });
    expect(checkCustomValue(seats, 'twelve')).toEqual({
      ok: false,
      problem: '"Seats" is a number field in QuickBooks; "twelve" is not a number',
    });
  });

  it('takes calendar dates only', () => {
    expect(checkCustomValue(renewal, '2027-02-28')).toEqual({ ok: true, value: '2027-02-28' });
    expect(checkCustomValue(renewal, '2027-02-30').ok).toBe(false);
    expect(checkCustomValue(renewal, 20270228).ok).toBe(false);
  });

  it('takes text up to 100 characters, and empty as a clear', () => {
    expect(checkCustomValue(region, 'West')).toEqual({ ok: true, value: 'West' });
    expect(checkCustomValue(region, 'x'.repeat(101)).ok).toBe(false);
    expect(checkCustomValue(region, 7).ok).toBe(false);
    for (const empty of [null, undefined, '  '])
      expect(checkCustomValue(tier, empty)).toEqual({ ok: true, value: null });
  });
});

describe("QBO's CustomField entries", () => {
  it('are read as the merge holds values, whatever their type', () => {
    expect(
      customFieldValuesOf([
        { DefinitionId: '1149601', Name: 'Tier', Type: 'StringType', StringValue: 'Gold' },
        { DefinitionId: 1149602, Type: 'NumberType', NumberValue: 3.0 },
        { DefinitionId: '1149603', Type: 'DateType', DateValue: '2027-02-28T00:00:00Z' },
        { DefinitionId: '1149604', Type: 'StringType', StringValue: '' },
        { Name: 'no id', StringValue: 'x' },
        'garbage',
      ]),
    ).toEqual({ 'custom.1149601': 'Gold', 'custom.1149602': '3', 'custom.1149603': '2027-02-28' });
    expect(customFieldValuesOf(undefined)).toEqual({});
  });

  it('are written typed by the definition, a clear without a value, unknown fields left out', () => {
    expect(
      customFieldEntries(
        { 'custom.1149601': 'Gold', 'custom.1149602': '12.5', 'custom.1149603': null, 'custom.999': 'x' },
        [tier, seats, renewal],
      ),
    ).toEqual([
      { DefinitionId: '1149601', Type: 'StringType', StringValue: 'Gold' },
      { DefinitionId: '1149602', Type: 'NumberType', NumberValue: 12.5 },
      { DefinitionId: '1149603', Type: 'DateType' },
    ]);
  });
});

describe('the mapping between CRM keys and definitions', () => {
  const mapped = mappedCustomFields({ tier: '1149601', seats: '1149602', gone: '42' }, [tier, seats]);

  it('keeps the mappings whose definitions are known', () => {
    expect(mapped.map(({ crmKey, field }) => [crmKey, field])).toEqual([
      ['seats', 'custom.1149602'],
      ['tier', 'custom.1149601'],
    ]);
  });

  it('turns what the CRM sent into field values, or names each problem by its key', () => {
    expect(customFieldsFromCrm({ tier: 'Silver', seats: null }, mapped)).toEqual({
      fields: { 'custom.1149601': 'Silver', 'custom.1149602': null },
      problems: [],
    });
    const { problems } = customFieldsFromCrm({ tier: 'Bronze', seats: 'many', colour: 'red' }, mapped);
    expect(problems.map((problem) => problem.crmKey)).toEqual(['tier', 'seats', 'colour']);
    expect(problems[2]!.problem).toContain('mapped: seats, tier');
  });

  it('shows the values to the CRM by key, numbers as numbers', () => {
    expect(customFieldsForCrm({ 'custom.1149601': 'Gold', 'custom.1149602': '12.5' }, mapped)).toEqual({
      seats: 12.5,
      tier: 'Gold',
    });
    expect(customFieldsForCrm({}, mapped)).toEqual({ seats: null, tier: null });
  });
});

describe('custom fields in the three-way merge', () => {
  const field = customFieldName('1149601');
  const side = (value: string | null, at: number) => ({
    fields: { ...toSyncFields({}), [field]: value },
    times: {},
    updatedAt: at,
  });
  const base = { [field]: { value: 'Gold', at: 1_000, from: 'both' as const, agreedAt: 1_000 } };

  it('merges the mapped ones by the same rules as the fixed fields, and leaves the others alone', () => {
    const changedInQbo = mergeContact({
      base,
      qbo: side('Silver', 5_000),
      crm: side('Gold', 2_000),
      customFields: [field],
      skewToleranceMs: 5_000,
      now: 6_000,
    });
    expect(changedInQbo.toCrm).toEqual({ [field]: 'Silver' });
    expect(changedInQbo.rules[field]).toBe('one_side_changed');

    const bothChanged = mergeContact({
      base,
      qbo: side('Silver', 5_000),
      crm: side('Bronze', 60_000),
      customFields: [field],
      conflicts: { [field]: 'qbo_wins' },
      skewToleranceMs: 5_000,
      now: 61_000,
    });
    expect(bothChanged.toCrm).toEqual({ [field]: 'Silver' });
    expect(bothChanged.conflicts).toEqual([
      expect.objectContaining({ field, rule: 'qbo_wins', applied: 'qbo' }),
    ]);

    const unmapped = mergeContact({
      base,
      qbo: side('Silver', 5_000),
      crm: side('Gold', 2_000),
      skewToleranceMs: 5_000,
      now: 6_000,
    });
    expect(unmapped.toCrm).toEqual({});
  });
});
