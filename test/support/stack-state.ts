import { rmSync } from 'node:fs';
import type { RunningService } from '../../src/stack/services';

interface StackState {
  services: RunningService[];
  dataDir: string;
}

// globalSetup and globalTeardown run in the same process; a global carries the handles between them.
const holder = globalThis as typeof globalThis & { __qboSyncTestStack?: StackState };

export function setStack(state: StackState): void {
  holder.__qboSyncTestStack = state;
}

export async function stopStack(): Promise<void> {
  const state = holder.__qboSyncTestStack;
  if (!state) return;
  holder.__qboSyncTestStack = undefined;
  await Promise.allSettled(state.services.map((service) => service.stop()));
  rmSync(state.dataDir, { recursive: true, force: true });
}
