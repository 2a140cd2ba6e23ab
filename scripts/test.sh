#!/usr/bin/env bash
# The suite: the static checks (scripts/check.sh) and jest side by side, and fails if either fails. The checks run
# at a lower priority, so they take the CPU that jest's servers leave idle while its suites wait on outages and
# timeouts, instead of adding their own minute in front of it. Arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."
nice -n 10 bash scripts/check.sh > >(sed -u 's/^/check │ /') 2>&1 &
checks=$!
node_modules/.bin/jest "$@"
jest=$?
wait "$checks"
check=$?
if [ "$check" -ne 0 ]; then
  echo "npm test: the static checks failed (tsc, ESLint or Prettier; see the lines marked 'check │')" >&2
else
  echo "npm test: static checks passed (tsc, ESLint, Prettier)" >&2
fi
[ "$jest" -eq 0 ] && [ "$check" -eq 0 ]
