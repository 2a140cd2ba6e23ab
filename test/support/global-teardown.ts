import { stopStack } from './stack-state';

export default async function globalTeardown(): Promise<void> {
  await stopStack();
}
