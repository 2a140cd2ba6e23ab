import { auditCustomer, auditTransaction } from '../../../src/audit/drift';
import { AuditTally } from '../../../src/audit/tally';
import { toSyncFields } from '../../../src/sync/fields';

const fields = (values: Record<string, string>) => toSyncFields(values);
const ann = { displayName: 'Ann Lee', email: 'ann@example.com', phone: '555-0100' };

describe('auditing one customer', () => {
  it('finds nothing when QBO, our copy and the contact agree, up to cosmetic differences', () => {
    const audit = auditCustomer({
      qbo: { fields: fields(ann), syncToken: 3, active: true },
      projection: { fields: fields(ann), syncToken: 3 },
      contact: { fields: fields({ ...ann, email: ' ANN@example.com ' }), settled: true, held: [] },
    });
    expect(audit).toEqual({ drift: [], fields: [], compared: true, unlinked: false });
  });

  it('finds a copy behind QBO and the contact that missed the change, field by field', () => {
    const audit = auditCustomer({
      qbo: { fields: fields({ ...ann, phone: '555-0199' }), syncToken: 4, active: true },
      projection: { fields: fields(ann), syncToken: 3 },
      contact: { fields: fields(ann), settled: true, held: [] },
    });
    expect(audit.drift).toEqual(['projection_behind', 'contact_differs']);
    expect(audit.fields).toEqual([
      { field: 'phone', qbo: '555-0199', projection: '555-0100', crm: '555-0100' },
    ]);
  });

  it('does not compare a contact with a change in flight, nor held or one-way fields', () => {
    const inFlight = auditCustomer({
      qbo: { fields: fields(ann), syncToken: 3, active: true },
      projection: { fields: fields(ann), syncToken: 3 },
      contact: { fields: fields({ ...ann, phone: '555-0111' }), settled: false, held: [] },
    });
    expect(inFlight).toMatchObject({ drift: [], compared: false });
    const policy = auditCustomer({
      qbo: { fields: fields(ann), syncToken: 3, active: true },
      projection: { fields: fields(ann), syncToken: 3 },
      contact: {
        fields: fields({ ...ann, phone: '555-0111', email: 'x@example.com' }),
        settled: true,
        held: ['phone'],
      },
      directions: { email: 'crm-to-qbo' },
    });
    expect(policy).toMatchObject({ drift: [], fields: [] });
  });

  it('flags a link to an inactive customer, a customer we never copied, and an active one nobody linked', () => {
    expect(
      auditCustomer({
        qbo: { fields: fields(ann), syncToken: 5, active: false },
        projection: { fields: fields(ann), syncToken: 5 },
        contact: { fields: fields(ann), settled: true, held: [] },
      }).drift,
    ).toEqual(['link_to_inactive']);
    expect(
      auditCustomer({
        qbo: { fields: fields(ann), syncToken: 0, active: true },
        projection: null,
        contact: null,
      }),
    ).toEqual({ drift: ['projection_behind'], fields: [], compared: false, unlinked: true });
  });
});

describe('auditing one transaction', () => {
  it('finds one our copy lacks, one it holds an older version of, and nothing when it is as new or newer', () => {
    expect(auditTransaction(0, undefined)).toBe('transaction_missing');
    expect(auditTransaction(3, 2)).toBe('transaction_behind');
    expect(auditTransaction(3, 3)).toBeNull();
    // A newer copy (our own write whose echo QBO's page predates) and a tombstone are not drift.
    expect(auditTransaction(3, 4)).toBeNull();
    expect(auditTransaction(3, Number.MAX_SAFE_INTEGER)).toBeNull();
  });
});

describe('an audit’s tally', () => {
  it('counts transaction findings by kind and keeps at most 25 samples', () => {
    const tally = new AuditTally();
    for (let index = 0; index < 30; index += 1)
      tally.addTransaction({
        kind: index % 3 === 0 ? 'transaction_deleted' : 'transaction_missing',
        entity: 'Invoice',
        qboId: String(index),
        customerQboId: null,
        healed: index !== 7,
      });
    tally.addTransaction({
      kind: 'transaction_behind',
      entity: 'Payment',
      qboId: 'p',
      customerQboId: '1',
      healed: true,
    });
    expect(tally.counts.transactions).toEqual({ read: 0, missing: 20, behind: 1, deleted: 10, healed: 30 });
    expect(tally.result().transactionSamples).toHaveLength(25);
    // Transactions do not move the customers' drift rate.
    expect(tally.result()).toMatchObject({ rate: 0, counts: { drifted: 0 } });
  });
});
