#!/usr/bin/env bash
# npm test: lint (with the type check), then every test (unit, workflow, end-to-end) against a dev server started here.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/@temporalio/worker ]; then
  echo "herald: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund
fi
bash scripts/test-deps.sh
# npm run lint holds the type check (one TypeScript program for both); HERALD_SKIP_TYPECHECK=1 skips them together.
if [ -z "${HERALD_SKIP_TYPECHECK:-}" ]; then
  npm run --silent lint
  export HERALD_SKIP_TYPECHECK=1
fi
exec node --import tsx scripts/runTests.ts "$@"
