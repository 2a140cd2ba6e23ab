/**
 * Runs `stop` once the process that started this one is gone, however it went: the launcher and the tests start
 * our Node services with an IPC channel, and the operating system closes it even when the parent is SIGKILLed,
 * which no signal handler of the parent can cover. Does nothing when there is no such channel (production).
 */
export function stopWhenParentExits(stop: () => void): void {
  if (!process.channel) return;
  // The channel must not keep this process alive once it has stopped serving.
  process.channel.unref();
  process.once('disconnect', stop);
}
