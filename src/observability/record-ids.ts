/**
 * The CRM contacts an activity's or a signal's first argument names (`crmContactIds` or `crmContactId`), for log
 * lines and for carrying a PUT's trace to the push that serves it. No imports: the workflow sandbox loads it too.
 */
export function recordIdsOf(argument: unknown): string[] {
  if (typeof argument !== 'object' || argument === null) return [];
  const { crmContactIds, crmContactId } = argument as { crmContactIds?: unknown; crmContactId?: unknown };
  if (Array.isArray(crmContactIds)) return crmContactIds.filter((id): id is string => typeof id === 'string');
  return typeof crmContactId === 'string' ? [crmContactId] : [];
}
