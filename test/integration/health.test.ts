import request from 'supertest';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { openDependencies } from '../../src/api/readiness';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/stack/process';
import { temporalAddress, testMongoUri } from '../support/env';

const log = pino({ level: 'silent' });

function appWith(overrides: Record<string, string>) {
  const config = loadConfig({
    MONGODB_URI: testMongoUri('health'),
    TEMPORAL_ADDRESS: temporalAddress(),
    DEPENDENCY_TIMEOUT_MS: '1500',
    ...overrides,
  });
  const dependencies = openDependencies(config);
  return { app: createApp({ readinessChecks: dependencies.checks, log }), close: () => dependencies.close() };
}

describe('health endpoints over HTTP against the real dependencies', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((entry) => entry.close()));
  });

  it('answers /healthz without touching dependencies', async () => {
    const { app, close } = appWith({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/none` });
    opened.push({ close });
    const response = await request(app).get('/healthz').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('is ready when MongoDB and Temporal both answer', async () => {
    const { app, close } = appWith({});
    opened.push({ close });
    const response = await request(app).get('/readyz').expect(200);
    expect(response.body).toMatchObject({
      status: 'ready',
      checks: { mongodb: { ok: true }, temporal: { ok: true } },
    });
  });

  it('is unavailable, naming MongoDB, when the database does not answer', async () => {
    const { app, close } = appWith({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/none` });
    opened.push({ close });
    const response = await request(app).get('/readyz').expect(503);
    expect(response.body.status).toBe('unavailable');
    expect(response.body.checks.mongodb.ok).toBe(false);
    expect(response.body.checks.mongodb.error).toEqual(expect.any(String));
    expect(response.body.checks.temporal.ok).toBe(true);
  });

  it('is unavailable, naming Temporal, when Temporal does not answer', async () => {
    const { app, close } = appWith({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    opened.push({ close });
    const response = await request(app).get('/readyz').expect(503);
    expect(response.body.checks.temporal.ok).toBe(false);
    expect(response.body.checks.mongodb.ok).toBe(true);
  });

  it('is unavailable when the namespace does not exist', async () => {
    const { app, close } = appWith({ TEMPORAL_NAMESPACE: 'no-such-namespace' });
    opened.push({ close });
    const response = await request(app).get('/readyz').expect(503);
    expect(response.body.checks.temporal.error).toMatch(/no-such-namespace/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app, close } = appWith({});
    opened.push({ close });
    const response = await request(app).get('/nope').expect(404);
    expect(response.body).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
