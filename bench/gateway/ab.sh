#!/usr/bin/env bash
# Same-run A/B of two builds of the gateway: the commit BEFORE (default
# HEAD~1) as A and the working tree as B, both up at once against one local
# upstream, loaded in turn at RATE req/s for DUR per round with the order
# alternating, then the medians of p50, p99 and CPU per request (user +
# system time of the gateway process from /proc/PID/stat).
# Environment: BEFORE (a git revision), DURABLE (1, the default: the
# production storage, SQLite with synchronous=FULL and hashed keys; 0: the
# in-memory gateway), ROUNDS (5), DUR (6s), RATE (1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=${BEFORE:-HEAD~1} DURABLE=${DURABLE:-1} ROUNDS=${ROUNDS:-5} DUR=${DUR:-6s} RATE=${RATE:-1000}
OUT=$(mktemp -d)
git worktree add -q --detach "$OUT/before" "$BEFORE"
trap 'git worktree remove --force "$OUT/before"' EXIT
(cd "$OUT/before" && go build -o "$OUT/gb-a" ./bench/gateway)
go build -o "$OUT/gb-b" ./bench/gateway
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; git worktree remove --force "$OUT/before"; }
trap cleanup EXIT
"$OUT/gb-b" upstream -addr 127.0.0.1:18001 2>/dev/null & pids+=($!)
sleep 0.5
declare -A PID PORT KEY
PORT[A]=18006 PORT[B]=18016
for t in A B; do
  bin=$OUT/gb-a; [ $t = B ] && bin=$OUT/gb-b
  args=(-addr "127.0.0.1:${PORT[$t]}" -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18001/v1)
  if [ "$DURABLE" = 1 ]; then args+=(-data "$OUT/data-$t" -key-file "$OUT/key-$t"); fi
  "$bin" gateway "${args[@]}" 2>/dev/null & PID[$t]=$!; pids+=($!)
done
sleep 3
for t in A B; do
  KEY[$t]=sk-attest-bench
  if [ "$DURABLE" = 1 ]; then KEY[$t]=$(cat "$OUT/key-$t"); fi
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq "$ROUNDS"); do
  order="A B"; [ $((r % 2)) = 0 ] && order="B A"
  for t in $order; do
    c0=$(cpu "${PID[$t]}")
    j=$("$OUT/gb-b" load -name "$t" -url "http://127.0.0.1:${PORT[$t]}/v1/chat/completions" -duration "$DUR" -rate "$RATE" -header "Authorization: Bearer ${KEY[$t]}")
    c1=$(cpu "${PID[$t]}")
    printf '%s\t%s\t%s\n' "$t" "$((c1 - c0))" "$j" >>"$OUT/res.txt"
    sleep 2
  done
done
python3 - "$OUT/res.txt" "$(getconf CLK_TCK)" "$DUR" <<'PY'
import json, statistics, sys
ticks, secs = int(sys.argv[2]), float(sys.argv[3].rstrip('s'))
rows = {}
for line in open(sys.argv[1]):
    t, c, j = line.rstrip('\n').split('\t', 2)
    d = json.loads(j)
    n = d['achieved_rps'] * secs
    rows.setdefault(t, []).append((d['p50_us'], d['p99_us'], int(c) / ticks * 1e6 / n))
for t, name in (('A', 'before'), ('B', 'after')):
    print(f"{name}: rounds (p50, p99, cpu/req µs) {[tuple(round(x) for x in r) for r in rows[t]]}")
    m = [statistics.median(r[i] for r in rows[t]) for i in range(3)]
    print(f"{name}: median p50 {m[0]:.0f} µs, p99 {m[1]:.0f} µs, CPU per request {m[2]:.0f} µs")
PY
