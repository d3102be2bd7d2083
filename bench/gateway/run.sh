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
# a cache directory), OUT (results directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
DUR=${DUR:-10s}
RATE=${RATE:-1000}
STREAM_RATE=${STREAM_RATE:-500}
TPUT_RATE=${TPUT_RATE:-3000}
PORTKEY=${PORTKEY:-1}
OUT=${OUT:-$(mktemp -d)}
BIN="$OUT/gateway-bench"
RES="$OUT/results.txt"
: >"$RES"
go build -o "$BIN" ./bench/gateway

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$BIN" upstream -addr 127.0.0.1:18001 2>/dev/null & pids+=($!)
"$BIN" upstream -addr 127.0.0.1:18004 -delay 20ms 2>/dev/null & pids+=($!)
sleep 0.5
"$BIN" gateway -addr 127.0.0.1:18002 -upstream http://127.0.0.1:18001/v1 -slow-upstream http://127.0.0.1:18004/v1 2>/dev/null & GW=$!; pids+=($GW)
"$BIN" proxy -addr 127.0.0.1:18003 -upstream http://127.0.0.1:18001 2>/dev/null & pids+=($!)
"$BIN" proxy -addr 127.0.0.1:18005 -upstream http://127.0.0.1:18004 2>/dev/null & pids+=($!)

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
  "$BIN" load -name "$name" -url "$url" -duration "$DUR" "$@" >>"$RES" || echo "{}" >>"$RES"
}
AUTH=(-header "Authorization: Bearer sk-attest-bench")
for run in $(seq "$RUNS"); do
  echo "run $run of $RUNS" >&2
  load latency direct  http://127.0.0.1:18001/v1/chat/completions -rate "$RATE"
  load latency proxy   http://127.0.0.1:18003/v1/chat/completions -rate "$RATE"
  load latency gateway http://127.0.0.1:18002/v1/chat/completions -rate "$RATE" "${AUTH[@]}"
  load stream direct  http://127.0.0.1:18001/v1/chat/completions -rate "$STREAM_RATE" -stream
  load stream proxy   http://127.0.0.1:18003/v1/chat/completions -rate "$STREAM_RATE" -stream
  load stream gateway http://127.0.0.1:18002/v1/chat/completions -rate "$STREAM_RATE" -stream "${AUTH[@]}"
  load throughput direct  http://127.0.0.1:18004/v1/chat/completions -rate "$TPUT_RATE"
  load throughput proxy   http://127.0.0.1:18005/v1/chat/completions -rate "$TPUT_RATE"
  load throughput gateway http://127.0.0.1:18002/v1/chat/completions -rate "$TPUT_RATE" -model bench-slow "${AUTH[@]}"
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
