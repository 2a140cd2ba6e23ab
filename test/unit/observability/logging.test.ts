import pino from 'pino';
import { redactText } from '../../../src/logger';
import { temporalLogger } from '../../../src/observability/temporal-logger';

/** A pino logger at `level` whose lines land in the returned array. */
function capture(level = 'info'): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('redactText: secrets in text written by code that is not ours', () => {
  it.each([
    ['Authorization: Bearer eyJhbGciOi.abc-def_ghi=', 'Authorization: Bearer [redacted]'],
    [
      'failed to complete TaskToken(CiQ0YjM2ZTE3Zi1h) after 3 tries',
      'failed to complete TaskToken([redacted]) after 3 tries',
    ],
    [
      'Activity heartbeat failed task_token: "CiQ0YjM2" attempt=2',
      'Activity heartbeat failed task_token: [redacted] attempt=2',
    ],
    ['{"taskToken":"CiQ0YjM2","attempt":1}', '{"taskToken":[redacted],"attempt":1}'],
    ['taskToken=CiQ0YjM2, activity=pushContacts', 'taskToken=[redacted], activity=pushContacts'],
  ])('%s', (text, redacted) => {
    expect(redactText(text)).toBe(redacted);
  });

  it('leaves text without secrets as it is', () => {
    const text = 'Completing activity pushContacts: 3 contacts, realm 9130355';
    expect(redactText(text)).toBe(text);
  });
});

describe("temporalLogger: Temporal's lines as the worker's own", () => {
  it("keeps the SDK's own lines from WARN up, and every line of our workflows and activities", () => {
    const { log, lines } = capture('debug');
    const temporal = temporalLogger(log);
    temporal.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    temporal.debug('poll', { sdkComponent: 'core' });
    temporal.warn('Failed to heartbeat', { sdkComponent: 'worker' });
    temporal.info('workflow started', { sdkComponent: 'workflow', workflowId: 'connection:c1' });
    temporal.debug('activity says', { sdkComponent: 'activity' });
    expect(lines.map(({ level, msg }) => [level, msg])).toEqual([
      [40, 'Failed to heartbeat'],
      [30, 'workflow started'],
      [20, 'activity says'],
    ]);
    expect(lines[1]).toMatchObject({ sdkComponent: 'workflow', workflowId: 'connection:c1' });
  });

  it('redacts task tokens in messages and fields, and puts errors where pino serialises them', () => {
    const { log, lines } = capture();
    const error = new Error('boom');
    temporalLogger(log).error('Failed to complete TaskToken(CiQ0YjM2)', {
      sdkComponent: 'worker',
      detail: 'task_token: CiQ0YjM2',
      error,
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'Failed to complete TaskToken([redacted])',
        detail: 'task_token: [redacted]',
        err: expect.objectContaining({ message: 'boom', type: 'Error' }),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('CiQ0YjM2');
  });
});
