import {
  defaultFollowUpPolicy,
  deliveryHours,
  followUpPolicySchema,
  isQuietHour,
  policyForCompany,
} from '../../../src/followups/policy';

describe('follow-up policy', () => {
  it('has a default for every field, the time zone being the company’s', () => {
    const settings = followUpPolicySchema.parse({});
    expect(settings.timeZone).toBeUndefined();
    expect(policyForCompany(settings, 'America/Los_Angeles')).toEqual(defaultFollowUpPolicy);
    expect(policyForCompany(settings, 'Australia/Sydney').timeZone).toBe('Australia/Sydney');
    const chosen = followUpPolicySchema.parse({ timeZone: 'Europe/Dublin' });
    expect(policyForCompany(chosen, 'Australia/Sydney').timeZone).toBe('Europe/Dublin');
    expect(defaultFollowUpPolicy).toMatchObject({
      enabled: true,
      timeZone: 'America/Los_Angeles',
      quietHours: { start: 20, end: 8 },
      minimumAmount: 0,
      overdue: { enabled: true, cadenceDays: [1, 7, 14, 30] },
      estimateExpiring: { enabled: true, daysBefore: 3 },
      estimateAccepted: { enabled: true },
      paymentReceived: { enabled: true, withinDays: 3 },
      channels: { crm: true, email: false },
      email: { locale: 'en-US' },
    });
  });

  it('fills the defaults inside a partly given section', () => {
    const policy = followUpPolicySchema.parse({
      overdue: { cadenceDays: [30, 3, 3, 10] },
      channels: { email: true },
    });
    expect(policy.overdue).toEqual({ enabled: true, cadenceDays: [3, 10, 30] });
    expect(policy.channels).toEqual({ crm: true, email: true });
  });

  it.each([
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    [{ quietHours: { start: 9, end: 9 } }, 'quietHours'],
    [{ quietHours: { start: 24, end: 8 } }, 'quietHours.start'],
    [{ minimumAmount: -1 }, 'minimumAmount'],
    [{ overdue: { cadenceDays: [] } }, 'overdue.cadenceDays'],
    [{ overdue: { cadenceDays: [0] } }, 'overdue.cadenceDays.0'],
    [{ email: { replyTo: 'not-an-address' } }, 'email.replyTo'],
    [{ email: { linkTemplate: 'javascript:alert(1)' } }, 'email.linkTemplate'],
    [{ email: { locale: '???' } }, 'email.locale'],
    [{ surprise: true }, ''],
  ])('refuses %j, naming %s', (input, path) => {
    const parsed = followUpPolicySchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('judges quiet hours within a day and across midnight', () => {
    expect(isQuietHour({ quietHours: { start: 20, end: 8 } }, 23)).toBe(true);
    expect(isQuietHour({ quietHours: { start: 20, end: 8 } }, 7)).toBe(true);
    expect(isQuietHour({ quietHours: { start: 20, end: 8 } }, 8)).toBe(false);
    expect(isQuietHour({ quietHours: { start: 12, end: 14 } }, 13)).toBe(true);
    expect(isQuietHour({ quietHours: { start: 12, end: 14 } }, 14)).toBe(false);
    expect(isQuietHour({ quietHours: null }, 3)).toBe(false);
  });

  it('lists the hours deliveries may happen in', () => {
    expect(deliveryHours({ quietHours: { start: 20, end: 8 } })).toEqual([
      8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
    expect(deliveryHours({ quietHours: null })).toHaveLength(24);
  });
});
