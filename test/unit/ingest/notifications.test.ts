import { createHmac } from 'node:crypto';
import { parseNotifications } from '../../../src/ingest/notifications';
import { verifyIntuitSignature } from '../../../src/ingest/signature';

const sign = (body: string, token: string): string =>
  createHmac('sha256', token).update(body).digest('base64');

describe('Intuit webhook signature', () => {
  const body = '{"eventNotifications":[]}';
  const token = 'verifier';

  it('accepts the HMAC of the exact bytes, and nothing else', () => {
    expect(verifyIntuitSignature(Buffer.from(body), sign(body, token), token)).toBe(true);
    expect(verifyIntuitSignature(Buffer.from(body.replace('[]', '[ ]')), sign(body, token), token)).toBe(
      false,
    );
    expect(verifyIntuitSignature(Buffer.from(body), sign(body, 'another app'), token)).toBe(false);
    expect(verifyIntuitSignature(Buffer.from(body), undefined, token)).toBe(false);
    expect(verifyIntuitSignature(Buffer.from(body), '', token)).toBe(false);
    expect(verifyIntuitSignature(Buffer.from(body), 'c2hvcnQ=', token)).toBe(false);
    expect(verifyIntuitSignature(Buffer.from(body), '%%%not base64%%%', token)).toBe(false);
  });
});

describe('Intuit webhook payloads', () => {
  it('reads the legacy format, with either timestamp form, and deletedId on merges', () => {
    const { events, unreadable } = parseNotifications({
      eventNotifications: [
        {
          realmId: '1185883450',
          dataChangeEvent: {
            entities: [
              { name: 'Customer', id: '1', operation: 'Create', lastUpdated: '2015-10-05T14:42:19-0700' },
              {
                name: 'Customer',
                id: '2',
                operation: 'Merge',
                lastUpdated: '2025-09-08T20:52:31.657Z',
                deletedId: '27',
              },
            ],
          },
        },
      ],
    });
    expect(unreadable).toEqual([]);
    expect(events).toEqual([
      {
        eventId: expect.any(String),
        realmId: '1185883450',
        entity: 'Customer',
        entityId: '1',
        operation: 'Create',
        occurredAt: '2015-10-05T21:42:19.000Z',
      },
      {
        eventId: expect.any(String),
        realmId: '1185883450',
        entity: 'Customer',
        entityId: '2',
        operation: 'Merge',
        occurredAt: '2025-09-08T20:52:31.657Z',
        deletedId: '27',
      },
    ]);
    expect(events[0]!.eventId).not.toBe(events[1]!.eventId);
  });

  it('gives a redelivered legacy event the same id', () => {
    const delivery = {
      eventNotifications: [
        {
          realmId: 'r',
          dataChangeEvent: {
            entities: [
              { name: 'Invoice', id: '9', operation: 'Update', lastUpdated: '2026-01-01T00:00:00Z' },
            ],
          },
        },
      ],
    };
    expect(parseNotifications(delivery).events[0]!.eventId).toBe(
      parseNotifications(structuredClone(delivery)).events[0]!.eventId,
    );
  });

  it('reads CloudEvents, several realms in one delivery, and merges', () => {
    const { events } = parseNotifications([
      {
        specversion: '1.0',
        id: 'e1',
        source: 'intuit.x',
        type: 'qbo.salesreceipt.updated.v1',
        time: '2025-09-10T21:31:25.179851517Z',
        intuitentityid: '1234',
        intuitaccountid: '310687',
      },
      {
        specversion: '1.0',
        id: 'e2',
        source: 'intuit.x',
        type: 'qbo.customer.merged.v1',
        time: '2025-12-04T15:25:05Z',
        intuitentityid: '123',
        intuitaccountid: '934145',
        data: { deletedid: '27' },
      },
    ]);
    expect(events).toEqual([
      {
        eventId: 'e1',
        realmId: '310687',
        entity: 'SalesReceipt',
        entityId: '1234',
        operation: 'Update',
        occurredAt: '2025-09-10T21:31:25.179Z',
      },
      {
        eventId: 'e2',
        realmId: '934145',
        entity: 'Customer',
        entityId: '123',
        operation: 'Merge',
        occurredAt: '2025-12-04T15:25:05.000Z',
        deletedId: '27',
      },
    ]);
  });

  it('sets aside what it cannot read instead of failing the delivery', () => {
    const result = parseNotifications([
      {
        specversion: '1.0',
        id: 'ok',
        type: 'qbo.invoice.created.v1',
        time: '2026-01-01T00:00:00Z',
        intuitentityid: '1',
        intuitaccountid: 'r',
      },
      {
        specversion: '1.0',
        id: 'odd',
        type: 'qbo.invoice.teleported.v1',
        time: '2026-01-01T00:00:00Z',
        intuitentityid: '1',
        intuitaccountid: 'r',
      },
      { nonsense: true },
    ]);
    expect(result.events.map((event) => event.eventId)).toEqual(['ok']);
    expect(result.unreadable).toHaveLength(2);
    expect(parseNotifications('plain text').unreadable).toHaveLength(1);
  });
});
