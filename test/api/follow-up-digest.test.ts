import { recordOptOut } from '../../src/followups/unsubscribe';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

/**
 * The follow-up API around digests over real HTTP: the policy's `email.delivery`, the live preview of the digest
 * email, and the account's list and removal of a connection's email opt-outs.
 */
describe('digest policy, preview and email opt-outs over the API', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };

  beforeAll(async () => {
    harness = await startApiHarness({ startAt: new Date('2026-03-10T18:00:00Z') });
    connection = await harness.connect(harness.account, { company: { companyName: 'Digest Supplies' } });
  });
  afterAll(() => harness?.close());

  it('stores the delivery option and refuses an unknown one, naming the field', async () => {
    const stored = await harness.request('PUT', `/v1/connections/${connection.id}/follow-up-policy`, {
      body: { email: { delivery: 'digest' } },
    });
    expect(stored.status).toBe(200);
    expect(stored.json.email.delivery).toBe('digest');
    const unset = await harness.request('PUT', `/v1/connections/${connection.id}/follow-up-policy`, {
      body: {},
    });
    expect(unset.json.email.delivery).toBe('per_document');

    const refused = await harness.request('PUT', `/v1/connections/${connection.id}/follow-up-policy`, {
      body: { email: { delivery: 'weekly' } },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('email.delivery');
  });

  it('previews one digest email in place of the per-step overdue reminders', async () => {
    const preview = (delivery: string) =>
      harness.request('POST', `/v1/connections/${connection.id}/follow-up-policy/preview`, {
        body: {
          overdue: { cadenceDays: [1, 7, 14, 30] },
          email: { delivery, linkTemplate: 'https://pay.example.com/{realmId}/{id}' },
        },
      });
    const perDocument = await preview('per_document');
    expect(perDocument.status).toBe(200);
    const stages = (body: { emails: { stage: string }[] }) => body.emails.map((email) => email.stage);
    expect(stages(perDocument.json)).toEqual([
      'overdue-1',
      'overdue-7',
      'overdue-14',
      'overdue-30',
      'estimate-expiring',
      'estimate-accepted',
      'payment-received',
    ]);

    const digest = await preview('digest');
    expect(digest.status).toBe(200);
    expect(stages(digest.json)).toEqual([
      'overdue-digest',
      'estimate-expiring',
      'estimate-accepted',
      'payment-received',
    ]);
    const [email] = digest.json.emails as { kind: string; subject: string; text: string }[];
    expect(email).toMatchObject({ kind: 'invoice_overdue', subject: 'Payment reminder: 3 overdue invoices' });
    const text = email!.text.replace(/\r\n/g, '\n');
    for (const [number, days] of [
      ['1001', 30],
      ['1004', 14],
      ['1007', 7],
    ] as const) {
      expect(text).toContain(`- Invoice ${number}, due `);
      expect(text).toContain(`(${days} days overdue)`);
      expect(text).toContain(
        `Pay or view invoice ${number}: https://pay.example.com/${connection.realmId}/${number}`,
      );
    }
    expect(text).toContain('Total due: $2,250.00.');
  });

  it('lists a connection’s opt-outs a page at a time, and removes one', async () => {
    const db = harness.db.mongoose.connection;
    const claims = (qboCustomerId: string) => ({
      accountId: harness.account.id,
      connectionId: connection.id,
      qboCustomerId,
      email: `customer-${qboCustomerId}@example.com`,
    });
    await recordOptOut(db, claims('41'), new Date('2026-03-01T10:00:00Z'));
    await recordOptOut(db, claims('42'), new Date('2026-03-02T10:00:00Z'));
    const base = `/v1/connections/${connection.id}/email-opt-outs`;

    const first = await harness.request('GET', `${base}?limit=1`);
    expect(first.status).toBe(200);
    expect(first.json.data).toEqual([
      { qboCustomerId: '41', address: 'customer-41@example.com', at: '2026-03-01T10:00:00.000Z' },
    ]);
    const second = await harness.request('GET', `${base}?limit=1&cursor=${first.json.nextCursor}`);
    expect(second.json).toEqual({
      data: [{ qboCustomerId: '42', address: 'customer-42@example.com', at: '2026-03-02T10:00:00.000Z' }],
      nextCursor: null,
    });

    const removed = await harness.request('DELETE', `${base}/41`);
    expect(removed.status).toBe(204);
    const again = await harness.request('DELETE', `${base}/41`);
    expect(again.status).toBe(404);
    expect(again.json.detail).toContain('41');
    const left = await harness.request('GET', base);
    expect(left.json.data.map((optOut: { qboCustomerId: string }) => optOut.qboCustomerId)).toEqual(['42']);

    // Another account sees neither the list nor the removal.
    const other = await harness.newAccount('Other account');
    expect((await harness.request('GET', base, { key: other.key })).status).toBe(404);
    expect((await harness.request('DELETE', `${base}/42`, { key: other.key })).status).toBe(404);
    expect((await harness.request('GET', base)).json.data).toHaveLength(1);
  });
});
