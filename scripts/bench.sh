#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md. Run it on an otherwise idle
# machine: every figure is a median of several runs, and comparisons are
# measured in the same run. Large ledgers are built once under BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR="${BENCH_DIR:-/tmp/attest-bench}"
PG="${ATTEST_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
mkdir -p "$BENCH_DIR" bin
go build -o bin/attest ./cmd/attest
go build -o bin/ledgerbench ./bench/ledger

echo "== durable appends, ~400-byte events (SQLite, then PostgreSQL)"
bin/ledgerbench append -writers 64,512 -n 200000 -runs 5
bin/ledgerbench append -writers 512 -n 200000 -runs 5 -database "$PG"

echo "== attest vs Tessera (POSIX) in one run"
(cd bench/tessera && go run ./cmd/tesseracmp -n 200000 -runs 3)

if [ ! -f "$BENCH_DIR/10m/attest.db" ]; then
  echo "== building a 10-million-entry ledger (once)"
  bin/ledgerbench fill -data "$BENCH_DIR/10m" -n 10000000
fi
if [ ! -f "$BENCH_DIR/1m/attest.db" ]; then
  bin/ledgerbench fill -data "$BENCH_DIR/1m" -n 1000000
  bin/attest ledger checkpoint --data "$BENCH_DIR/1m" >/dev/null
fi

echo "== proofs on the 10M ledger"
for i in 1 2 3; do bin/ledgerbench proofs -data "$BENCH_DIR/10m" -n 50000; done

echo "== attest ledger verify of 1M entries"
for i in 1 2 3; do /usr/bin/time -f "%e s, max RSS %M KB" bin/attest ledger verify --data "$BENCH_DIR/1m"; done

echo "== server memory at 1M and 10M entries"
for d in 1m 10m; do
  tok=$(bin/attest keys create --data "$BENCH_DIR/$d" --role admin --name "bench-$RANDOM" 2>/dev/null | grep -o 'atk_[A-Za-z0-9_-]*')
  ATTEST_TOKEN="$tok" bin/ledgerbench rss -attest bin/attest -data "$BENCH_DIR/$d" -n 20000
done
