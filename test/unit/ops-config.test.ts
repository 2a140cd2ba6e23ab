import { opsConfig } from '../../src/ops/context';

describe('the ops CLI reads the configuration the services get from npm start', () => {
  it('finds the embedded servers on their default ports', () => {
    expect(opsConfig({})).toMatchObject({
      MONGODB_URI: 'mongodb://127.0.0.1:27017/qbo-sync',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      QBO_API_BASE_URL: 'http://127.0.0.1:4010',
      QBO_REDIRECT_URI: 'http://127.0.0.1:3000/v1/oauth/quickbooks/callback',
    });
  });

  it('follows the launcher-only ports and database name, as the services do under npm start', () => {
    expect(
      opsConfig({
        MONGODB_PORT: '27999',
        MONGODB_DATABASE: 'books',
        TEMPORAL_PORT: '7300',
        QBO_EMULATOR_PORT: '4999',
        PORT: '3100',
      }),
    ).toMatchObject({
      MONGODB_URI: 'mongodb://127.0.0.1:27999/books',
      TEMPORAL_ADDRESS: '127.0.0.1:7300',
      QBO_API_BASE_URL: 'http://127.0.0.1:4999',
      QBO_OAUTH_BASE_URL: 'http://127.0.0.1:4999',
      QBO_REDIRECT_URI: 'http://127.0.0.1:3100/v1/oauth/quickbooks/callback',
    });
  });

  it('uses the servers named by address, and a QuickBooks set explicitly, as they are', () => {
    const config = opsConfig({
      MONGODB_URI: 'mongodb://db1,db2/qbo?replicaSet=rs0',
      MONGODB_PORT: '27999',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      QBO_API_BASE_URL: 'https://quickbooks.api.intuit.com',
      QBO_REDIRECT_URI: 'https://sync.example.com/v1/oauth/quickbooks/callback',
    });
    expect(config).toMatchObject({
      MONGODB_URI: 'mongodb://db1,db2/qbo?replicaSet=rs0',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      QBO_API_BASE_URL: 'https://quickbooks.api.intuit.com',
      QBO_REDIRECT_URI: 'https://sync.example.com/v1/oauth/quickbooks/callback',
    });
  });

  it('names a bad variable', () => {
    expect(() => opsConfig({ MONGODB_PORT: 'lots' })).toThrow(/MONGODB_PORT/);
  });
});
