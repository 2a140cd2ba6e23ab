import { activeWindowMs, idlePollSweep, idlePollsSwept, pollEverySeconds } from '../../../src/sync/polling';

const settings = { pollIntervalSeconds: 60, activePollIntervalSeconds: 10 };
const now = Date.parse('2026-12-07T12:00:00Z');

describe('poll intervals', () => {
  it('polls at the active interval within five minutes of a change, and at the idle one after', () => {
    expect(pollEverySeconds(settings, now - activeWindowMs + 1, now)).toBe(10);
    expect(pollEverySeconds(settings, now - activeWindowMs, now)).toBe(60);
    expect(pollEverySeconds(settings, undefined, now)).toBe(60);
    // An active interval longer than the idle one never slows a company down.
    expect(pollEverySeconds({ pollIntervalSeconds: 5, activePollIntervalSeconds: 10 }, now, now)).toBe(5);
  });

  it('leaves idle companies to the sweep from its threshold up, never active ones', () => {
    expect(idlePollsSwept(settings, undefined, now)).toBe(true);
    expect(idlePollsSwept(settings, now - activeWindowMs, now)).toBe(true);
    expect(idlePollsSwept(settings, now - 1_000, now)).toBe(false);
    const atThreshold = { ...settings, pollIntervalSeconds: idlePollSweep.fromSeconds };
    expect(idlePollsSwept(atThreshold, undefined, now)).toBe(true);
    const below = { ...settings, pollIntervalSeconds: idlePollSweep.fromSeconds - 1 };
    expect(idlePollsSwept(below, undefined, now)).toBe(false);
  });
});
