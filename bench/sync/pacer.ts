import { sleep } from './crm';

/**
 * Keeps a bare client under Intuit's per-realm limits: at most 10 requests in any second and 500 in any minute.
 * (qbo-sync's own budget, src/qbo/budget.ts, bounds requests in flight and per clock minute.)
 */
export class IntuitPacer {
  private readonly sent: number[] = [];

  constructor(
    private readonly perSecond = 10,
    private readonly perMinute = 500,
  ) {}

  async next(): Promise<void> {
    for (;;) {
      const now = performance.now();
      while (this.sent.length > 0 && this.sent[0]! <= now - 60_000) this.sent.shift();
      const lastSecond = this.sent.filter((at) => at > now - 1000);
      const wait = Math.max(
        lastSecond.length >= this.perSecond
          ? lastSecond[lastSecond.length - this.perSecond]! + 1001 - now
          : 0,
        this.sent.length >= this.perMinute ? this.sent[this.sent.length - this.perMinute]! + 60_001 - now : 0,
      );
      if (wait <= 0) break;
      await sleep(wait);
    }
    this.sent.push(performance.now());
  }
}
