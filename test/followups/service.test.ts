import { ZodError } from 'zod';
import { FollowUpStateError } from '../../src/followups/service';
import { salesLine } from '../support/emulator';
import { startFollowUpHarness, type FollowUpHarness } from './support';

/** The service the API routes call: listing and paging, complete and dismiss, history, all scoped by account. */
describe('follow-up service', () => {
  let harness: FollowUpHarness;
  const someoneElse = 'acct_someone_else';
  const invoiceIds: string[] = [];

  beforeAll(async () => {
    harness = await startFollowUpHarness();
    const { qbo } = harness;
    const customer = await qbo.create('Customer', {
      DisplayName: 'Paula Pager',
      PrimaryEmailAddr: { Address: 'paula@example.com' },
    });
    for (const amount of [10, 20, 30, 40]) {
      const invoice = await qbo.create('Invoice', {
        CustomerRef: { value: customer.Id },
        TxnDate: '2026-02-01',
        DueDate: '2026-03-01',
        Line: [salesLine(amount)],
      });
      invoiceIds.push(invoice.Id);
    }
    await harness.project();
    await harness.service.setPolicy(harness.accountId, harness.connectionId, { channels: { email: true } });
    // Planned at night (quiet hours), so all four are pending.
    await harness.runReminders('2026-03-02T11:00:00Z');
  });
  afterAll(() => harness?.close());

  it('pages by (createdAt, id) without repeating or skipping', async () => {
    const { service, accountId } = harness;
    const first = await service.listFollowUps(accountId, {}, { limit: 3 });
    expect(first.data).toHaveLength(3);
    expect(first.next).not.toBeNull();
    const second = await service.listFollowUps(accountId, {}, { limit: 3, after: first.next! });
    expect(second.data).toHaveLength(1);
    expect(second.next).toBeNull();
    const all = [...first.data, ...second.data];
    expect(new Set(all.map((followUp) => followUp.id)).size).toBe(4);
    expect(all.map((followUp) => followUp.qboId).sort()).toEqual([...invoiceIds].sort());
    expect(all.every((followUp) => followUp.status === 'pending' && followUp.stage === 'overdue-1')).toBe(
      true,
    );
    expect((await service.listFollowUps(accountId, { status: 'sent' }, { limit: 10 })).data).toHaveLength(0);
  });

  it('shows another account nothing', async () => {
    const { service, accountId } = harness;
    const [followUp] = (await service.listFollowUps(accountId, {}, { limit: 1 })).data;
    expect((await service.listFollowUps(someoneElse, {}, { limit: 10 })).data).toEqual([]);
    expect(await service.getFollowUp(someoneElse, followUp!.id)).toBeNull();
    expect(await service.completeFollowUp(someoneElse, followUp!.id)).toBeNull();
    expect(await service.dismissFollowUp(someoneElse, followUp!.id)).toBeNull();
    expect((await service.getFollowUp(accountId, followUp!.id))?.status).toBe('pending');
  });

  it('completes and dismisses; a closed follow-up is never delivered', async () => {
    const { service, accountId } = harness;
    const pending = (await service.listFollowUps(accountId, { status: 'pending' }, { limit: 10 })).data;
    const [done, dropped] = pending;
    const completed = await service.completeFollowUp(accountId, done!.id, { note: 'called her' });
    expect(completed).toMatchObject({ status: 'completed', note: 'called her' });
    expect(completed?.history.at(-1)).toMatchObject({ action: 'completed', detail: 'called her' });
    // Idempotent, and a completed follow-up cannot be dismissed.
    expect((await service.completeFollowUp(accountId, done!.id))?.status).toBe('completed');
    await expect(service.dismissFollowUp(accountId, done!.id)).rejects.toBeInstanceOf(FollowUpStateError);
    expect(await service.dismissFollowUp(accountId, dropped!.id, { reason: 'disputed' })).toMatchObject({
      status: 'dismissed',
      statusReason: 'disputed',
    });

    await harness.runReminders('2026-03-02T18:00:00Z');
    const delivered = await service.listFollowUps(accountId, { status: 'sent' }, { limit: 10 });
    expect(delivered.data.map((followUp) => followUp.id).sort()).toEqual(
      pending
        .slice(2)
        .map((followUp) => followUp.id)
        .sort(),
    );
    expect(harness.smtp.to('paula@example.com')).toHaveLength(2);
  });

  it('lists what was emailed to whom', async () => {
    const sends = await harness.service.listEmailSends(
      harness.accountId,
      { to: 'Paula@Example.com' },
      { limit: 10 },
    );
    expect(sends.data).toHaveLength(2);
    expect(sends.data[0]).toMatchObject({
      to: 'paula@example.com',
      status: 'sent',
      messageId: expect.any(String),
    });
    expect((await harness.service.listEmailSends(someoneElse, {}, { limit: 10 })).data).toEqual([]);
  });

  it('refuses an invalid policy, naming the field', async () => {
    await expect(
      harness.service.setPolicy(harness.accountId, harness.connectionId, { timeZone: 'Nowhere/Special' }),
    ).rejects.toBeInstanceOf(ZodError);
  });
});
