import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, configVariables, loadConfig } from '../../src/config';
import { loadStackConfig, stackConfigVariables } from '../../src/stack/config';
import { tools } from '../../src/stack/tools';

describe('configuration from the environment', () => {
  it('has safe local defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3000,
      MONGODB_URI: 'mongodb://127.0.0.1:27017/qbo-sync',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'qbo-sync',
    });
  });

  it('coerces numbers from strings', () => {
    expect(loadConfig({ PORT: '8080', DEPENDENCY_TIMEOUT_MS: '250' })).toMatchObject({
      PORT: 8080,
      DEPENDENCY_TIMEOUT_MS: 250,
    });
  });

  it('names every bad variable and the problem', () => {
    expect(() => loadConfig({ PORT: 'eighty', MONGODB_URI: 'postgres://x' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', MONGODB_URI: 'postgres://x' });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT: .*number/i);
      expect((error as Error).message).toMatch(
        /MONGODB_URI: must be a mongodb:\/\/ or mongodb\+srv:\/\/ URI/,
      );
    }
  });

  it('resolves the launcher data folder against the working directory', () => {
    expect(loadStackConfig({}, '/srv/qbo').dataDir).toBe('/srv/qbo/.data');
    expect(loadStackConfig({ QBO_SYNC_DATA_DIR: '/var/lib/qbo' }, '/srv/qbo').dataDir).toBe('/var/lib/qbo');
    expect(() => loadStackConfig({ TEMPORAL_UI_PORT: '70000' })).toThrow(/TEMPORAL_UI_PORT/);
  });

  it('documents every variable in the README configuration table', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const toolVariables = Object.values(tools).map((spec) => spec.pathVariable);
    const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((match) => match[1]));
    for (const variable of [
      ...configVariables,
      ...stackConfigVariables,
      ...toolVariables,
      'QBO_SYNC_TOOLS_DIR',
    ]) {
      expect({ variable, documented: documented.has(variable) }).toEqual({ variable, documented: true });
    }
  });
});

describe('production configuration', () => {
  it('refuses the public development secrets in production, naming each', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TOKEN_ENCRYPTION_KEYS: must be set in production[\s\S]*OAUTH_STATE_SECRET[\s\S]*EMBED_TOKEN_SECRET[\s\S]*QBO_CLIENT_SECRET[\s\S]*QBO_WEBHOOK_VERIFIER_TOKEN/,
    );
    const keys = `v1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(
      loadConfig({
        NODE_ENV: 'production',
        TOKEN_ENCRYPTION_KEYS: keys,
        OAUTH_STATE_SECRET: 'a-real-secret-of-enough-length',
        EMBED_TOKEN_SECRET: 'another-real-secret-of-length',
        QBO_CLIENT_SECRET: 'real',
        QBO_WEBHOOK_VERIFIER_TOKEN: 'real',
      }).NODE_ENV,
    ).toBe('production');
  });
});

describe('QBO endpoints', () => {
  it('points at the emulator by default and at Intuit when told', async () => {
    const { qboAccessSettings } = await import('../../src/activities/qbo-access');
    expect(qboAccessSettings(loadConfig({})).oauth.endpoints.token).toBe(
      'http://127.0.0.1:4010/oauth2/v1/tokens/bearer',
    );
    expect(qboAccessSettings(loadConfig({ QBO_OAUTH_BASE_URL: 'intuit' })).oauth.endpoints.token).toBe(
      'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    );
    expect(() => loadConfig({ QBO_OAUTH_BASE_URL: 'not a url' })).toThrow(/QBO_OAUTH_BASE_URL/);
  });
});
