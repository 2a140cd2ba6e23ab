import { condition } from '@temporalio/workflow';

/**
 * Work per record, keyed by the record's id: a few at a time, never two for one id. An id queued again while its
 * work runs waits for it, so one record's changes apply in order, and an id queued twice while waiting runs once.
 * Holds ids (and a small tag each) only: the records live in MongoDB.
 */
export class Lane<Tag> {
  /** Ids waiting for a slot, in the order they were first queued. */
  readonly waiting: Map<string, Tag>;
  readonly running = new Set<string>();

  constructor(
    private readonly slots: number,
    carried: Iterable<readonly [string, Tag]> = [],
  ) {
    this.waiting = new Map(carried);
  }

  queue(id: string, tag: Tag): void {
    this.waiting.set(id, tag);
  }

  /**
   * Starts waiting work as slots free up, while `open()`, until `closed()`; work already started runs on (wait for
   * `running` to empty). `work` answers whether its id goes back in the queue (a failure worth another turn).
   */
  async run(
    open: () => boolean,
    closed: () => boolean,
    work: (id: string, tag: Tag) => Promise<boolean>,
  ): Promise<void> {
    const startable = (): string[] => [...this.waiting.keys()].filter((id) => !this.running.has(id));
    for (;;) {
      await condition(() => closed() || (open() && this.running.size < this.slots && startable().length > 0));
      if (closed()) return;
      for (const id of startable().slice(0, this.slots - this.running.size)) {
        const tag = this.waiting.get(id)!;
        this.waiting.delete(id);
        this.running.add(id);
        void work(id, tag).then((again) => {
          this.running.delete(id);
          // Never dropped because QBO or a worker was down; a newer queuing of the id meanwhile stands.
          if (again && !this.waiting.has(id)) this.waiting.set(id, tag);
        });
      }
    }
  }
}
