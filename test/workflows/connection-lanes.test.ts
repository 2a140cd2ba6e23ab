import { connectionWorkflowId, startConnectionWorkflow } from '../../src/temporal/connection-workflows';
import {
  contactsChangedSignal,
  inboxWaitingSignal,
  statusQuery,
} from '../../src/workflows/connection-messages';
import type { Activities } from '../../src/activities';
import { eventually, uniqueName } from '../support/env';
import { activitySummaries } from '../support/histories';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../support/time-skipping';
import { fakeConnectionActivities } from '../support/workflow-fakes';

/** Contact pushes and customer pulls in flight at once per connection (src/workflows/connection.ts). */
const pushSlots = 4;
const pullSlots = 4;
const minute = 60_000;

/** A promise a test settles when it chooses: an activity that takes as long as the test says. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * The connection workflow's lanes, with activities that take as long as the test says: CRM → QBO pushes never wait
 * for the QBO lane, one contact never has two pushes at once, and a few pushes run side by side, each its own
 * activity named for its contact; QBO → CRM, each changed customer a poll or drain finds is pulled into its contact
 * by its own activity, likewise.
 */
describe('connection workflow: lanes', () => {
  let temporal: TimeSkippingEnvironment;
  beforeAll(async () => {
    temporal = await startTimeSkipping();
  });
  afterEach(() => temporal.endWorkflows());
  afterAll(() => temporal?.teardown());

  async function startConnection(
    taskQueue: string,
    intervals = { pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
  ) {
    const connectionId = uniqueName('conn');
    await startConnectionWorkflow(
      temporal.client,
      { _id: connectionId, realmId: 'realm-lanes', accountId: 'acct-lanes' },
      { taskQueue, ...intervals },
    );
    return temporal.endAfterTest(temporal.client.workflow.getHandle(connectionWorkflowId(connectionId)));
  }

  it('writes a CRM change to QBO while the QBO lane is stuck in a slow drain', async () => {
    const { activities, calls } = fakeConnectionActivities();
    const drain = gate();
    let drainsRunning = 0;
    const drainInbox: typeof activities.drainInbox = async () => {
      drainsRunning += 1;
      await drain.opened;
      drainsRunning -= 1;
      return activities.drainInbox();
    };
    await temporal.withWorker({ ...activities, drainInbox }, async (taskQueue) => {
      const handle = await startConnection(taskQueue);
      // The start's own drain is under way and held.
      await eventually(
        () => Promise.resolve(drainsRunning),
        (running) => running === 1,
        10_000,
        'the drain to start',
      );
      await handle.signal(contactsChangedSignal, { crmContactIds: ['while-draining'] });
      await eventually(
        () => Promise.resolve(calls.pushes.flat()),
        (pushed) => pushed.includes('while-draining'),
        10_000,
        'the push during the drain',
      );
      expect(drainsRunning).toBe(1);
      drain.open();
      await eventually(
        () => Promise.resolve(drainsRunning),
        (running) => running === 0,
      );
    });
  });

  it('never runs two pushes of one contact at once: a change during its push waits for it, then is written', async () => {
    const { activities, calls } = fakeConnectionActivities();
    const firstPush = gate();
    const running = new Map<string, number>();
    const overlaps: string[] = [];
    const order: string[] = [];
    const pushContact: typeof activities.pushContact = async (input) => {
      const id = input.crmContactId;
      running.set(id, (running.get(id) ?? 0) + 1);
      if ((running.get(id) ?? 0) > 1) overlaps.push(id);
      order.push(`start ${id}`);
      if (id === 'busy' && !order.includes('end busy')) await firstPush.opened;
      order.push(`end ${id}`);
      running.set(id, (running.get(id) ?? 0) - 1);
      return activities.pushContact(input);
    };
    await temporal.withWorker({ ...activities, pushContact }, async (taskQueue) => {
      const handle = await startConnection(taskQueue);
      await handle.signal(contactsChangedSignal, { crmContactIds: ['busy'] });
      await eventually(
        () => Promise.resolve(order),
        (seen) => seen.includes('start busy'),
        10_000,
        'the first push',
      );
      // The contact changes again while its push runs; another contact changes after it.
      await handle.signal(contactsChangedSignal, { crmContactIds: ['busy'] });
      await handle.signal(contactsChangedSignal, { crmContactIds: ['other'] });
      // The lane is free to start pushes (the other contact's went through) and the second change is held back.
      await eventually(
        () => Promise.resolve(order),
        (seen) => seen.includes('end other'),
        10_000,
        'the other contact’s push',
      );
      const waiting = await handle.query(statusQuery);
      expect(waiting).toMatchObject({ pushesInFlight: 1, contactsWaiting: 1 });
      expect(order.filter((step) => step === 'start busy')).toHaveLength(1);

      firstPush.open();
      await eventually(
        () => Promise.resolve(order.filter((step) => step === 'end busy')),
        (ends) => ends.length === 2,
        10_000,
        'the second push of the contact',
      );
      expect(order.indexOf('end busy')).toBeLessThan(order.lastIndexOf('start busy'));
      expect(overlaps).toEqual([]);
      expect(calls.pushes.flat().sort()).toEqual(['busy', 'busy', 'other']);
    });
  });

  it('runs a few pushes side by side, never more, each an activity named for its contact', async () => {
    const { activities, calls } = fakeConnectionActivities();
    const release = gate();
    let inFlight = 0;
    let mostInFlight = 0;
    const pushContact: typeof activities.pushContact = async (input) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await release.opened;
      inFlight -= 1;
      return activities.pushContact(input);
    };
    const contacts = Array.from({ length: 10 }, (_, index) => `contact-${index}`);
    await temporal.withWorker({ ...activities, pushContact }, async (taskQueue) => {
      const handle = await startConnection(taskQueue);
      await handle.signal(contactsChangedSignal, { crmContactIds: contacts });
      const busy = await eventually(
        () => handle.query(statusQuery),
        (status) => status.pushesInFlight === pushSlots && inFlight === pushSlots,
        10_000,
        'a full lane',
      );
      expect(busy.contactsWaiting).toBe(contacts.length - pushSlots);
      release.open();
      await eventually(
        () => handle.query(statusQuery),
        (status) => status.totals.pushed === contacts.length && status.pushesInFlight === 0,
        10_000,
        'every contact pushed',
      );
      expect(mostInFlight).toBe(pushSlots);
      expect(calls.pushes.flat().sort()).toEqual([...contacts].sort());

      // An ops person finds a contact's push in the Temporal UI by its summary.
      const summaries = await activitySummaries(handle);
      expect(summaries).toContain('CRM → QBO: contact contact-0');
      expect(summaries.filter((summary) => summary.startsWith('CRM → QBO: contact '))).toHaveLength(
        contacts.length,
      );
    });
  });

  it('pulls each customer a poll or drain hands over by its own activity, named for it, and each once however often it changed', async () => {
    const { activities, calls } = fakeConnectionActivities();
    // The start's poll finds two linked customers changed, one of them twice (listed twice); a drain finds it again.
    const pollChanges: Activities['pollChanges'] = async (input) => ({
      ...(await activities.pollChanges()),
      ...(input.fanOut ? { customersToPull: ['cust-1', 'cust-2', 'cust-1'] } : {}),
    });
    const fanOutSeen: (boolean | undefined)[] = [];
    const drainInbox: Activities['drainInbox'] = async (input) => {
      fanOutSeen.push(input.fanOut);
      return { ...(await activities.drainInbox()), customersToPull: ['cust-2'] };
    };
    await temporal.withWorker({ ...activities, pollChanges, drainInbox }, async (taskQueue) => {
      const handle = await startConnection(taskQueue);
      const done = await eventually(
        () => handle.query(statusQuery),
        (status) => status.totals.pulled === 3 && status.pullsInFlight === 0,
        10_000,
        'both customers pulled',
      );
      expect(done.customersWaiting).toBe(0);
      expect(fanOutSeen).toEqual([true]);
      // cust-1, listed twice by one poll, is pulled once; cust-2's pull from the drain was under way when the poll
      // found it again, so it is pulled again after it, reading the newer version.
      const byCustomer = (channel: string) =>
        calls.pulls.filter((pull) => pull.channel === channel).map(({ qboCustomerId }) => qboCustomerId);
      expect(byCustomer('webhook')).toEqual(['cust-2']);
      expect(byCustomer('cdc_poll').sort()).toEqual(['cust-1', 'cust-2']);

      const summaries = await activitySummaries(handle);
      expect(summaries).toContain('QBO → CRM: customer cust-1');
      expect(summaries).toContain('QBO → CRM: customer cust-2');
    });
  });

  it('runs a few pulls side by side, never two for one customer, and a slow pull holds up no push', async () => {
    const { activities, calls } = fakeConnectionActivities();
    const release = gate();
    const running = new Map<string, number>();
    let inFlight = 0;
    let mostInFlight = 0;
    const overlaps: string[] = [];
    const pullCustomer: typeof activities.pullCustomer = async (input) => {
      const id = input.qboCustomerId;
      running.set(id, (running.get(id) ?? 0) + 1);
      if (running.get(id)! > 1) overlaps.push(id);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await release.opened;
      inFlight -= 1;
      running.set(id, running.get(id)! - 1);
      return activities.pullCustomer(input);
    };
    const customers = Array.from({ length: 6 }, (_, index) => `cust-${index}`);
    let drains = 0;
    // Each drain finds every customer changed again: the ones already pulling wait for their pull.
    const drainInbox: Activities['drainInbox'] = async () => {
      drains += 1;
      return { ...(await activities.drainInbox()), customersToPull: customers };
    };
    await temporal.withWorker({ ...activities, pullCustomer, drainInbox }, async (taskQueue) => {
      const handle = await startConnection(taskQueue);
      const busy = await eventually(
        () => handle.query(statusQuery),
        (status) => status.pullsInFlight === pullSlots && inFlight === pullSlots,
        10_000,
        'a full pull lane',
      );
      expect(busy.customersWaiting).toBe(customers.length - pullSlots);

      // The pulls are held; a CRM change goes to QBO meanwhile, and the same customers change again in QBO.
      await handle.signal(contactsChangedSignal, { crmContactIds: ['during-pulls'] });
      await eventually(
        () => Promise.resolve(calls.pushes.flat()),
        (pushed) => pushed.includes('during-pulls'),
        10_000,
        'the push while every pull slot is held',
      );
      await handle.signal(inboxWaitingSignal);
      // Every customer waits once: the four pulling for their pull, the other two still for a slot.
      await eventually(
        () => handle.query(statusQuery),
        (status) => status.pullsInFlight === pullSlots && status.customersWaiting === customers.length,
        10_000,
        'the second drain’s customers queued',
      );
      expect(drains).toBe(2);
      expect(inFlight).toBe(pullSlots);

      release.open();
      await eventually(
        () => handle.query(statusQuery),
        (status) => status.pullsInFlight === 0 && status.customersWaiting === 0,
        10_000,
        'every pull done',
      );
      expect(mostInFlight).toBe(pullSlots);
      expect(overlaps).toEqual([]);
      // Once for the first drain; again for the second, only for the customers whose pull had started by then.
      const pulled = calls.pulls.map(({ qboCustomerId }) => qboCustomerId);
      for (const id of customers)
        expect(pulled.filter((each) => each === id).length).toBeGreaterThanOrEqual(1);
      expect(pulled).toHaveLength(customers.length + pullSlots);
    });
  });

  it('polls often while the company is active; idle, it leaves its polls to the sweep and polls itself as a fallback', async () => {
    const { activities, calls } = fakeConnectionActivities();
    await temporal.withWorker(activities, async (taskQueue) => {
      const handle = await startConnection(taskQueue, {
        pollIntervalSeconds: 600,
        activePollIntervalSeconds: 60,
      });
      const idle = await eventually(
        () => handle.query(statusQuery),
        (status) => status.totals.polls === 1,
      );
      expect(idle.pollEverySeconds).toBe(600);
      const webhookAt = await temporal.env.currentTimeMs();
      await handle.signal(inboxWaitingSignal);
      expect((await handle.query(statusQuery)).pollEverySeconds).toBe(60);
      // Five active minutes at one a minute; then the sweep's interval, the workflow's own poll only every five.
      await temporal.env.sleep(5 * minute + 5 * 10 * minute + 2 * minute);
      const after = calls.polls.filter((at) => at > webhookAt);
      const gaps = after.slice(1).map((at, index) => at - after[index]!);
      const activeGaps = gaps.filter((gap) => gap < 2 * minute);
      expect(activeGaps.length).toBeGreaterThanOrEqual(3);
      for (const gap of activeGaps) expect(gap).toBeGreaterThanOrEqual(minute);
      expect(after.at(-1)! - webhookAt).toBeGreaterThan(5 * minute);
      expect(gaps.at(-1)).toBeGreaterThanOrEqual(5 * 10 * minute);
      expect((await handle.query(statusQuery)).pollEverySeconds).toBe(600);
    });
    // Alone it takes 15 s; under a whole suite each of its dozen real activities can wait seconds for a core.
  }, 300_000);

  it('polls an idle company by itself when its interval is shorter than the sweep serves', async () => {
    const { activities, calls } = fakeConnectionActivities();
    await temporal.withWorker(activities, async (taskQueue) => {
      await startConnection(taskQueue, { pollIntervalSeconds: 20, activePollIntervalSeconds: 10 });
      await eventually(
        () => Promise.resolve(calls.polls.length),
        (polls) => polls === 1,
      );
      await temporal.env.sleep(2 * minute);
      const gaps = calls.polls.slice(1).map((at, index) => at - calls.polls[index]!);
      expect(gaps.length).toBeGreaterThanOrEqual(4);
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(20_000);
        expect(gap).toBeLessThan(40_000);
      }
    });
  }, 300_000);
});
