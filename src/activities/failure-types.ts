/** Failure types the connection workflow branches on; shared by activities and workflows (no I/O here). */
export const failureTypes = {
  needsReauth: 'ConnectionNeedsReauth',
  qboRejected: 'QboRejected',
  qboUnavailable: 'QboUnavailable',
} as const;
