import { describeDemo, followUpOutcomes, type DemoSummary } from '../../src/stack/demo';

const now = new Date('2026-11-25T12:00:00Z');
const places = {
  apiUrl: 'http://127.0.0.1:3000',
  temporalUiUrl: 'http://127.0.0.1:8233',
  namespace: 'default',
  emulatorUrl: 'http://127.0.0.1:4010',
};

function demo(followUps: DemoSummary['followUps']): DemoSummary {
  return {
    accountId: 'acct_1',
    apiKey: 'qbs_key',
    connectionId: 'conn_1',
    realmId: '9130',
    companyName: 'Sandbox Company US',
    followUps,
    consoleLink: {
      url: 'http://127.0.0.1:3000/console#signInToken=qcs_x',
      token: 'qcs_x',
      expiresAt: new Date(now.getTime() + 15 * 60_000),
    },
  };
}

const recordedOnly = { channels: { crm: { status: 'recorded' } } };

describe('what npm start says its demo did', () => {
  it('counts follow-ups recorded, not "sent", when the CRM has no endpoint and email is off', () => {
    const outcome = followUpOutcomes(
      Array.from({ length: 91 }, () => recordedOnly),
      { delivered: 0, awaitingDelivery: 0 },
      { endpoint: null, emailEnabled: false },
    );
    expect(outcome).toEqual({
      planned: 91,
      recorded: 91,
      delivered: 0,
      awaitingDelivery: 0,
      endpoint: null,
      emailEnabled: false,
      emailed: 0,
      emailSkipped: 0,
      emailFailed: 0,
    });
    const lines = describeDemo(demo(outcome), places, now).join('\n');
    expect(lines).not.toMatch(/\bsent\b/);
    expect(lines).toContain(
      'Follow-ups: the reminder schedule ran once and planned 91 (overdue invoices, estimates, payments)',
    );
    expect(lines).toContain(
      '  recorded       91 followup.created events for the CRM: GET http://127.0.0.1:3000/v1/events?type=followup.created',
    );
    expect(lines).toContain(
      '  delivered      0: the account has no webhook endpoint (PUT http://127.0.0.1:3000/v1/webhook-endpoint sets one)',
    );
    expect(lines).toContain(
      '  emailed        0: email is off in the follow-up policy (GET http://127.0.0.1:3000/v1/connections/conn_1/follow-up-policy)',
    );
  });

  it('says how many reached the endpoint and the inbox when both are set up', () => {
    const outcome = followUpOutcomes(
      [
        { channels: { crm: { status: 'recorded' }, email: { status: 'sent' } } },
        { channels: { crm: { status: 'recorded' }, email: { status: 'skipped' } } },
        { channels: { crm: { status: 'recorded' }, email: { status: 'bounced' } } },
        { channels: {} },
      ],
      { delivered: 2, awaitingDelivery: 1 },
      { endpoint: 'https://crm.example/hooks', emailEnabled: true },
    );
    expect(outcome).toMatchObject({ planned: 4, recorded: 3, emailed: 1, emailSkipped: 1, emailFailed: 1 });
    const lines = describeDemo(demo(outcome), places, now);
    expect(lines).toContain('  delivered      2 to https://crm.example/hooks; 1 still on their way');
    expect(lines).toContain(
      '  emailed        1; 1 skipped (no address, or one that bounced); 1 refused or failed',
    );
  });

  it('shows where to look: the console with a one-time link, the schedule in the Temporal UI, the emulator', () => {
    const lines = describeDemo(
      demo(
        followUpOutcomes([], { delivered: 0, awaitingDelivery: 0 }, { endpoint: null, emailEnabled: false }),
      ),
      places,
      now,
    );
    expect(lines.slice(lines.indexOf('Where to look'))).toEqual([
      'Where to look',
      '  Console        http://127.0.0.1:3000/console',
      '                 sign in as Demo CRM once, within 15 minutes: http://127.0.0.1:3000/console#signInToken=qcs_x',
      '  Temporal UI    http://127.0.0.1:8233/namespaces/default/schedules/reminders:conn_1   (the reminder schedule)',
      '  QBO emulator   http://127.0.0.1:4010/__admin/companies/9130   (the demo company)',
    ]);
    const external = describeDemo(
      demo(
        followUpOutcomes([], { delivered: 0, awaitingDelivery: 0 }, { endpoint: null, emailEnabled: false }),
      ),
      { ...places, temporalUiUrl: undefined },
      now,
    );
    expect(external.some((line) => line.includes('Temporal UI'))).toBe(false);
  });
});
