#!/usr/bin/env bash
# What the end-to-end tests drive for real: Debian's Chromium (browser tests, with a CJK font for
# zh-TW), PostgreSQL (the store on a real server) and Prometheus Alertmanager (a real monitoring
# sender), and the Temporal server the cluster tests run (built once with Go, cached, like the CLI).
# Installs what is missing when it can (root with apt-get); otherwise says in one line what is
# missing and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-wqy-zenhei)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "herald: installing test dependencies: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "herald: the tests need Debian packages that are missing: ${missing[*]} (install them with apt-get, as root)" >&2
    exit 1
  fi
fi
# npm install builds it in its postinstall; this catches an install that skipped scripts or had no Go then.
bash scripts/cluster/provision.sh
