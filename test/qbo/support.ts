import { QboClient, type TokenSource } from '../../src/qbo';
import type { TestEmulator } from '../support/emulator';

/** A TokenSource over the emulator's admin API: a refresh mints a new token for the realm, and is counted. */
export class AdminTokenSource implements TokenSource {
  readonly refreshes: string[] = [];

  constructor(
    private readonly emulator: TestEmulator,
    private readonly realmId: string,
    private current: string,
  ) {}

  accessToken(): Promise<string> {
    return Promise.resolve(this.current);
  }

  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    this.refreshes.push(rejected);
    const minted = await this.emulator.admin('POST', `/companies/${this.realmId}/tokens`, {});
    if (minted.status !== 201) throw new Error(`token mint failed: ${minted.status}`);
    this.current = String(minted.json.access_token);
    return this.current;
  }
}

export interface TestRealm {
  realmId: string;
  tokens: AdminTokenSource;
  client: QboClient;
}

/** A fresh company on the emulator, and a QboClient for it with a fresh token. */
export async function newRealm(
  emulator: TestEmulator,
  input: Record<string, unknown> = {},
): Promise<TestRealm> {
  const company = await emulator.company(input);
  const tokens = new AdminTokenSource(emulator, company.realmId, company.accessToken);
  const client = new QboClient({
    baseUrl: emulator.url,
    realmId: company.realmId,
    tokens,
    timeoutMs: 10_000,
  });
  return { realmId: company.realmId, tokens, client };
}

/** The emulator's log of the realm's last `limit` API requests, oldest first. */
export async function lastRequests(
  emulator: TestEmulator,
  realmId: string,
  limit: number,
): Promise<{ method: string; path: string; query: Record<string, string>; body: any; status: number }[]> {
  const log = await emulator.admin('GET', `/companies/${realmId}/requests?limit=${limit}`);
  return log.json.requests;
}

export async function setFaults(emulator: TestEmulator, realmId: string, faults: unknown): Promise<void> {
  const result = await emulator.admin('PUT', `/companies/${realmId}/faults`, faults);
  if (result.status !== 200) throw new Error(`setting faults failed: ${result.text}`);
}
