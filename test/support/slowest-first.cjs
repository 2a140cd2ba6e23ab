const Sequencer = require('@jest/test-sequencer').default;

/**
 * The suites that take longest (measured: each over 10 s, most of it waiting on servers), longest first. Jest only
 * knows durations from its cache, which a fresh clone in CI lacks; without this list it orders by file size, and a
 * long suite started last leaves one worker idle while the other finishes it.
 */
const slowest = [
  'chaos/outages',
  'chaos/worker-kills',
  'chaos/qbo-faults',
  'followups/worker-kill',
  'ops/cli',
  'sync/backfill',
  'chaos/api-fuzz',
  'chaos/tokens',
  'integration/launcher',
  'chaos/webhooks',
  'api/connect-and-sync',
  'integration/worker-restart',
  'followups/reminders',
];

function rank(test) {
  const index = slowest.findIndex((name) => test.path.endsWith(`/test/${name}.test.ts`));
  return index === -1 ? slowest.length : index;
}

class SlowestFirst extends Sequencer {
  sort(tests) {
    // Array.prototype.sort is stable: the rest keep jest's own order.
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
