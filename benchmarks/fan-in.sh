#!/usr/bin/env bash
# Fan-in benchmark (issue 13): many clients each sending small batches, against one client sending
# 1,000-txn batches, before and after the leader inbox. See docs/performance.md, "Fan-in
# benchmark". Not run by CI; takes about 1 h 45 min with the defaults
# (`SIDES=AFTER` halves it; `INSTANCES=64` leaves 4 configurations of 7).
#
#   mvn -B -o -q package -pl sequencer-cli -am -DskipTests
#   benchmarks/fan-in.sh                                  # BEFORE built from main, AFTER this tree
#   ROUNDS=5 DURATION=20s benchmarks/fan-in.sh
#   BEFORE_DIST=/x/dist AFTER_DIST=/y/dist benchmarks/fan-in.sh
#   DURATION=3s WARMUP=2s ROUNDS=1 QUIET_WAIT=0 benchmarks/fan-in.sh    # a smoke test
#
# Each run starts a fresh `sequencer local-cluster` (3 members in one JVM, fsync on, ephemeral
# ports, a new data directory), runs `sequencer bench` of the same distribution against it (its
# warm-up, then the measured window) and stops the cluster. Per round, each configuration runs
# on both builds, BEFORE first in odd rounds and AFTER first in even ones, so the two builds
# alternate through whatever the machine does meanwhile:
#
#   fan-N     N client instances, one thread each, 10-txn batches of 100-byte payloads, N in
#             INSTANCES (1 8 32 64), as fast as they go with FAN_OUTSTANDING txns outstanding
#   ref-1000  1 client instance, 4 threads, 1,000-txn batches (the batching reference)
#   half-N    fan-N of the largest N at half the txns/s its saturated run reached in this round
#   unloaded  1 instance, 1 thread, batches of 1 txn at UNLOADED_RATE txns/s
#
# From each bench summary: txns/s, entries/s (epochs applied, one per Raft entry, from a scrape of
# the leader's /metrics at both ends of the window), txns per epoch, p50/p99 submit-to-commit, and
# the cluster JVM's CPU time (utime + stime) over the window divided by the entries applied in it.
# At the end: medians per configuration and build, and the fan-N / ref-1000 throughput ratio
# (median of the per-round ratios).
#
# Environment (defaults in brackets):
#   BEFORE_DIST    a distribution directory (bin/sequencer, lib/) [built from BEFORE_REF]
#   BEFORE_REF     git ref to build BEFORE from [main]; its source comes from `git archive` into a
#                  temporary directory, with this tree's BenchCommand, ClusterProbe, Pacer and
#                  SendLoop copied over it so that both builds are measured by the same bench
#   AFTER_DIST     [this tree's sequencer-cli/target/dist]
#   ROUNDS [3]  DURATION [15s]  WARMUP [120s: each run starts new JVMs, which compile their
#                  per-entry paths for 1-2 minutes (docs/performance.md, "Where the time goes")]
#                  INSTANCES [1 8 32 64]  UNLOADED_RATE [50]
#   FAN_OUTSTANDING [50] --max-outstanding of the fan-N and half-N threads: the 4 batches a client
#                  keeps in flight and one filling, so that the saturated latency is the cluster's
#                  and not a queue in the bench (the bench's default, 2,500, would queue seconds)
#   FAN_OPTS []    more bench options for the fan-N and half-N runs, e.g. `--submit-all
#                  --direct-callbacks --drivers 2` (docs/performance.md, "Pacing in ticks")
#   LOAD_MAX [1.0]       wait until the 1-minute load average is below this before starting
#   QUIET_WAIT [1]       0: do not wait for a quiet machine (smoke tests only)
#   QUIET_TIMEOUT [3600] seconds to wait for it before giving up
#   LOCK [/tmp/calvinseq-bench.lock]  held for the whole run: two benchmarks never run at once
#   SIDES [BEFORE AFTER] the builds to run; SIDES=AFTER measures this tree alone (no BEFORE build)
#   JAVA_OPTS            passed to both JVMs; KEEP=1 keeps the temporary directory and its logs
#   CLUSTER_JAVA_OPTS    the cluster JVM's heap [fixed at a quarter of the memory and touched at
#                        start]; see benchmarks/lib-bench.sh
#   CLUSTER_PROCESSES [0] 1: the cluster as three `sequencer node` processes (one JVM per member,
#                        as deployed, each with a third of that heap) instead of `local-cluster`
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds="${ROUNDS:-3}"
duration="${DURATION:-15s}"
warmup="${WARMUP:-120s}"
instances="${INSTANCES:-1 8 32 64}"
unloaded_rate="${UNLOADED_RATE:-50}"
fan_outstanding="${FAN_OUTSTANDING:-50}"
read -r -a fan_opts <<<"${FAN_OPTS:-}"
load_max="${LOAD_MAX:-1.0}"
quiet_wait="${QUIET_WAIT:-1}"
quiet_timeout="${QUIET_TIMEOUT:-3600}"
lock="${LOCK:-/tmp/calvinseq-bench.lock}"
before_ref="${BEFORE_REF:-main}"
after_dist="${AFTER_DIST:-$root/sequencer-cli/target/dist}"
read -r -a sides <<<"${SIDES:-BEFORE AFTER}"
largest="$(tr ' ' '\n' <<<"$instances" | sort -n | tail -1)"

# shellcheck source=benchmarks/lib-bench.sh
. "$here/lib-bench.sh"

work="$(mktemp -d /tmp/calvinseq-fan-in.XXXXXX)"
cleanup() {
  bench_stop
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_lock "$lock"

if [[ -z "${BEFORE_DIST:-}" && " ${sides[*]} " == *" BEFORE "* ]]; then
  src="$work/before-src"
  echo "building BEFORE from $before_ref in $src" >&2
  mkdir -p "$src"
  git -C "$root" archive "$before_ref" | tar -x -C "$src"
  cli="sequencer-cli/src/main/java/org/calvinseq/cli"
  cp "$root/$cli/BenchCommand.java" "$root/$cli/ClusterProbe.java" "$root/$cli/Pacer.java" \
    "$root/$cli/SendLoop.java" "$src/$cli/"
  (cd "$src" && mvn -B -o -q package -pl sequencer-cli -am -DskipTests) >"$work/before-build.log" 2>&1 ||
    { cat "$work/before-build.log" >&2; exit 1; }
  BEFORE_DIST="$src/sequencer-cli/target/dist"
fi
declare -A dists=([BEFORE]="${BEFORE_DIST:-}" [AFTER]="$after_dist")
for side in "${sides[@]}"; do
  seq="${dists[$side]}/bin/sequencer"
  [[ -x "$seq" ]] || { echo "$side: no $seq (mvn -B -o -q package -pl sequencer-cli -am -DskipTests)" >&2; exit 1; }
  "$seq" bench --help | grep -q -- --client-instances ||
    { echo "$side: $seq bench has no --client-instances (a build before the fan-in bench)" >&2; exit 1; }
done

LOAD_MAX="$load_max" QUIET_WAIT="$quiet_wait" QUIET_TIMEOUT="$quiet_timeout" bench_wait_quiet

results="$work/results.tsv"
: >"$results"
run=0

# run_one SIDE ROUND CONFIG bench-args...: one fresh cluster, one bench; appends a row to $results.
run_one() {
  local side=$1 round=$2 config=$3
  shift 3
  bench_run "${dists[$side]}/bin/sequencer" "$work/run-$((++run))" --warmup "$warmup" \
    --duration "$duration" --txn-size 100 "$@"
  # side round config txns/s entries/s txns/epoch p50 p99 cpu/entry errors load
  printf '%s\t%s\t%s\t%s\t%s\n' "$side" "$round" "$config" \
    "$(bench_fields "$bench_summary" | cut -f1-7)" "$bench_load" >>"$results"
  printf '%-6s round %s %-9s %s; %s\n' "$side" "$round" "$config" "${bench_summary#*: }" \
    "$bench_mem" >&2
}

for ((round = 1; round <= rounds; round++)); do
  # Odd rounds run BEFORE first, even rounds AFTER first: with a fixed order a drift of the
  # machine reads as a difference between the builds (docs/performance.md).
  order=("${sides[@]}")
  if ((round % 2 == 0)); then
    order=()
    for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[i]}"); done
  fi
  for n in $instances; do
    for side in "${order[@]}"; do
      run_one "$side" "$round" "fan-$n" --clients "$n" --client-instances "$n" --batch-size 10 \
        --max-outstanding "$fan_outstanding" "${fan_opts[@]}"
    done
  done
  for side in "${order[@]}"; do
    run_one "$side" "$round" ref-1000 --clients 4 --client-instances 1 --batch-size 1000
  done
  for side in "${order[@]}"; do
    saturated="$(awk -F'\t' -v s="$side" -v r="$round" -v c="fan-$largest" \
      '$1 == s && $2 == r && $3 == c { printf "%d", $4 / 2 }' "$results")"
    if [[ -z "$saturated" || "$saturated" -lt 1 ]]; then
      echo "$side round $round: no saturated fan-$largest rate; skipping half-$largest" >&2
      continue
    fi
    run_one "$side" "$round" "half-$largest" --clients "$largest" --client-instances "$largest" \
      --batch-size 10 --max-outstanding "$fan_outstanding" --rate "$saturated" "${fan_opts[@]}"
  done
  for side in "${order[@]}"; do
    run_one "$side" "$round" unloaded --clients 1 --client-instances 1 --batch-size 1 --rate "$unloaded_rate"
  done
done

echo
echo "medians over $rounds round(s); $duration measured after $warmup of warm-up; BEFORE=${dists[BEFORE]} AFTER=${dists[AFTER]}"
python3 - "$results" "$instances" "$largest" <<'EOF'
import statistics, sys
from collections import defaultdict
path, instances, largest = sys.argv[1], sys.argv[2].split(), sys.argv[3]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
cols = ["txns/s", "entries/s", "txns/epoch", "p50 ms", "p99 ms", "cpu ms/entry", "errors"]
by = defaultdict(list)
for r in rows:
    by[(r[2], r[0])].append([float(x) for x in r[3:10]])
def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")
configs = ["fan-" + n for n in instances] + ["ref-1000", "half-" + largest, "unloaded"]
print(f"{'config':<10} {'build':<6} {'runs':>4} " + " ".join(f"{c:>12}" for c in cols))
for c in configs:
    for side in ("BEFORE", "AFTER"):
        runs = by.get((c, side))
        if not runs:
            continue
        m = [med([r[i] for r in runs]) for i in range(len(cols))]
        print(f"{c:<10} {side:<6} {len(runs):>4} " + " ".join(f"{v:>12,.2f}" if i in (2, 3, 4, 5) else f"{v:>12,.0f}" for i, v in enumerate(m)))
def tput(side, config):
    return {r[1]: float(r[3]) for r in rows if r[0] == side and r[2] == config}
print()
for side in ("BEFORE", "AFTER"):
    fan, ref = tput(side, "fan-" + largest), tput(side, "ref-1000")
    if not fan:
        continue
    ratios = [fan[k] / ref[k] for k in fan if k in ref and ref[k] > 0]
    shown = ", ".join(f"{x:.2f}" for x in ratios)
    print(f"{side:<6} fan-{largest} / ref-1000 throughput: median {med(ratios):.2f} (rounds: {shown}); target >= 0.9")
for side in ("BEFORE", "AFTER"):
    half = by.get(("half-" + largest, side), [])
    idle = by.get(("unloaded", side), [])
    if not half and not idle:
        continue
    print(f"{side:<6} half-{largest} p99 {med([r[4] for r in half]):.2f} ms (target <= 50);"
          f" unloaded p99 {med([r[4] for r in idle]):.2f} ms (target <= 15)")
EOF
