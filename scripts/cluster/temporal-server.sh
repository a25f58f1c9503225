#!/usr/bin/env bash
# Prints, as its last line, a directory holding a working `temporal-server` (Temporal server v1.29.1,
# every service in one binary) and `temporal-sql-tool` (its schema tool, schemas embedded).
# Order: $TEMPORAL_SERVER_DIR; a cached build in the per-user cache; a fresh build there with
# `go install` through the Go module proxy (once; offline afterwards). Never downloads a prebuilt binary.
set -euo pipefail

version="v1.29.1"
cache_root="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
cache_dir="$cache_root/temporal-server-$version"

works() { [ -x "$1/temporal-server" ] && [ -x "$1/temporal-sql-tool" ] && "$1/temporal-sql-tool" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_SERVER_DIR:-}" ]; then
  if works "$TEMPORAL_SERVER_DIR"; then echo "$TEMPORAL_SERVER_DIR"; exit 0; fi
  echo "herald: TEMPORAL_SERVER_DIR=$TEMPORAL_SERVER_DIR has no working temporal-server and temporal-sql-tool; unset it or point it at them." >&2
  exit 1
fi
if works "$cache_dir"; then echo "$cache_dir"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "herald: no Temporal server for npm run start:cluster; install Go >= 1.25 (then rerun npm install) or set TEMPORAL_SERVER_DIR." >&2
  exit 1
fi

mkdir -p "$cache_dir"
build() {
  # Another process may have finished the build while we waited for the lock.
  if works "$cache_dir"; then return 0; fi
  echo "herald: building Temporal server $version and its SQL tool into $cache_dir (once; a few minutes)…" >&2
  local tmp; tmp=$(mktemp -d "$cache_dir/.build.XXXXXX")
  if ( cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod \
       go install "go.temporal.io/server/cmd/server@$version" "go.temporal.io/server/cmd/tools/sql@$version" ) >&2; then
    mv -f "$tmp/sql" "$cache_dir/temporal-sql-tool"
    mv -f "$tmp/server" "$cache_dir/temporal-server"
    rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  return 1
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_dir/.build.lock"
  flock 9
fi
if build && works "$cache_dir"; then echo "$cache_dir"; exit 0; fi
echo "herald: could not build the Temporal server with Go; set TEMPORAL_SERVER_DIR to a directory with temporal-server and temporal-sql-tool (see README)." >&2
exit 1
