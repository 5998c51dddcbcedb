# shellcheck shell=bash
# Shared by benchmarks/fan-in.sh and benchmarks/side-by-side.sh: sourced, not run.
#
#   bench_lock FILE        hold FILE's lock (flock, fd 9) until the script ends, waiting for it
#   bench_wait_quiet       wait for a 1-minute load average below LOAD_MAX [1.0], at most
#                          QUIET_TIMEOUT [3600] s; QUIET_WAIT=0 skips it (smoke tests only)
#   bench_run SEQ DIR ARGS...
#                          a fresh `SEQ local-cluster` (3 members in one JVM, fsync on, ephemeral
#                          ports) with its data and logs in DIR, then `SEQ bench --peers ...
#                          --metrics-url <leader admin> --cpu-pid <cluster pid> ARGS...`; stops the
#                          cluster, deletes its data directory (DIR keeps the logs) and sets
#                          bench_summary (the bench's summary line), bench_load (the load
#                          average as the bench started) and bench_mem (bench_memory then).
#                          The cluster JVM runs with
#                          CLUSTER_JAVA_OPTS after JAVA_OPTS [a fixed heap of a quarter of the
#                          memory, the JVM's default maximum, touched at start:
#                          -Xms<q>m -Xmx<q>m -XX:+AlwaysPreTouch], as operations.md advises for a
#                          node (docs/performance.md, "GC pauses and the tail"); set it empty for
#                          the JVM's defaults. With CLUSTER_PROCESSES=1 the cluster is instead
#                          three `SEQ node` processes (one JVM per member, as deployed: n1-n3 on
#                          127.0.0.1, free ports), each with a third of that heap unless
#                          CLUSTER_JAVA_OPTS says otherwise; the bench then gets the leader's admin
#                          endpoint and all three pids (their CPU added up)
#   bench_fields SUMMARY   prints, tab-separated, from a bench summary line: txns/s entries/s
#                          txns/epoch p50-ms p99-ms cpu-ms/entry errors cluster-cores client-cores
#                          bytes/txn ("nan" for what it lacks; no latency when nothing was answered)
#   bench_memory           prints the machine's free memory and page cache now, e.g. "free 21.9
#                          GiB, page cache 0.4 GiB": while a run's log pages come from free memory
#                          the platform faults each in, and the same build's cluster CPU per txn
#                          can differ by half (docs/performance.md, "Where the time goes, again")
#   bench_stop             stops what bench_run started (for the caller's EXIT trap)
#
# Processes are stopped by the pids this file started, never by name.

bench_cluster_pid=""
bench_cluster_pids=()
bench_client_pid=""
bench_summary=""
bench_load=""
bench_mem=""

bench_lock() {
  exec 9>"$1"
  if ! flock -n 9; then
    echo "another benchmark holds $1; waiting for it" >&2
    flock 9
  fi
}

bench_wait_quiet() {
  local load_max="${LOAD_MAX:-1.0}" quiet_timeout="${QUIET_TIMEOUT:-3600}" deadline
  [[ "${QUIET_WAIT:-1}" != 0 ]] || return 0
  deadline=$((SECONDS + quiet_timeout))
  until awk -v max="$load_max" '{ exit !($1 < max) }' /proc/loadavg; do
    ((SECONDS < deadline)) || { echo "load average still $(cut -d' ' -f1-3 /proc/loadavg) after $quiet_timeout s" >&2; exit 1; }
    echo "waiting for a quiet machine: load average $(cut -d' ' -f1-3 /proc/loadavg), want < $load_max" >&2
    sleep 15 &
    wait $!
  done
}

bench_stop_cluster() {
  local pid
  [[ -z "$bench_cluster_pid" ]] || bench_cluster_pids+=("$bench_cluster_pid")
  ((${#bench_cluster_pids[@]})) || return 0
  kill "${bench_cluster_pids[@]}" 2>/dev/null || true
  for pid in "${bench_cluster_pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  bench_cluster_pid=""
  bench_cluster_pids=()
}

bench_stop() {
  [[ -z "$bench_client_pid" ]] || kill "$bench_client_pid" 2>/dev/null || true
  bench_client_pid=""
  bench_stop_cluster
}

# Sets peers, admin (the leader's admin endpoint) and cpu_pids of bench_run.
bench_start_local_cluster() {
  local seq=$1 dir=$2 opts=$3 leader
  JAVA_OPTS="${JAVA_OPTS:-} $opts" "$seq" local-cluster --data-dir "$dir/data" >"$dir/cluster.log" 2>&1 &
  bench_cluster_pid=$!
  for _ in $(seq 1 1200); do
    grep -q '^leader: ' "$dir/cluster.log" && break
    kill -0 "$bench_cluster_pid" 2>/dev/null || { cat "$dir/cluster.log" >&2; exit 1; }
    sleep 0.1
  done
  peers="$(sed -n 's/^peers: //p' "$dir/cluster.log")"
  leader="$(sed -n 's/^leader: //p' "$dir/cluster.log")"
  admin="$(sed -n "s|^admin $leader: ||p" "$dir/cluster.log")"
  cpu_pids=$bench_cluster_pid
  [[ -n "$peers" && -n "$admin" ]] || { echo "no leader in 120 s; see $dir/cluster.log" >&2; exit 1; }
}

# Three `sequencer node` processes; sets peers, admin and cpu_pids of bench_run.
bench_start_nodes() {
  local seq=$1 dir=$2 opts=$3 ports i urls=() url
  read -r -a ports <<<"$(python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
  peers="n1@127.0.0.1:${ports[0]},n2@127.0.0.1:${ports[1]},n3@127.0.0.1:${ports[2]}"
  for i in 1 2 3; do
    JAVA_OPTS="${JAVA_OPTS:-} $opts" "$seq" node --id "n$i" --peers "$peers" \
      --data-dir "$dir/data/n$i" --admin-port 0 >"$dir/node-n$i.log" 2>&1 &
    bench_cluster_pids+=($!)
  done
  cpu_pids="$(IFS=,; echo "${bench_cluster_pids[*]}")"
  admin=""
  for _ in $(seq 1 1200); do
    urls=()
    for i in 1 2 3; do
      kill -0 "${bench_cluster_pids[$((i - 1))]}" 2>/dev/null || { cat "$dir/node-n$i.log" >&2; exit 1; }
      url="$(sed -n "s|^admin n$i: ||p" "$dir/node-n$i.log")"
      [[ -z "$url" ]] || urls+=("$url")
    done
    if ((${#urls[@]} == 3)); then
      for url in "${urls[@]}"; do
        if curl -sf "$url/status" | grep -q '"role" *: *"LEADER"'; then admin=$url; break 2; fi
      done
    fi
    sleep 0.1
  done
  [[ -n "$admin" ]] || { echo "no leader in 120 s; see $dir/node-n*.log" >&2; exit 1; }
}

bench_run() {
  local seq=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  local quarter peers admin cpu_pids
  quarter=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 4096))
  if [[ "${CLUSTER_PROCESSES:-0}" == 1 ]]; then
    bench_start_nodes "$seq" "$dir" "${CLUSTER_JAVA_OPTS--Xms$((quarter / 3))m -Xmx$((quarter / 3))m -XX:+AlwaysPreTouch}"
  else
    bench_start_local_cluster "$seq" "$dir" "${CLUSTER_JAVA_OPTS--Xms${quarter}m -Xmx${quarter}m -XX:+AlwaysPreTouch}"
  fi
  # shellcheck disable=SC2034 # read by the caller
  bench_load="$(cut -d' ' -f1 /proc/loadavg)"
  # shellcheck disable=SC2034 # read by the caller
  bench_mem="$(bench_memory)"
  "$seq" bench --peers "$peers" --metrics-url "$admin" --cpu-pid "$cpu_pids" "$@" \
    >"$dir/bench.log" 2>&1 &
  bench_client_pid=$!
  wait "$bench_client_pid" || true
  bench_client_pid=""
  bench_stop_cluster
  # A run at full speed writes gigabytes (three replicas' logs): a sitting of 16 runs kept them
  # all and filled the disk. The logs stay in DIR.
  rm -rf "$dir/data"
  bench_summary="$(grep '^summary ' "$dir/bench.log" | tail -1)"
  [[ -n "$bench_summary" ]] || { echo "bench printed no summary; see $dir/bench.log" >&2; tail -5 "$dir/bench.log" >&2; exit 1; }
}

bench_memory() {
  awk '/^MemFree:/ { f = $2 } /^Cached:/ { c = $2 }
    END { printf "free %.1f GiB, page cache %.1f GiB\n", f / 1048576, c / 1048576 }' /proc/meminfo
}

bench_fields() {
  python3 - "$1" <<'EOF'
import re, sys
s = sys.argv[1]
def num(pattern):
    m = re.search(pattern, s)
    return m.group(1).replace(",", "") if m and m.group(1) != "n/a" else "nan"
answered = num(r": ([\d,]+) txns,") not in ("0", "nan")
latency = lambda pattern: num(pattern) if answered else "nan"  # no receipt: no latency, not 0 ms
tps, mbs = num(r"([\d,.]+) txn/s"), num(r"([\d.]+) MB/s")
per_txn = f"{float(mbs) * 1e6 / float(tps):.1f}" if answered and float(tps) > 0 else "nan"
print("\t".join([tps, num(r"([\d,.]+) entries/s"), num(r"txns/epoch ([\d.]+|n/a)"),
                 latency(r"latency p50 ([\d.]+) ms"), latency(r" p99 ([\d.]+) ms"),
                 num(r"cpu/entry ([\d.]+) ms"), num(r"errors (\d+)"),
                 num(r"cluster cpu ([\d.]+) cores"), num(r"client cpu ([\d.]+) cores"), per_txn]))
EOF
}
