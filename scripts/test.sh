#!/usr/bin/env bash
# The test command after set-up: the static checks (types, lint, formatting) and the jest suite, side by side. The
# integration suites spend much of their time waiting on servers, and the checks fill that idle CPU; run one after
# the other they cost half a minute more. Fails when either fails; the checks' output is shown when they do.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p test-output
npm run --silent check > test-output/check.log 2>&1 &
checks=$!

npx jest "$@"
jest_status=$?

wait "$checks"
check_status=$?
if [ "$check_status" -ne 0 ]; then
  echo "npm test: the static checks failed (tsc, eslint or prettier; test-output/check.log):" >&2
  cat test-output/check.log >&2
else
  echo "npm test: static checks passed (tsc, eslint --max-warnings=0, prettier --check)"
fi
[ "$jest_status" -eq 0 ] && [ "$check_status" -eq 0 ]
