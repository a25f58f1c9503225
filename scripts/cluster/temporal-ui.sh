#!/usr/bin/env bash
# Prints, as its last line, the path of a working `temporal-ui-server` (Temporal's Web UI server
# v2.42.1, the UI the CLI's dev server embeds, with its assets compiled in), or fails with one line.
# Order: $TEMPORAL_UI_SERVER; a cached build in the per-user cache; a fresh build there with
# `go install github.com/temporalio/ui-server/v2/cmd/server` through the Go module proxy (once).
set -euo pipefail

version="v2.42.1"
cache_root="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
cache_dir="$cache_root/temporal-ui-$version"
cached="$cache_dir/temporal-ui-server"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_UI_SERVER:-}" ]; then
  if works "$TEMPORAL_UI_SERVER"; then echo "$TEMPORAL_UI_SERVER"; exit 0; fi
  echo "herald: TEMPORAL_UI_SERVER=$TEMPORAL_UI_SERVER is not a working Temporal UI server; unset it or point it at one." >&2
  exit 1
fi
if works "$cached"; then echo "$cached"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "herald: no Temporal Web UI for the cluster (Go is needed once to build it); the cluster runs without it." >&2
  exit 1
fi

mkdir -p "$cache_dir"
build() {
  if works "$cached"; then return 0; fi
  echo "herald: building the Temporal Web UI server $version into $cache_dir (once)…" >&2
  local tmp; tmp=$(mktemp -d "$cache_dir/.build.XXXXXX")
  if ( cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod \
       go install "github.com/temporalio/ui-server/v2/cmd/server@$version" ) >&2; then
    mv -f "$tmp/server" "$cached"
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
if build && works "$cached"; then echo "$cached"; exit 0; fi
echo "herald: could not build the Temporal Web UI server with Go; the cluster runs without it (or set TEMPORAL_UI_SERVER)." >&2
exit 1
