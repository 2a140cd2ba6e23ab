#!/usr/bin/env bash
# Type-checks, lints and checks formatting side by side (each runs on one core), and fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
"$bin/tsc" --noEmit &
tsc=$!
"$bin/eslint" . --max-warnings=0 &
eslint=$!
"$bin/prettier" --check . --log-level warn &
prettier=$!
status=0
for pid in "$tsc" "$eslint" "$prettier"; do wait "$pid" || status=1; done
exit "$status"
