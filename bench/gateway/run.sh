#!/usr/bin/env bash
# Reproduces the gateway benchmark figures on loopback and prints a table
# of medians over RUNS runs:
#   - added latency at RATE req/s with 1 KB prompts (auth, limits, abuse
#     detection and write-ahead audit on), for the attest gateway, a bare
#     httputil.ReverseProxy hop and the Portkey gateway, each against the
#     same local upstream measured directly in the same run;
#   - added time to first token on streamed answers;
#   - throughput against an upstream that takes 20 ms;
#   - idle RSS of the gateway.
# Environment: RUNS (5), DUR (10s), RATE (1000), STREAM_RATE (500),
# TPUT_RATE (3000), PORTKEY (1 to include Portkey, installed with npm into
# a cache directory), DURABLE (1 to add attest on its production storage:
# SQLite, the durable ledger and hashed keys; SYNC picks its synchronous
# pragma, FULL by default as in production), HELPER_PROCS (GOMAXPROCS of
# the load generator and the upstreams; unset leaves Go's default), PIN (1 to pin the load
# generator to CPU 1 and the upstreams to CPU 0 with taskset; the proxy and
# the gateways are never pinned), RELAY (1 to add a raw TCP relay, the floor
# of any hop), GW_PROCS (GOMAXPROCS of the bare proxy and
# the in-memory gateway, for experiments), OUT (results directory).
#
# Fairness: every target gets the same helpers, the same pinning and the
# same warm-up, and the order of direct, proxy and attest rotates from run
# to run so that a change in machine load does not favour one of them.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
DUR=${DUR:-10s}
RATE=${RATE:-1000}
STREAM_RATE=${STREAM_RATE:-500}
TPUT_RATE=${TPUT_RATE:-3000}
PORTKEY=${PORTKEY:-1}
DURABLE=${DURABLE:-1}
HELPER_PROCS=${HELPER_PROCS:-}
PIN=${PIN:-0}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
BIN="$OUT/gateway-bench"
RES="$OUT/results.txt"
: >"$RES"
go build -o "$BIN" ./bench/gateway

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

LOADPIN=() UPPIN=()
if [ "$PIN" = 1 ]; then LOADPIN=(taskset -c 1) UPPIN=(taskset -c 0); fi
env ${HELPER_PROCS:+GOMAXPROCS=$HELPER_PROCS} "${UPPIN[@]}" "$BIN" upstream -addr 127.0.0.1:18001 2>/dev/null & pids+=($!)
env ${HELPER_PROCS:+GOMAXPROCS=$HELPER_PROCS} "${UPPIN[@]}" "$BIN" upstream -addr 127.0.0.1:18004 -delay 20ms 2>/dev/null & pids+=($!)
sleep 0.5
env ${GW_PROCS:+GOMAXPROCS=$GW_PROCS} "$BIN" gateway -addr 127.0.0.1:18002 -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18004/v1 2>/dev/null & GW=$!; pids+=($GW)
TARGETS=(direct proxy gateway)
if [ "$DURABLE" = 1 ]; then
  mkdir -p "$OUT/data"
  "$BIN" gateway -addr 127.0.0.1:18006 -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18004/v1 \
    -data "$OUT/data" -sync "${SYNC:-FULL}" -key-file "$OUT/key" 2>/dev/null & pids+=($!)
  TARGETS+=(durable)
fi
env ${GW_PROCS:+GOMAXPROCS=$GW_PROCS} "$BIN" proxy -addr 127.0.0.1:18003 -upstream http://127.0.0.1:18001 2>/dev/null & pids+=($!)
"$BIN" proxy -addr 127.0.0.1:18005 -upstream http://127.0.0.1:18004 2>/dev/null & pids+=($!)
if [ "${RELAY:-0}" = 1 ]; then
  "$BIN" relay -addr 127.0.0.1:18009 -upstream 127.0.0.1:18001 2>/dev/null & pids+=($!)
  TARGETS+=(relay)
fi

PK_HDR=()
if [ "$PORTKEY" = 1 ]; then
  PKDIR=${PORTKEY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-bench/portkey}
  if [ ! -f "$PKDIR/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
    mkdir -p "$PKDIR"
    (cd "$PKDIR" && npm init -y >/dev/null && npm install --no-audit --no-fund @portkey-ai/gateway >/dev/null 2>&1)
  fi
  node "$PKDIR/node_modules/@portkey-ai/gateway/build/start-server.js" --port=18787 >"$OUT/portkey.log" 2>&1 & pids+=($!)
  PK_HDR=(-header "x-portkey-provider: openai" -header "Authorization: Bearer sk-bench")
fi
sleep 3

echo "idle_rss_mib	$("$BIN" rss -pid "$GW")" >>"$RES"

load() { # phase name url [flags...]
  local phase=$1 name=$2 url=$3; shift 3
  printf '%s\t' "$phase" >>"$RES"
  env ${HELPER_PROCS:+GOMAXPROCS=$HELPER_PROCS} "${LOADPIN[@]}" "$BIN" load -name "$name" -url "$url" -duration "$DUR" "$@" >>"$RES" || echo "{}" >>"$RES"
}
AUTH=(-header "Authorization: Bearer sk-attest-bench")
target() { # phase name
  local url=http://127.0.0.1:18001 slow=http://127.0.0.1:18004 auth=() model=()
  case $2 in
    proxy) url=http://127.0.0.1:18003 slow=http://127.0.0.1:18005 ;;
    relay) url=http://127.0.0.1:18009 ;;
    gateway) url=http://127.0.0.1:18002 slow=$url auth=("${AUTH[@]}") model=(-model bench-slow) ;;
    durable) url=http://127.0.0.1:18006 slow=$url auth=(-header "Authorization: Bearer $(cat "$OUT/key")") model=(-model bench-slow) ;;
  esac
  case $1 in
    latency) load latency "$2" "$url/v1/chat/completions" -rate "$RATE" "${auth[@]}" ;;
    stream) load stream "$2" "$url/v1/chat/completions" -rate "$STREAM_RATE" -stream "${auth[@]}" ;;
    throughput) [ "$2" = relay ] && return 0  # the relay has no slow route
      load throughput "$2" "$slow/v1/chat/completions" -rate "$TPUT_RATE" "${model[@]}" "${auth[@]}"
      # A saturated durable gateway keeps writing for a while; let it
      # settle so that its backlog does not land on the next target.
      if [ "$2" = durable ]; then sleep 10; fi ;;
  esac
}
n=${#TARGETS[@]}
for run in $(seq "$RUNS"); do
  echo "run $run of $RUNS" >&2
  for phase in latency stream throughput; do
    for i in $(seq 0 $((n - 1))); do
      target "$phase" "${TARGETS[$(((i + run - 1) % n))]}"
    done
  done
done
# Portkey runs last: once it saturates, node keeps working off its backlog
# for many seconds, which would slow whatever ran next.
if [ "$PORTKEY" = 1 ]; then
  for run in $(seq "$RUNS"); do
    echo "portkey run $run of $RUNS" >&2
    load latency portkey http://127.0.0.1:18787/v1/chat/completions -rate "$RATE" -model bench-model "${PK_HDR[@]}" -header "x-portkey-custom-host: http://127.0.0.1:18001/v1"
    sleep 15
    load stream portkey http://127.0.0.1:18787/v1/chat/completions -rate "$STREAM_RATE" -stream -model bench-model "${PK_HDR[@]}" -header "x-portkey-custom-host: http://127.0.0.1:18001/v1"
    sleep 15
    load throughput portkey http://127.0.0.1:18787/v1/chat/completions -rate "$TPUT_RATE" -model bench-model "${PK_HDR[@]}" -header "x-portkey-custom-host: http://127.0.0.1:18004/v1"
    sleep 15
  done
fi
sleep 5
echo "rss_after_load_mib	$("$BIN" rss -pid "$GW")" >>"$RES"
echo "results: $RES" >&2
"$BIN" report -in "$RES"
