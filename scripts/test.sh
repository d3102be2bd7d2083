#!/usr/bin/env bash
# The whole test suite: unit, conformance (SQLite and PostgreSQL), crash,
# SDK, fuzz seed corpora and browser tests, with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  export ATTEST_TEST_DATABASE_URL="${ATTEST_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null
else
  echo "test: PostgreSQL is not reachable on 127.0.0.1:5432; its conformance suite will be skipped" >&2
fi

mkdir -p .artifacts
go vet ./...
go test -race -timeout 20m "$@" ./...

# Interoperability: Tessera's own C2SP tiles client verifies attest's ledger.
# It is a separate module so Tessera's dependencies stay out of the binary.
(cd bench/tessera && go test -timeout 10m ./...)

# Interoperability: transparency-dev's witness cosigns attest's checkpoints,
# and its client gets cosignatures from 'attest witness'. A separate module
# for the same reason; run.sh explains how it is built.
bench/witness/run.sh -timeout 10m
