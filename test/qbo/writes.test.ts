import { QboApiError, requestIdFor, type Invoice, type Payment } from '../../src/qbo';
import { salesLine, startTestEmulator, type TestEmulator } from '../support/emulator';
import { lastRequests, newRealm, setFaults, type TestRealm } from './support';

describe('QboClient writes against the emulator', () => {
  let emulator: TestEmulator;
  let realm: TestRealm;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    realm = await newRealm(emulator);
  });
  afterAll(() => emulator.close());

  it('creates, reads back, and updates sparsely: fields not sent are kept', async () => {
    const { client, realmId } = realm;
    const created = await client.create(
      'Customer',
      {
        DisplayName: 'Sparse Things Ltd',
        PrimaryEmailAddr: { Address: 'ap@sparse.example' },
        BillAddr: { Line1: '1 Main St', City: 'Springfield' },
      },
      requestIdFor('conn-1', 'Customer', 'crm-1', 'create', 'v1'),
    );
    expect(created).toMatchObject({ DisplayName: 'Sparse Things Ltd', SyncToken: '0', Active: true });
    expect(created.Id).toMatch(/^\d+$/);
    // Unknown fields are kept (loose schemas), with their types.
    expect(created.domain).toBe('QBO');
    expect(created.FullyQualifiedName).toBe('Sparse Things Ltd');

    const read = await client.read('Customer', created.Id);
    expect(read).toEqual(created);

    const updated = await client.update(
      'Customer',
      { Id: read.Id, SyncToken: read.SyncToken, Notes: 'prefers email' },
      requestIdFor('conn-1', 'Customer', 'crm-1', 'update', read.SyncToken),
    );
    expect(updated.SyncToken).toBe('1');
    expect(updated.Notes).toBe('prefers email');
    expect(updated.PrimaryEmailAddr?.Address).toBe('ap@sparse.example');
    expect(updated.BillAddr?.City).toBe('Springfield');

    const [update] = await lastRequests(emulator, realmId, 1);
    expect(update).toMatchObject({ method: 'POST', path: '/customer', status: 200 });
    expect(update!.body).toEqual({ Id: read.Id, SyncToken: '0', Notes: 'prefers email', sparse: true });
    expect(update!.query.requestid).toHaveLength(36);
  });

  it('reports an old SyncToken as a non-retryable stale-object (5010)', async () => {
    const { client } = realm;
    const customer = await client.create(
      'Customer',
      { DisplayName: 'Stale Co' },
      requestIdFor('stale', 'create'),
    );
    await client.update(
      'Customer',
      { Id: customer.Id, SyncToken: '0', Notes: 'first' },
      requestIdFor('stale', '0'),
    );
    const error = await client
      .update('Customer', { Id: customer.Id, SyncToken: '0', Notes: 'second' }, requestIdFor('stale', '0b'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QboApiError);
    expect(error).toMatchObject({
      kind: 'stale-object',
      status: 400,
      code: '5010',
      faultType: 'ValidationFault',
      retryable: false,
    });
    expect((error as QboApiError).intuitTid).toMatch(/^emu-/);
  });

  it('reports a taken DisplayName as duplicate-name (6240)', async () => {
    const { client } = realm;
    await client.create('Customer', { DisplayName: 'Twin Peaks' }, requestIdFor('twin', '1'));
    const error = await client
      .create('Customer', { DisplayName: ' twin peaks ' }, requestIdFor('twin', '2'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'duplicate-name', code: '6240', status: 400, retryable: false });
    expect((error as QboApiError).detail).toContain('The name supplied already exists');
  });

  it('reports an unknown Id as not-found (610) and a bad reference as invalid-reference (2500)', async () => {
    const { client } = realm;
    await expect(client.read('Customer', '999999')).rejects.toMatchObject({ kind: 'not-found', code: '610' });
    await expect(
      client.create(
        'Invoice',
        { CustomerRef: { value: '999999' }, Line: [salesLine(10)] },
        requestIdFor('bad-ref'),
      ),
    ).rejects.toMatchObject({ kind: 'invalid-reference', code: '2500', element: 'CustomerRef' });
  });

  it('a create whose response is lost fails as network, and its retry returns the original: one customer', async () => {
    const { client, realmId } = realm;
    const requestId = requestIdFor('conn-1', 'Customer', 'crm-lost', 'create', 'v1');
    await setFaults(emulator, realmId, { dropResponsesAfterCommit: 1 });
    const lost = await client
      .create('Customer', { DisplayName: 'Lost Response Ltd' }, requestId)
      .catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(QboApiError);
    expect(lost).toMatchObject({ kind: 'network', status: 0, retryable: true });

    const retried = await client.create('Customer', { DisplayName: 'Lost Response Ltd' }, requestId);
    const again = await client.create('Customer', { DisplayName: 'Lost Response Ltd' }, requestId);
    expect(again).toEqual(retried);
    const count = await client.query("select count(*) from Customer where DisplayName = 'Lost Response Ltd'");
    expect(count.totalCount).toBe(1);
    expect(count.rows).toEqual([]);
    const found = await client.read('Customer', retried.Id);
    expect(found.DisplayName).toBe('Lost Response Ltd');
    // A different requestid is a different write: QBO refuses the name now.
    await expect(
      client.create('Customer', { DisplayName: 'Lost Response Ltd' }, requestIdFor('another')),
    ).rejects.toMatchObject({ kind: 'duplicate-name' });
  });

  it('voids an invoice and a payment; the payment through include=void', async () => {
    const { client, realmId } = realm;
    const customer = await client.create(
      'Customer',
      { DisplayName: 'Void Ventures' },
      requestIdFor('void-c'),
    );
    const invoice: Invoice = await client.create(
      'Invoice',
      { CustomerRef: { value: customer.Id }, Line: [salesLine(100)] },
      requestIdFor('void-i'),
    );
    const payment: Payment = await client.create(
      'Payment',
      {
        CustomerRef: { value: customer.Id },
        TotalAmt: 40,
        Line: [{ Amount: 40, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      },
      requestIdFor('void-p'),
    );
    expect((await client.read('Invoice', invoice.Id)).Balance).toBe(60);

    const voidedPayment = await client.void(
      'Payment',
      { Id: payment.Id, SyncToken: payment.SyncToken },
      requestIdFor('void-p', 'void'),
    );
    expect(voidedPayment).toMatchObject({ Id: payment.Id, TotalAmt: 0, SyncToken: '1' });
    expect(voidedPayment.PrivateNote).toContain('Voided');
    const [paymentVoid] = await lastRequests(emulator, realmId, 1);
    expect(paymentVoid).toMatchObject({
      path: '/payment',
      query: expect.objectContaining({ operation: 'update', include: 'void' }),
    });

    const reread = await client.read('Invoice', invoice.Id);
    expect(reread.Balance).toBe(100);
    const voidedInvoice = await client.void(
      'Invoice',
      { Id: reread.Id, SyncToken: reread.SyncToken },
      requestIdFor('void-i', 'void'),
    );
    expect(voidedInvoice).toMatchObject({ Id: invoice.Id, TotalAmt: 0, Balance: 0 });
    expect(voidedInvoice.PrivateNote).toContain('Voided');
    const [invoiceVoid] = await lastRequests(emulator, realmId, 1);
    expect(invoiceVoid!.query.operation).toBe('void');
    // A voided transaction is still there.
    expect((await client.read('Invoice', invoice.Id)).TotalAmt).toBe(0);
  });

  it('deletes a transaction; it is then not found', async () => {
    const { client } = realm;
    const customer = await client.create('Customer', { DisplayName: 'Delete Depot' }, requestIdFor('del-c'));
    const estimate = await client.create(
      'Estimate',
      { CustomerRef: { value: customer.Id }, Line: [salesLine(5)], ExpirationDate: '2026-04-01' },
      requestIdFor('del-e'),
    );
    expect(estimate).toMatchObject({ TxnStatus: 'Pending', ExpirationDate: '2026-04-01' });
    const deleted = await client.delete(
      'Estimate',
      { Id: estimate.Id, SyncToken: estimate.SyncToken },
      requestIdFor('del-e', 'delete'),
    );
    expect(deleted).toMatchObject({ Id: estimate.Id, status: 'Deleted' });
    await expect(client.read('Estimate', estimate.Id)).rejects.toMatchObject({ kind: 'not-found' });
  });
});
