import {
  createMatcher,
  emailMatchKey,
  findMatch,
  matchKeys,
  nameMatchKey,
  type MatchCandidate,
  type MatchFields,
} from '../../../src/sync/matching';

const contact = (fields: Partial<MatchFields>): MatchFields => ({
  email: null,
  displayName: null,
  companyName: null,
  ...fields,
});
const candidate = (id: string, fields: Partial<MatchFields>): MatchCandidate => ({ id, ...contact(fields) });

describe('match keys', () => {
  it('folds emails by case and surrounding space', () => {
    expect(emailMatchKey('  Ann@Acme.EXAMPLE ')).toBe('ann@acme.example');
    expect(emailMatchKey('')).toBeNull();
    expect(emailMatchKey(null)).toBeNull();
  });

  const sameKey: [string, string][] = [
    ["Bill's Windsurf Shop", 'Bills Windsurf Shop'],
    ['Bill’s Windsurf Shop', "BILL'S  WINDSURF SHOP"],
    ['Smith & Sons', 'Smith and Sons'],
    ['Smith&Sons', 'smith and sons'],
    ['Acme Inc.', 'ACME'],
    ['Acme, LLC', 'Acme'],
    ['Acme L.L.C.', 'Acme'],
    ['Acme Ltd', 'Acme Limited'],
    ['Müller GmbH', 'Muller'],
    ['Acme Co. Ltd.', 'acme'],
    ['Acme Corp', 'Acme Corporation'],
    ['  Red-Rock   Diner ', 'Red Rock Diner'],
    ['Café Olé', 'cafe ole'],
  ];
  it.each(sameKey)('%j and %j have the same name key', (a, b) => {
    expect(nameMatchKey(a)).toBe(nameMatchKey(b));
    expect(nameMatchKey(a)).not.toBeNull();
  });

  const differentKey: [string, string][] = [
    ['Acme', 'Acme Widgets'],
    ['Smith & Sons', 'Smith Sons'],
    ['Inc Magazine', 'Magazine'], // legal words only count at the end
  ];
  it.each(differentKey)('%j and %j differ', (a, b) => {
    expect(nameMatchKey(a)).not.toBe(nameMatchKey(b));
  });

  it('gives the exact folded key, and never empties a name made of legal words', () => {
    expect(nameMatchKey("Bill's Windsurf Shop, Inc.")).toBe('bills windsurf shop');
    expect(nameMatchKey('A & B')).toBe('a and b');
    expect(nameMatchKey('Company')).toBe('company');
    expect(nameMatchKey('Co Ltd')).toBe('co');
    expect(nameMatchKey(' ... ')).toBeNull();
    expect(nameMatchKey(null)).toBeNull();
  });

  it('collects the email and the distinct name keys of a record', () => {
    expect(matchKeys(contact({ email: 'A@B.co', displayName: 'Acme Inc', companyName: 'ACME' }))).toEqual({
      email: 'a@b.co',
      names: ['acme'],
    });
  });
});

describe('findMatch', () => {
  const candidates = [
    candidate('1', { email: 'ann@acme.example', displayName: 'Ann Lee', companyName: 'Acme Inc' }),
    candidate('2', { email: 'bob@other.example', displayName: "Bill's Windsurf Shop" }),
    candidate('3', { email: 'billing@twins.example', displayName: 'Twin One' }),
    candidate('4', { email: 'BILLING@twins.example', displayName: 'Twin Two' }),
    candidate('5', { displayName: 'Smith & Sons' }),
    candidate('6', { displayName: 'Smith and Sons LLC' }),
    candidate('7', { displayName: 'Northwind Traders', companyName: 'Northwind' }),
  ];

  it('matches by email first, ignoring case and spaces', () => {
    expect(
      findMatch(contact({ email: ' ANN@acme.example ', displayName: 'Someone Else' }), candidates),
    ).toEqual({
      kind: 'matched',
      id: '1',
      by: 'email',
    });
  });

  it('prefers the email match over a name match with another candidate', () => {
    expect(findMatch(contact({ email: 'bob@other.example', displayName: 'Ann Lee' }), candidates)).toEqual({
      kind: 'matched',
      id: '2',
      by: 'email',
    });
  });

  it('falls back to the display name when no email matches', () => {
    expect(
      findMatch(contact({ email: 'new@x.example', displayName: 'Bills Windsurf Shop' }), candidates),
    ).toEqual({
      kind: 'matched',
      id: '2',
      by: 'name',
    });
  });

  it('matches a company name against a candidate display or company name', () => {
    expect(findMatch(contact({ displayName: 'Jo Bloggs', companyName: 'ACME' }), candidates)).toEqual({
      kind: 'matched',
      id: '1',
      by: 'name',
    });
    expect(findMatch(contact({ companyName: 'Northwind Traders Ltd.' }), candidates)).toEqual({
      kind: 'matched',
      id: '7',
      by: 'name',
    });
  });

  it('reports two candidates with the same email as ambiguous, without guessing by name', () => {
    expect(
      findMatch(contact({ email: 'billing@twins.example', displayName: 'Twin One' }), candidates),
    ).toEqual({
      kind: 'ambiguous',
      by: 'email',
      ids: ['3', '4'],
    });
  });

  it('reports two candidates with the same name key as ambiguous', () => {
    expect(findMatch(contact({ displayName: 'Smith and Sons' }), candidates)).toEqual({
      kind: 'ambiguous',
      by: 'name',
      ids: ['5', '6'],
    });
  });

  it('finds nothing for unknown or empty contacts', () => {
    expect(findMatch(contact({ email: 'nobody@x.example', displayName: 'Nobody' }), candidates)).toEqual({
      kind: 'none',
    });
    expect(findMatch(contact({}), candidates)).toEqual({ kind: 'none' });
    expect(findMatch(contact({ displayName: 'Ann Lee' }), [])).toEqual({ kind: 'none' });
  });

  it('does not count one candidate twice when both its names match', () => {
    expect(
      findMatch(contact({ displayName: 'Acme' }), [
        candidate('9', { displayName: 'Acme', companyName: 'Acme Inc' }),
      ]),
    ).toEqual({
      kind: 'matched',
      id: '9',
      by: 'name',
    });
  });

  it('gives the same answers through a reusable matcher', () => {
    const match = createMatcher(candidates);
    expect(match(contact({ email: 'ann@acme.example' }))).toEqual(
      findMatch(contact({ email: 'ann@acme.example' }), candidates),
    );
    expect(match(contact({ displayName: 'smith & sons' })).kind).toBe('ambiguous');
  });
});
