/**
 * The emulator's notion of now. Tests inject a settable clock so that token expiry, CDC windows, overdue invoices
 * and webhook retry schedules are deterministic; the standalone server uses the system clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that moves only when told to, or, `running`, with real time from where it was set: tests of timing between
 * QBO and the CRM need QBO's timestamps to advance as the CRM's do.
 */
export class ManualClock implements Clock {
  private current: number;
  private setAt = Date.now();
  constructor(
    start: Date | string = '2026-01-15T12:00:00Z',
    private readonly running = false,
  ) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current + (this.running ? Date.now() - this.setAt : 0));
  }
  set(to: Date | string): void {
    this.current = new Date(to).getTime();
    this.setAt = Date.now();
  }
  advance(ms: number): void {
    this.current = this.now().getTime() + ms;
    this.setAt = Date.now();
  }
}
