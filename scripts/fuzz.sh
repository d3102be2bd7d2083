#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 20s).
# Their seed corpora already run in `make test`; this searches further.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${FUZZTIME:-20s}"
for pkg in $(go list ./...); do
  for fn in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $fn ($t)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$pkg"
  done
done
