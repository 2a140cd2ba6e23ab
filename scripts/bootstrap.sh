#!/usr/bin/env bash
# Installs what the project needs and is missing, then returns; safe to run any number of times.
#  - Node dependencies from package-lock.json, when node_modules is absent or older than the lock file;
#  - the Temporal CLI (built with Go) and the embedded MongoDB-wire server (assembled from pinned Maven Central jars;
#    a JDK compiles our part), once per machine into ~/.cache/qbo-sync/bin (see src/stack/tools.ts), unless
#    TEMPORAL_ADDRESS / MONGODB_URI point at servers that already run (with --test, always: some tests start
#    private servers of their own);
#  - with --test, the Debian packages the test suite drives (docker-compose, to validate docker-compose.yml;
#    chromium, the headless browser the panel tests drive through playwright-core; python3-venv when Python lacks
#    venv), then schemathesis, the OpenAPI fuzzer of test/chaos/api-fuzz.test.ts, pip-installed once per machine
#    into a venv at ~/.cache/qbo-sync/bin/schemathesis@<version> (unless SCHEMATHESIS_PATH names one), and Temporal's
#    time-skipping test server, assembled once per machine from Maven Central into
#    ~/.cache/qbo-sync/bin/temporal-test-server@<version>+<digest> (unless TEMPORAL_TEST_SERVER_PATH names one; a JDK is
#    needed to assemble it, Debian's default-jdk-headless when javac is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "bootstrap: Node.js 20 or later is required" >&2
  exit 1
fi

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "bootstrap: installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

install_debian_packages() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then runner=(sudo -n); else
      echo "bootstrap: please install the Debian packages: $*" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing Debian packages: $*"
  "${runner[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v go >/dev/null 2>&1 && { [ "${1:-}" = "--test" ] || [ -z "${TEMPORAL_ADDRESS:-}" ]; }; then
  echo "bootstrap: Go is needed once to build the Temporal CLI" >&2
fi
# The embedded database's own classes are compiled once per machine: a JDK, unless MONGODB_URI names a server.
if { [ "${1:-}" = "--test" ] || [ -z "${MONGODB_URI:-}" ]; } &&
  ! command -v "${JAVA_HOME:+$JAVA_HOME/bin/}javac" >/dev/null 2>&1; then
  install_debian_packages default-jdk-headless
fi
node --import tsx src/stack/cli.ts setup

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium)
  if [ -z "${SCHEMATHESIS_PATH:-}" ]; then
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  fi
  if [ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
    command -v "${JAVA_HOME:+$JAVA_HOME/bin/}javac" >/dev/null 2>&1 || missing+=(default-jdk-headless)
  fi
  if [ ${#missing[@]} -gt 0 ]; then install_debian_packages "${missing[@]}"; fi
  node --import tsx src/stack/cli.ts setup-test
fi
