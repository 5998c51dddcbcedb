#!/usr/bin/env bash
# Restart-to-ready time of one member against the size of its Raft log (docs/operations.md,
# "Restart time"). Not run by CI.
#
#   mvn -B -q package -DskipTests
#   benchmarks/restart-time.sh                    # logs of 100 MB and 1 GB, 3 restarts each
#   SIZES_MB="100 1000 3000" RUNS=5 benchmarks/restart-time.sh
#
# It starts three `sequencer node` processes on loopback with the default settings (snapshots
# every 10,000 entries, replay retention 100,000 entries, 32 MiB segments: with 1,000-txn batches
# of ~158 KB nothing is purged below ~15 GB), loads them with `sequencer bench` until n3's data
# directory holds the next size, then restarts n3 RUNS times (SIGTERM, start, same data) and
# prints, for each restart, the seconds from the start of the process until /health answers 200
# and until /ready answers 200, and the median of each. Extra node flags: NODE_FLAGS="...".
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
seq="$here/../sequencer-cli/target/dist/bin/sequencer"
sizes="${SIZES_MB:-100 1000}"
runs="${RUNS:-3}"
node_flags="${NODE_FLAGS:-}"
[[ -x "$seq" ]] || { echo "no $seq: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }

dir="$(mktemp -d /tmp/calvinseq-restart.XXXXXX)"
declare -A pids=()
cleanup() {
  for id in "${!pids[@]}"; do kill "${pids[$id]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A raft=() admin=()
for id in n1 n2 n3; do raft[$id]=$(free_port); admin[$id]=$(free_port); done
peers="n1@127.0.0.1:${raft[n1]},n2@127.0.0.1:${raft[n2]},n3@127.0.0.1:${raft[n3]}"

start() { # id
  local id=$1
  # shellcheck disable=SC2086
  "$seq" node --id "$id" --peers "$peers" --data-dir "$dir/$id" --admin-port "${admin[$id]}" \
    $node_flags >>"$dir/$id.log" 2>&1 &
  pids[$id]=$!
}
code() { curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:${admin[$1]}/$2" || true; }
wait_ready() { # id timeout_s
  local deadline=$((SECONDS + $2))
  until [[ "$(code "$1" ready)" == 200 ]]; do
    ((SECONDS < deadline)) || { echo "$1 not ready after $2 s; see $dir/$1.log" >&2; exit 1; }
    sleep 0.2
  done
}
mb() { du -sm "$dir/$1" | cut -f1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for id in n1 n2 n3; do start "$id"; done
for id in n1 n2 n3; do wait_ready "$id" 120; done
echo "cluster up: $peers (data in $dir)" >&2

for size in $sizes; do
  if (($(mb n3) < size)); then
    "$seq" bench --peers "$peers" --duration 3600s --warmup 1s --batch-size 1000 >"$dir/bench.log" 2>&1 &
    bench=$!
    while (($(mb n3) < size)); do
      kill -0 "$bench" 2>/dev/null || { echo "bench stopped; see $dir/bench.log" >&2; exit 1; }
      sleep 1
    done
    kill "$bench"; wait "$bench" 2>/dev/null || true
    for id in n1 n2 n3; do wait_ready "$id" 300; done
  fi
  health=() ready=()
  for ((run = 1; run <= runs; run++)); do
    kill "${pids[n3]}"; wait "${pids[n3]}" 2>/dev/null || true
    log_mb=$(mb n3)
    t0=$(date +%s.%N); start n3; h=""; r=""
    while [[ -z "$r" ]]; do
      now=$(date +%s.%N)
      if [[ -z "$h" && "$(code n3 health)" == 200 ]]; then h=$(echo "$now - $t0" | bc); fi
      if [[ "$(code n3 ready)" == 200 ]]; then r=$(echo "$now - $t0" | bc); fi
      if (($(echo "$now - $t0 > 600" | bc))); then echo "n3 not ready in 600 s" >&2; exit 1; fi
      sleep 0.1
    done
    [[ -n "$h" ]] || h=$r
    health+=("$h"); ready+=("$r")
    printf 'log %5d MB  restart %d/%d  health %6.2f s  ready %6.2f s\n' "$log_mb" "$run" "$runs" "$h" "$r"
  done
  printf 'log %5d MB  median      health %6.2f s  ready %6.2f s\n' "$(mb n3)" \
    "$(printf '%s\n' "${health[@]}" | median)" "$(printf '%s\n' "${ready[@]}" | median)"
done
