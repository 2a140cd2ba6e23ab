import {
  billingProfile,
  customerToFields,
  disambiguateDisplayName,
  displayNameFor,
  fieldsToCustomerPatch,
  qboFieldOf,
  validateForQbo,
  type CustomerPatch,
  type QboCustomer,
} from '../../../src/sync/customer-mapping';
import { syncFieldNames, toSyncFields, type SyncFields } from '../../../src/sync/fields';

/** The Customer create response from Intuit's reference (facts §8.1), plus a mobile, fax, website and ShipAddr. */
function kingsGroceries(): QboCustomer {
  return {
    PrimaryEmailAddr: { Address: 'jdrew@myemail.com' },
    DisplayName: "King's Groceries",
    CurrencyRef: { name: 'United States Dollar', value: 'USD' },
    PreferredDeliveryMethod: 'Print',
    GivenName: 'James',
    Title: 'Mr',
    PrimaryPhone: { FreeFormNumber: '(555) 555-5555' },
    Mobile: { FreeFormNumber: '(555) 555-0001' },
    Fax: { FreeFormNumber: '(555) 555-0002' },
    WebAddr: { URI: 'https://kings.example' },
    BillAddr: {
      City: 'Mountain View',
      Country: 'USA',
      Line1: '123 Main Street',
      PostalCode: '94042',
      CountrySubDivisionCode: 'CA',
      Id: '112',
    },
    ShipAddr: { Line1: 'Dock 4', Line3: 'Gate B', City: 'Palo Alto', Id: '113', Lat: '37.4', Long: '-122.1' },
    MiddleName: 'B',
    Notes: 'Here are other details.',
    Active: true,
    Balance: 0,
    BalanceWithJobs: 0,
    SyncToken: '0',
    Suffix: 'Jr',
    CompanyName: 'King Groceries',
    FamilyName: 'King',
    Id: '67',
  };
}

/** What QBO does with a sparse update: given elements replace the current ones, '' clears, the rest is kept. */
function applySparse(current: QboCustomer, patch: CustomerPatch): QboCustomer {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'Id' || key === 'SyncToken' || key === 'sparse') continue;
    if (value === '') delete next[key];
    else if (typeof value === 'object' && value !== null) {
      const kept = Object.fromEntries(
        Object.entries(value as Record<string, string>).filter(([, v]) => v !== ''),
      );
      if (Object.keys(kept).some((k) => k !== 'Id')) next[key] = kept;
      else delete next[key];
    } else next[key] = value;
  }
  return next;
}

describe('customerToFields', () => {
  it('maps every synced element of a QBO customer', () => {
    expect(customerToFields(kingsGroceries())).toEqual({
      givenName: 'James',
      middleName: 'B',
      familyName: 'King',
      title: 'Mr',
      suffix: 'Jr',
      companyName: 'King Groceries',
      displayName: "King's Groceries",
      email: 'jdrew@myemail.com',
      phone: '(555) 555-5555',
      mobile: '(555) 555-0001',
      fax: '(555) 555-0002',
      website: 'https://kings.example',
      notes: 'Here are other details.',
      'billingAddress.line1': '123 Main Street',
      'billingAddress.line2': null,
      'billingAddress.city': 'Mountain View',
      'billingAddress.region': 'CA',
      'billingAddress.postalCode': '94042',
      'billingAddress.country': 'USA',
      'shippingAddress.line1': 'Dock 4',
      'shippingAddress.line2': null,
      'shippingAddress.city': 'Palo Alto',
      'shippingAddress.region': null,
      'shippingAddress.postalCode': null,
      'shippingAddress.country': null,
    });
  });

  it('gives null for missing, empty and mistyped elements', () => {
    const fields = customerToFields({
      DisplayName: 'X',
      GivenName: '  ',
      PrimaryEmailAddr: {},
      WebAddr: { URI: 42 as unknown as string },
    });
    expect(fields.displayName).toBe('X');
    expect(fields.givenName).toBeNull();
    expect(fields.email).toBeNull();
    expect(fields.website).toBeNull();
    expect(fields['billingAddress.city']).toBeNull();
  });

  it('names the QBO element of each field', () => {
    expect(qboFieldOf('email')).toBe('PrimaryEmailAddr.Address');
    expect(qboFieldOf('mobile')).toBe('Mobile.FreeFormNumber');
    expect(qboFieldOf('billingAddress.region')).toBe('BillAddr.CountrySubDivisionCode');
    expect(qboFieldOf('shippingAddress.postalCode')).toBe('ShipAddr.PostalCode');
    expect(qboFieldOf('title')).toBe('Title');
  });
});

describe('fieldsToCustomerPatch (sparse update bodies)', () => {
  it('sends only the changed elements, with Id, SyncToken and sparse', () => {
    expect(fieldsToCustomerPatch({ middleName: 'Mark' }, kingsGroceries())).toEqual({
      Id: '67',
      SyncToken: '0',
      sparse: true,
      MiddleName: 'Mark',
    });
  });

  it('wraps emails, phones and websites in their QBO objects', () => {
    expect(
      fieldsToCustomerPatch(
        { email: 'a@b.co', phone: '1', mobile: '2', fax: '3', website: 'https://x.example' },
        kingsGroceries(),
      ),
    ).toMatchObject({
      PrimaryEmailAddr: { Address: 'a@b.co' },
      PrimaryPhone: { FreeFormNumber: '1' },
      Mobile: { FreeFormNumber: '2' },
      Fax: { FreeFormNumber: '3' },
      WebAddr: { URI: 'https://x.example' },
    });
  });

  it('clears with empty values, as QBO accepts them', () => {
    const patch = fieldsToCustomerPatch(
      { email: null, notes: null, givenName: '  ', fax: null },
      kingsGroceries(),
    );
    expect(patch).toEqual({
      Id: '67',
      SyncToken: '0',
      sparse: true,
      PrimaryEmailAddr: { Address: '' },
      Notes: '',
      GivenName: '',
      Fax: { FreeFormNumber: '' },
    });
  });

  it('never clears DisplayName', () => {
    const patch = fieldsToCustomerPatch({ displayName: null, notes: 'n' }, kingsGroceries());
    expect(patch).not.toHaveProperty('DisplayName');
    expect(patch.Notes).toBe('n');
    expect(fieldsToCustomerPatch({ displayName: ' New Name ' }).DisplayName).toBe('New Name');
  });

  it('sends a changed address whole: current parts, the change and the current address Id', () => {
    const patch = fieldsToCustomerPatch({ 'billingAddress.city': 'Sunnyvale' }, kingsGroceries());
    expect(patch).toEqual({
      Id: '67',
      SyncToken: '0',
      sparse: true,
      BillAddr: {
        Id: '112',
        Line1: '123 Main Street',
        City: 'Sunnyvale',
        CountrySubDivisionCode: 'CA',
        PostalCode: '94042',
        Country: 'USA',
      },
    });
  });

  it('keeps unsynced address lines, drops the stale geocode, and clears a part with an empty value', () => {
    const patch = fieldsToCustomerPatch(
      { 'shippingAddress.city': null, 'shippingAddress.postalCode': '94301' },
      kingsGroceries(),
    );
    expect(patch.ShipAddr).toEqual({
      Id: '113',
      Line1: 'Dock 4',
      Line3: 'Gate B',
      City: '',
      PostalCode: '94301',
    });
    expect(patch).not.toHaveProperty('BillAddr');
  });

  it('without a current record gives a create body (no Id, no sparse)', () => {
    expect(fieldsToCustomerPatch({ givenName: 'Ann', 'billingAddress.city': 'Oslo' })).toEqual({
      GivenName: 'Ann',
      BillAddr: { City: 'Oslo' },
    });
  });

  it('round-trips: reading back the patched customer gives the old fields with the changes applied', () => {
    const changes: Partial<SyncFields>[] = [
      { middleName: 'Mark' },
      { email: null, notes: null },
      { 'billingAddress.city': 'Sunnyvale', 'billingAddress.line2': 'Suite 5' },
      { 'shippingAddress.line1': null, 'shippingAddress.city': null },
      { phone: '+47 22 00 00 00', website: null, title: 'Dr', displayName: 'King Groceries (Drew)' },
      Object.fromEntries(syncFieldNames.map((name) => [name, null])),
    ];
    for (const changed of changes) {
      const before = kingsGroceries();
      const after = applySparse(before, fieldsToCustomerPatch(changed, before));
      const expected = { ...customerToFields(before), ...changed };
      // DisplayName cannot be cleared, so a null there leaves QBO's name in place.
      if (changed.displayName === null) expected.displayName = before.DisplayName ?? null;
      expect(customerToFields(after)).toEqual(expected);
    }
  });

  it('keeps the address Id through the round trip, so QBO updates the same address', () => {
    const before = kingsGroceries();
    const after = applySparse(
      before,
      fieldsToCustomerPatch({ 'billingAddress.postalCode': '94043' }, before),
    );
    expect(after.BillAddr?.Id).toBe('112');
  });
});

describe('validateForQbo', () => {
  const long = (n: number): string => 'x'.repeat(n);
  const cases: [Partial<SyncFields>, string, string][] = [
    [{ displayName: long(501) }, 'displayName', 'DisplayName must be at most 500 characters (it has 501)'],
    [{ displayName: 'Acme: East' }, 'displayName', 'DisplayName must not contain a colon, tab or line break'],
    [{ displayName: 'Acme\tEast' }, 'displayName', 'DisplayName must not contain a colon, tab or line break'],
    [{ givenName: 'Ann\nMarie' }, 'givenName', 'GivenName must not contain a colon, tab or line break'],
    [{ givenName: long(101) }, 'givenName', 'GivenName must be at most 100 characters (it has 101)'],
    [{ familyName: long(101) }, 'familyName', 'FamilyName must be at most 100 characters (it has 101)'],
    [{ title: long(17) }, 'title', 'Title must be at most 16 characters (it has 17)'],
    [{ suffix: long(17) }, 'suffix', 'Suffix must be at most 16 characters (it has 17)'],
    [{ companyName: long(101) }, 'companyName', 'CompanyName must be at most 100 characters (it has 101)'],
    [{ notes: long(2001) }, 'notes', 'Notes must be at most 2000 characters (it has 2001)'],
    [{ phone: long(31) }, 'phone', 'PrimaryPhone.FreeFormNumber must be at most 30 characters (it has 31)'],
    [{ fax: long(31) }, 'fax', 'Fax.FreeFormNumber must be at most 30 characters (it has 31)'],
    [
      { email: 'ann.example.com' },
      'email',
      'PrimaryEmailAddr.Address must contain an @ and a dot, as QuickBooks requires',
    ],
    [
      { email: 'ann@localhost' },
      'email',
      'PrimaryEmailAddr.Address must contain an @ and a dot, as QuickBooks requires',
    ],
    [{ website: long(1001) }, 'website', 'WebAddr.URI must be at most 1000 characters (it has 1001)'],
    [
      { 'billingAddress.postalCode': long(31) },
      'billingAddress.postalCode',
      'BillAddr.PostalCode must be at most 30 characters (it has 31)',
    ],
    [
      { displayName: null },
      'displayName',
      'DisplayName cannot be cleared in QuickBooks; give the customer a display name',
    ],
  ];
  it.each(cases)('%j → %s: %s', (fields, field, problem) => {
    expect(validateForQbo(fields)).toContainEqual({ field, qboField: expect.any(String), problem });
  });

  it('accepts values at the limits, trimmed values, and cleared optional fields', () => {
    expect(
      validateForQbo({
        displayName: long(500),
        givenName: ` ${long(100)} `,
        title: long(16),
        notes: long(2000),
        phone: long(30),
        email: 'a@b.co',
        website: null,
        'shippingAddress.line1': null,
      }),
    ).toEqual([]);
  });

  it('names the QBO element next to the field', () => {
    expect(validateForQbo({ 'shippingAddress.city': long(256) })).toEqual([
      {
        field: 'shippingAddress.city',
        qboField: 'ShipAddr.City',
        problem: 'ShipAddr.City must be at most 255 characters (it has 256)',
      },
    ]);
  });

  it('on create needs some name (QBO 6080) but allows no DisplayName when one can be made', () => {
    expect(validateForQbo({ email: 'a@b.co' }, { creating: true })).toEqual([
      expect.objectContaining({ field: 'displayName', qboField: 'DisplayName' }),
    ]);
    expect(validateForQbo({ displayName: null, familyName: 'King' }, { creating: true })).toEqual([]);
    expect(validateForQbo({ companyName: 'Acme' }, { creating: true })).toEqual([]);
  });

  it('reports every problem, not just the first', () => {
    expect(validateForQbo({ email: 'nope', title: long(20), notes: 'ok' }).map((p) => p.field)).toEqual([
      'title',
      'email',
    ]);
  });
});

describe('display names', () => {
  it('uses the given DisplayName first', () => {
    expect(displayNameFor(toSyncFields({ displayName: ' Acme ', givenName: 'Ann' }))).toBe('Acme');
  });

  it("follows QBO's rule: Title GivenName MiddleName FamilyName Suffix", () => {
    expect(
      displayNameFor({ title: 'Mr', givenName: 'James', middleName: 'B', familyName: 'King', suffix: 'Jr' }),
    ).toBe('Mr James B King Jr');
    expect(displayNameFor({ givenName: 'Ann', familyName: 'Lee', companyName: 'Acme' })).toBe('Ann Lee');
  });

  it('falls back to the company name, then to nothing', () => {
    expect(displayNameFor({ companyName: 'Acme Ltd', givenName: ' ' })).toBe('Acme Ltd');
    expect(displayNameFor(toSyncFields({}))).toBeNull();
  });

  it('disambiguates a genuinely different person by email, then CRM id, then gives up', () => {
    const who = { email: 'ann@acme.example', crmId: 'c-42' };
    expect(disambiguateDisplayName('Ann Lee', 0, who)).toBe('Ann Lee');
    expect(disambiguateDisplayName('Ann Lee', 1, who)).toBe('Ann Lee (ann@acme.example)');
    expect(disambiguateDisplayName('Ann Lee', 2, who)).toBe('Ann Lee (c-42)');
    expect(disambiguateDisplayName('Ann Lee', 3, who)).toBeNull();
    expect(disambiguateDisplayName('Ann Lee', 1, { email: null, crmId: 'c-42' })).toBe('Ann Lee (c-42)');
    expect(disambiguateDisplayName('Ann Lee', 2, { crmId: 'c-42' })).toBeNull();
  });

  it('is deterministic and never produces the "(2)" style', () => {
    const who = { email: 'a@b.co', crmId: '7' };
    expect(disambiguateDisplayName('Acme Ltd', 1, who)).toBe(disambiguateDisplayName('Acme Ltd', 1, who));
    expect(disambiguateDisplayName('Acme Ltd', 2, { crmId: '2' })).toBeNull();
    expect(disambiguateDisplayName('Acme Ltd', 1, { crmId: 'crm-2' })).toBe('Acme Ltd (crm-2)');
  });

  it('stays within 500 characters by shortening the name, and keeps out colons', () => {
    const name = disambiguateDisplayName('N'.repeat(500), 1, { email: 'x@y.example', crmId: '1' });
    expect(name).toHaveLength(500);
    expect(name?.endsWith(' (x@y.example)')).toBe(true);
    expect(disambiguateDisplayName('Ann', 1, { crmId: 'urn:crm:9' })).toBe('Ann (urn crm 9)');
    expect(validateForQbo({ displayName: name })).toEqual([]);
  });
});

describe('billingProfile', () => {
  it('reads terms, payment method, delivery, currency, balances, parent and the customer link', () => {
    const profile = billingProfile(
      {
        ...kingsGroceries(),
        SalesTermRef: { value: '3', name: 'Net 30' },
        PaymentMethodRef: { value: '7', name: 'Diners Club' },
        PreferredDeliveryMethod: 'Email',
        CurrencyRef: { value: 'EUR', name: 'Euro' },
        Balance: 85,
        BalanceWithJobs: 120.5,
        Job: true,
        ParentRef: { value: '5', name: 'King Holdings' },
      },
      { environment: 'sandbox' },
    );
    expect(profile).toEqual({
      terms: { id: '3', name: 'Net 30' },
      paymentMethod: { id: '7', name: 'Diners Club' },
      deliveryPreference: 'Email',
      currency: { code: 'EUR', name: 'Euro' },
      balance: 85,
      balanceWithJobs: 120.5,
      active: true,
      parent: { id: '5', name: 'King Holdings' },
      qboLink: 'https://sandbox.qbo.intuit.com/app/customerdetail?nameId=67',
    });
  });

  it('defaults what QBO leaves out: home currency, balances, active', () => {
    const profile = billingProfile(
      {
        Id: '9',
        DisplayName: 'Bare',
        SalesTermRef: { value: '2' },
        Active: false,
        PreferredDeliveryMethod: 'Fax',
      },
      { environment: 'production', homeCurrency: 'usd' },
    );
    expect(profile).toEqual({
      terms: { id: '2', name: null },
      currency: { code: 'USD', name: null },
      balance: 0,
      balanceWithJobs: 0,
      active: false,
      qboLink: 'https://qbo.intuit.com/app/customerdetail?nameId=9',
    });
  });
});
