import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { recordSelfTestStep, readSelfTest } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds' },
});

export const releaseSelfTestSignal = defineSignal('releaseSelfTest');

export interface SelfTestInput {
  probeId: string;
  /** Park between the two steps until `releaseSelfTest` arrives, so a test can crash the worker meanwhile. */
  waitForRelease?: boolean;
}

export interface SelfTestResult {
  steps: string[];
  workerIdentities: string[];
}

/**
 * End-to-end probe of a deployment: two durable steps written to MongoDB by activities, then read back.
 * The launcher runs it to prove the worker is live; the test suite uses it to prove crash recovery.
 */
export async function selfTestWorkflow({
  probeId,
  waitForRelease = false,
}: SelfTestInput): Promise<SelfTestResult> {
  let released = !waitForRelease;
  setHandler(releaseSelfTestSignal, () => {
    released = true;
  });
  await recordSelfTestStep({ probeId, step: 'started' });
  await condition(() => released);
  await recordSelfTestStep({ probeId, step: 'finished' });
  return readSelfTest(probeId);
}
