import type { Company } from '../company';
import { fault } from '../faults';
import { isObject } from './fields';
import type { Draft, Knock } from './types';

/**
 * `LinkedTxn` is the server's: payments and conversions appear there as they happen. A client may only link the
 * estimate a transaction is made from; whatever else it sends back is ignored.
 */
export function linkedTransactions(company: Company, sent: unknown, current: unknown): Draft[] {
  const kept = (Array.isArray(current) ? (current as Draft[]) : []).filter(
    (link) => link.TxnType !== 'Estimate',
  );
  const estimates: Draft[] = [];
  for (const link of Array.isArray(sent) ? (sent as unknown[]) : []) {
    if (!isObject(link) || link.TxnType !== 'Estimate') continue;
    const estimateId =
      typeof link.TxnId === 'string' || typeof link.TxnId === 'number' ? String(link.TxnId) : '';
    if (!company.get('Estimate', estimateId)) throw fault.invalidReference('LinkedTxn.TxnId');
    if (!estimates.some((estimate) => estimate.TxnId === estimateId)) {
      estimates.push({ TxnId: estimateId, TxnType: 'Estimate' });
    }
  }
  return [...estimates, ...kept];
}

function estimateIds(record: Draft | undefined): Set<string> {
  const links = record && Array.isArray(record.LinkedTxn) ? (record.LinkedTxn as Draft[]) : [];
  return new Set(links.filter((link) => link.TxnType === 'Estimate').map((link) => String(link.TxnId)));
}

/** An estimate turned into an invoice (or sales receipt) links back to it and is closed. */
export function estimateKnocks(
  kind: string,
  id: string,
  before: Draft | undefined,
  after: Draft | undefined,
): Knock[] {
  const [was, now] = [estimateIds(before), estimateIds(after)];
  const changed = [...new Set([...was, ...now])].filter(
    (estimateId) => was.has(estimateId) !== now.has(estimateId),
  );
  return changed.map((estimateId) => ({
    entity: 'Estimate',
    id: estimateId,
    touch: true,
    apply: (estimate) => {
      const others = (Array.isArray(estimate.LinkedTxn) ? (estimate.LinkedTxn as Draft[]) : []).filter(
        (link) => !(link.TxnId === id && link.TxnType === kind),
      );
      const linked = now.has(estimateId);
      return {
        ...estimate,
        LinkedTxn: linked ? [...others, { TxnId: id, TxnType: kind }] : others,
        TxnStatus: linked ? 'Closed' : estimate.TxnStatus,
      };
    },
  }));
}
