import express from 'express';
import request from 'supertest';
import { createEmbedRouter } from '../../../src/api/embed/router';
import { embedPanelPath, mintEmbedToken } from '../../../src/api/embed/token';

const secret = 'router-test-secret-0123456789';
const now = new Date('2026-03-02T17:00:00Z');

function appWith(db: () => Promise<never>) {
  return express().use(createEmbedRouter({ db, secret, now: () => now }));
}

describe('createEmbedRouter', () => {
  it('refuses to start with a secret too short to sign with', () => {
    expect(() =>
      createEmbedRouter({ db: () => Promise.reject(new Error('unused')), secret: 'short' }),
    ).toThrow(RangeError);
  });

  it('asks for a token before touching the database', async () => {
    const db = jest.fn(() => Promise.reject(new Error('must not be called')));
    const response = await request(appWith(db)).get('/embed/contacts/c1/quickbooks');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="embed"');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.text).toContain('<h1 id="page-title">Sign-in required</h1>');
    expect(db).not.toHaveBeenCalled();
  });

  it('answers 503 with a page, uncached, when the data cannot be read', async () => {
    const { token } = mintEmbedToken(
      { accountId: 'a1', connectionId: 'c1', crmContactId: 'crm-1', ttlSeconds: 60 },
      secret,
      now.getTime(),
    );
    const response = await request(appWith(() => Promise.reject(new Error('database down')))).get(
      embedPanelPath('crm-1', token),
    );
    expect(response.status).toBe(503);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.text).toContain('QuickBooks data unavailable');
    expect(response.text).not.toContain('database down');
  });

  it('names a filter it does not know, with a page, before touching the database', async () => {
    const db = jest.fn(() => Promise.reject(new Error('must not be called')));
    const { token } = mintEmbedToken(
      { accountId: 'a1', connectionId: 'c1', crmContactId: 'crm-1', ttlSeconds: 60 },
      secret,
      now.getTime(),
    );
    const response = await request(appWith(db)).get(`${embedPanelPath('crm-1', token)}&type=Bill&page=0`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.text).toContain('<h1 id="page-title">Invalid filter</h1>');
    expect(response.text).toContain(
      'type must be one of Invoice, Payment, Estimate, SalesReceipt, CreditMemo, RefundReceipt; page must be a whole number, 1 or more',
    );
    expect(db).not.toHaveBeenCalled();
  });
});
