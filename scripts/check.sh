#!/usr/bin/env bash
# Type-checks, lints and checks formatting side by side (each runs on one core), and fails if any of them fails;
# then builds the SDK (sdk/) and checks that its generated types match the API's routes.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
"$bin/tsc" --noEmit &
tsc=$!
"$bin/tsc" --noEmit -p src/console/client &
console=$!
"$bin/eslint" . --max-warnings=0 &
eslint=$!
"$bin/prettier" --check . --log-level warn &
prettier=$!
status=0
for pid in "$tsc" "$console" "$eslint" "$prettier"; do wait "$pid" || status=1; done
npm run --silent sdk:build || status=1
npm run --silent sdk:generate -- --check || status=1
exit "$status"
