#!/usr/bin/env bash
# Same-run A/B of the collector's target: two in-memory gateways, one with
# GOGC=$A_GOGC (default 100, Go's default) and one with GOGC=$B_GOGC (default
# 400, attest's default), up at once against one local upstream, loaded in
# turn at RATE req/s for DUR per round, with the order alternating each
# round, and the upstream measured directly after them. Prints every round
# and the medians, and each gateway's RSS when idle and after the load.
# Environment: ROUNDS (6), DUR (6s), RATE (1000), A_GOGC, B_GOGC, STREAM (1
# for streamed answers); A_ENV or B_ENV replace GOGC=... with other
# variables for that gateway, such as B_ENV=GOMEMLIMIT=256MiB (and
# A_ENV=ATTEST_GC_PERCENT=400 for attest's plain default).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-6} DUR=${DUR:-6s} RATE=${RATE:-1000}
OUT=$(mktemp -d)
BIN=$OUT/gateway-bench
go build -o "$BIN" ./bench/gateway
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$BIN" upstream -addr 127.0.0.1:18001 2>/dev/null & pids+=($!)
sleep 0.5
env ${A_ENV:-GOGC=${A_GOGC:-100}} "$BIN" gateway -addr 127.0.0.1:18002 -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18001/v1 2>/dev/null & A=$!; pids+=($A)
env ${B_ENV:-GOGC=${B_GOGC:-400}} "$BIN" gateway -addr 127.0.0.1:18012 -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18001/v1 2>/dev/null & B=$!; pids+=($B)
sleep 3
echo "idle RSS MiB: A $("$BIN" rss -pid $A), B $("$BIN" rss -pid $B)"
for r in $(seq "$ROUNDS"); do
  order="A B direct"; [ $((r % 2)) = 0 ] && order="B A direct"
  for t in $order; do
    url=http://127.0.0.1:18001 auth=()
    case $t in
      A) url=http://127.0.0.1:18002 auth=(-header "Authorization: Bearer sk-attest-bench") ;;
      B) url=http://127.0.0.1:18012 auth=(-header "Authorization: Bearer sk-attest-bench") ;;
    esac
    printf '%s\t' "$t" >>"$OUT/res.txt"
    "$BIN" load -name "$t" -url "$url/v1/chat/completions" -duration "$DUR" -rate "$RATE" ${STREAM:+-stream} "${auth[@]}" >>"$OUT/res.txt"
  done
done
sleep 3
echo "RSS after load MiB: A $("$BIN" rss -pid $A), B $("$BIN" rss -pid $B)"
python3 - "$OUT/res.txt" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    t, j = line.split('\t', 1)
    rows.setdefault(t, []).append(json.loads(j))
for i in range(len(rows['A'])):
    print(f"round {i+1}:", "  ".join(f"{t} p50 {rows[t][i]['p50_us']:.0f} p99 {rows[t][i]['p99_us']:.0f}" for t in ('A', 'B', 'direct')))
med = {t: {k: statistics.median(r[k] for r in rows[t]) for k in ('p50_us', 'p99_us')} for t in rows}
for t in ('A', 'B', 'direct'):
    print(f"median {t}: p50 {med[t]['p50_us']:.0f} µs, p99 {med[t]['p99_us']:.0f} µs")
d = med['direct']
for t in ('A', 'B'):
    print(f"added by {t}: p50 {med[t]['p50_us'] - d['p50_us']:.0f} µs, p99 {med[t]['p99_us'] - d['p99_us']:.0f} µs")
print(f"B/A p99: {med['B']['p99_us'] / med['A']['p99_us']:.2f}")
PY
