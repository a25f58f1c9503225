#!/usr/bin/env bash
# Builds (once, cached outside the checkout) what `npm run start:cluster` runs: Temporal server and
# its SQL tool, and the Temporal Web UI server. Run by `npm install` (postinstall, which ignores its
# status) and by scripts/test-deps.sh. Says in one line what could not be had; exits 1 when the
# server is missing (the UI is optional).
cd "$(dirname "$0")"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! bash temporal-server.sh >/dev/null 2>"$err"; then
  echo "herald: Temporal server not provisioned for npm run start:cluster and its tests: $(grep '^herald:' "$err" | tail -n 1 | sed 's/^herald: //')" >&2
  exit 1
fi
bash temporal-ui.sh >/dev/null 2>"$err" || grep '^herald:' "$err" | tail -n 1 >&2
exit 0
