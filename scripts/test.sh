#!/usr/bin/env bash
# npm test: type-check, then every test (unit, workflow, end-to-end) against a dev server started here.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/@temporalio/worker ]; then
  echo "herald: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund
fi
bash scripts/test-deps.sh
exec node --import tsx scripts/runTests.ts "$@"
