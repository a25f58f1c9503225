#!/usr/bin/env bash
# npm start: installs what is missing, then runs the whole system in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then echo "herald: Node.js 20 or newer is required (https://nodejs.org)." >&2; exit 1; fi
if [ ! -d node_modules/@temporalio/worker ] || [ ! -d node_modules/better-sqlite3/build ]; then
  echo "herald: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund
fi
# Compiled JavaScript (scripts/compiled.js: compiled again first when a source changed), start.ts and its children alike.
exec node scripts/compiled.js scripts/start "$@"
