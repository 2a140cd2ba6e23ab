import {
  addressFieldParts,
  changedFields,
  emptySyncFields,
  isSyncFieldName,
  normaliseFields,
  normaliseValue,
  sameValue,
  syncFieldNames,
  tidyValue,
  toSyncFields,
  type SyncFieldName,
} from '../../../src/sync/fields';

describe('the synced field set', () => {
  it('lists the 13 contact fields and 6 parts of each of the two addresses, once each', () => {
    expect(syncFieldNames).toHaveLength(13 + 12);
    expect(new Set(syncFieldNames).size).toBe(syncFieldNames.length);
    expect(syncFieldNames).toEqual(
      expect.arrayContaining([
        'title',
        'website',
        'notes',
        'billingAddress.region',
        'shippingAddress.country',
      ]),
    );
  });

  it('splits address fields into kind and part, and leaves the others alone', () => {
    expect(addressFieldParts('billingAddress.postalCode')).toEqual({
      kind: 'billingAddress',
      part: 'postalCode',
    });
    expect(addressFieldParts('shippingAddress.line2')).toEqual({ kind: 'shippingAddress', part: 'line2' });
    expect(addressFieldParts('email')).toBeUndefined();
  });

  it('recognises field names', () => {
    expect(isSyncFieldName('billingAddress.city')).toBe(true);
    expect(isSyncFieldName('billingAddress')).toBe(false);
    expect(isSyncFieldName('DisplayName')).toBe(false);
  });

  it('builds a complete, tidied set from a partial one', () => {
    const fields = toSyncFields({ givenName: '  Ann ', email: '', notes: undefined });
    expect(fields.givenName).toBe('Ann');
    expect(fields.email).toBeNull();
    expect(fields.notes).toBeNull();
    expect(Object.keys(fields)).toEqual([...syncFieldNames]);
    expect(Object.values(emptySyncFields()).every((value) => value === null)).toBe(true);
  });
});

describe('normalisation for comparison', () => {
  const cases: [SyncFieldName, string | null, string | null][] = [
    ['givenName', '  Ann  ', 'Ann'],
    ['givenName', '', null],
    ['givenName', '   \t ', null],
    ['givenName', null, null],
    ['companyName', 'Acme   Widgets\tLtd', 'Acme Widgets Ltd'],
    ['email', ' Ann@Example.COM ', 'ann@example.com'],
    ['displayName', 'ANN', 'ANN'], // only emails are case-folded
    ['billingAddress.line1', '12  Ocean Dr.', '12 Ocean Dr.'],
    ['notes', 'line one  \r\nline   two\n\n\n\nend', 'line one\nline two\n\nend'],
    ['givenName', 'Jose\u0301', 'José'], // decomposed accent = composed one
  ];
  it.each(cases)('%s: %j → %j', (field, value, expected) => {
    expect(normaliseValue(field, value)).toBe(expected);
  });

  it('treats cosmetic differences as the same value and real ones as different', () => {
    expect(sameValue('email', 'ANN@x.com', 'ann@x.com ')).toBe(true);
    expect(sameValue('phone', '', null)).toBe(true);
    expect(sameValue('givenName', 'Ann', 'Anne')).toBe(false);
    expect(sameValue('notes', 'a\nb', 'a b')).toBe(false); // line breaks in notes are content
  });

  it('keeps inner text when tidying, so what a user typed survives', () => {
    expect(tidyValue('  a\n\nb  ')).toBe('a\n\nb');
    expect(tidyValue('')).toBeNull();
  });

  it('normalises a whole set and diffs two sets field by field', () => {
    const before = toSyncFields({ givenName: 'Ann', email: 'ann@x.com', phone: '555' });
    const after = toSyncFields({ givenName: ' Ann ', email: 'ANN@X.COM', phone: null, fax: '777 ' });
    expect(normaliseFields(after).email).toBe('ann@x.com');
    expect(changedFields(before, after)).toEqual({ phone: null, fax: '777' });
  });
});
