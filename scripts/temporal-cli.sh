#!/usr/bin/env bash
# Prints, as its last line, the path of a working `temporal` binary (Temporal CLI v1.5.1).
# Order: $TEMPORAL_CLI; `temporal` on PATH; a cached build in the per-user cache; a fresh build
# there with `go install` (through the Go module proxy). Never downloads a prebuilt binary.
set -euo pipefail

version="v1.5.1"
cache_root="${HERALD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
cache_dir="$cache_root/temporal-$version"
cached="$cache_dir/temporal"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if works "$TEMPORAL_CLI"; then echo "$TEMPORAL_CLI"; exit 0; fi
  echo "herald: TEMPORAL_CLI=$TEMPORAL_CLI is not a working temporal binary; unset it or point it at one." >&2
  exit 1
fi

if on_path=$(command -v temporal 2>/dev/null) && works "$on_path"; then echo "$on_path"; exit 0; fi
if works "$cached"; then echo "$cached"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "herald: no Temporal CLI found; install Go >= 1.25 (then rerun npm install) or set TEMPORAL_CLI to a temporal binary." >&2
  exit 1
fi

mkdir -p "$cache_dir"
lock="$cache_dir/.build.lock"
build() {
  # Another process may have finished the build while we waited for the lock.
  if works "$cached"; then return 0; fi
  echo "herald: building Temporal CLI $version into $cache_dir (once; a few minutes)…" >&2
  local tmp; tmp=$(mktemp -d "$cache_dir/.build.XXXXXX")
  local -a attempts=("" "go1.25.5")
  for toolchain in "${attempts[@]}"; do
    if ( cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod ${toolchain:+GOTOOLCHAIN=$toolchain} \
         go install "github.com/temporalio/cli/cmd/temporal@$version" ) >&2; then
      mv -f "$tmp/temporal" "$cached"
      rm -rf "$tmp"
      return 0
    fi
    echo "herald: go install with ${toolchain:-the local Go toolchain} failed; trying the next option…" >&2
  done
  rm -rf "$tmp"
  return 1
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock 9
fi
if build && works "$cached"; then echo "$cached"; exit 0; fi
echo "herald: could not build the Temporal CLI with Go; set TEMPORAL_CLI to a temporal binary (see README)." >&2
exit 1
