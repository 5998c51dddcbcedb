#!/usr/bin/env bash
# Side by side with Kafka (issue 14): calvinseq, its no-op Ratis floor and a Kafka topic, measured
# interleaved in one sitting on this machine. See docs/performance.md, "Side by side with Kafka".
# Not run by CI; about 45 minutes with the defaults (3 rounds of 5 runs of about 2.5-3 min).
#
#   mvn -B -o -q package -pl sequencer-cli,benchmarks -am -DskipTests
#   benchmarks/side-by-side.sh
#   ROUNDS=1 DURATION=5s WARMUP=5s QUIET_WAIT=0 benchmarks/side-by-side.sh     # a smoke test
#
# Each round runs each configuration once, each on fresh JVMs and a fresh data directory, a
# WARMUP of load first and then DURATION measured (the order rotates from round to round):
#
#   calvinseq    `sequencer local-cluster` (3 members in one JVM, fsync on) under `sequencer bench`
#                submit: 4 threads, 1 client instance, 1,000-txn batches, 100-byte payloads
#                (the bench's client defaults: up to 16 full batches in flight, 4 partial ones)
#   calvinseq-deep  the same with --max-in-flight-batches DEEP_IN_FLIGHT (24): the client keeps more
#                batches in flight, as Kafka's producer keeps five 1 MiB batches (about 45,000 records),
#                so a backlog forms in the leader's inbox and its epochs grow past 1,000 txns
#                (docs/performance.md, "Larger epochs"; since the client's default keeps 16 full
#                batches in flight, "Batches in flight: eager and full", calvinseq does much the same)
#   floor        ClusterLoadBenchmark --modes noop: 3 Ratis servers in one JVM, fsync on, with a
#                state machine that only advances its applied index, proposing from one in-JVM
#                Raft client over gRPC (--via client; FLOOR_INFLIGHT in flight) an entry of
#                FLOOR_EPOCH_TXNS txns of that bench (format 1); its txns/s is entries/s times
#                FLOOR_EPOCH_TXNS
#   kafka        Kafka 4.1.1 from Maven Central (benchmarks/kafka/pom.xml): 3 KRaft nodes, each
#                broker and controller in one JVM, 1 topic of 1 partition, replication factor 3,
#                min.insync.replicas 2; kafka-producer-perf-test (ProducerPerformance) with acks=all,
#                enable.idempotence=true, 100-byte records, batch.size 1 MiB, linger.ms 5,
#                --throughput -1, as many records as its warm-up rate sends in DURATION
#   kafka-fsync  the same with log.flush.interval.messages=1 on every broker (fsync per append)
#
# Per run: txns (records)/s, p99 latency, and CPU in cores (utime + stime) of the server side (the
# cluster JVM, the floor's JVM (its client included), the 3 brokers) and of the client (the bench
# JVM; Kafka's producer JVM). calvinseq's figures are the bench's measured window after its warm-up;
# Kafka's are the perf test's own (a fresh producer JVM, after the brokers' warm-up), with CPU over
# the producer JVM's life, and "steady" its mean rate after the first 5-s window. At the end:
# medians per configuration and the ratios of calvinseq and of calvinseq-deep to kafka, kafka-fsync
# and floor (medians of the per-round ratios).
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [15s]  WARMUP [120s] (whole seconds; a fresh cluster JVM compiles its
#                per-entry paths for 1-2 minutes: docs/performance.md, "Where the time goes")
#   CONFIGS [calvinseq calvinseq-deep floor kafka kafka-fsync]  the configurations to run
#   DEEP_IN_FLIGHT [24]  calvinseq-deep's --max-in-flight-batches (at most 32)
#   LOAD_MAX [1.0]  QUIET_WAIT [1]  QUIET_TIMEOUT [3600]  wait for a quiet machine first (as fan-in.sh)
#   LOCK [/tmp/calvinseq-bench.lock]  held for the whole run: two benchmarks never run at once
#   DIST [sequencer-cli/target/dist]  BENCH_JAR [benchmarks/target/benchmarks.jar]
#   FLOOR_EPOCH_TXNS [1000]  FLOOR_INFLIGHT [128]  FLOOR_HEAP [-Xmx4g]
#   KAFKA_HEAP [-Xms1g -Xmx1g] per broker (kafka-server-start.sh's); the producer gets -Xmx512m
#   KAFKA_RATE_GUESS [300000]  records/s to size a measured run when the warm-up gave no rate
#   JAVA_OPTS  passed to the calvinseq JVMs; KEEP=1 keeps the temporary directory and its logs
#              (data directories are deleted after each run: Kafka writes gigabytes)
#   CLUSTER_JAVA_OPTS  the cluster JVM's heap [fixed at a quarter of the memory and touched at
#              start, as Kafka's brokers' heaps are fixed]; see benchmarks/lib-bench.sh
#   CLUSTER_PROCESSES [0]  1: the cluster as three `sequencer node` processes (one JVM per member,
#              as Kafka runs one per broker; each with a third of that heap) instead of
#              `local-cluster`; its CPU is the three's sum
#   PERF [0]  1: profile each run's measured window (15 s of it, or DURATION - 5 s if shorter) with
#             perf-threads.sh: the server side's and the client's CPU by thread and function, the
#             kernel's included, printed after the run (the full profile in the run's directory;
#             needs perf and root)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds="${ROUNDS:-3}"
duration="${DURATION:-15s}"
warmup="${WARMUP:-120s}"
read -ra configs <<<"${CONFIGS:-calvinseq calvinseq-deep floor kafka kafka-fsync}"
deep_in_flight="${DEEP_IN_FLIGHT:-24}"
lock="${LOCK:-/tmp/calvinseq-bench.lock}"
dist="${DIST:-$root/sequencer-cli/target/dist}"
jar="${BENCH_JAR:-$root/benchmarks/target/benchmarks.jar}"
floor_txns="${FLOOR_EPOCH_TXNS:-1000}"
floor_inflight="${FLOOR_INFLIGHT:-128}"
read -ra floor_heap <<<"${FLOOR_HEAP:--Xmx4g}"
read -ra kafka_heap <<<"${KAFKA_HEAP:--Xms1g -Xmx1g}"
rate_guess="${KAFKA_RATE_GUESS:-300000}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# kafka-run-class.sh's JVM options
kafka_jvm=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)
clk_tck="$(getconf CLK_TCK)"

[[ "$duration" =~ ^[0-9]+s$ && "$warmup" =~ ^[0-9]+s$ ]] ||
  { echo "DURATION and WARMUP are whole seconds, e.g. 15s" >&2; exit 2; }
dur_s="${duration%s}"
warm_s="${warmup%s}"
for c in "${configs[@]}"; do
  case "$c" in
    calvinseq | calvinseq-deep) [[ -x "$dist/bin/sequencer" ]] ||
      { echo "no $dist/bin/sequencer (mvn -B -o -q package -pl sequencer-cli,benchmarks -am -DskipTests)" >&2; exit 1; } ;;
    floor) [[ -f "$jar" ]] ||
      { echo "no $jar (mvn -B -o -q package -pl sequencer-cli,benchmarks -am -DskipTests)" >&2; exit 1; } ;;
    kafka | kafka-fsync) ;;
    *) echo "unknown configuration $c" >&2; exit 2 ;;
  esac
done

# shellcheck source=benchmarks/lib-bench.sh
. "$here/lib-bench.sh"

work="$(mktemp -d /tmp/calvinseq-side-by-side.XXXXXX)"
floor_pid=""
producer_pid=""
broker_pids=()
stop_pid() { # pid: TERM, up to 20 s, KILL
  [[ -n "$1" ]] || return 0
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_brokers() {
  local p
  for p in "${broker_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${broker_pids[@]}"; do stop_pid "$p"; done
  broker_pids=()
}
# perf_window dir delay pid...: perf-threads.sh over the given JVMs, starting `delay` seconds from
# now, for 15 s of the measured window (DURATION - 5 s when that is shorter), in the background
# (perf_job); perf_report waits for it and prints each JVM's summary line.
perf_job=""
perf_window() {
  [[ "${PERF:-0}" == 1 ]] || return 0
  local dir=$1 delay=$2 secs=$((dur_s > 20 ? 15 : dur_s > 6 ? dur_s - 5 : 1))
  shift 2
  (sleep "$delay" && bash "$here/perf-threads.sh" -s "$secs" -t 8 "$@" >"$dir/perf.txt" 2>&1) &
  perf_job=$!
}
perf_report() {
  [[ -n "$perf_job" ]] || return 0
  wait "$perf_job" || true
  perf_job=""
  grep -E '^(==|perf-threads)' "$1/perf.txt" | sed "s/^/  perf: /" >&2 || true
}
cleanup() {
  [[ -z "$perf_job" ]] || kill "$perf_job" 2>/dev/null || true
  bench_stop
  stop_pid "$floor_pid"
  stop_pid "$producer_pid"
  stop_brokers
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_lock "$lock"

kafka_cp=""
if [[ " ${configs[*]} " == *" kafka"* ]]; then
  cp_file="$here/kafka/target/classpath.txt"
  if [[ ! -s "$cp_file" ]] || ! tr ':' '\n' <"$cp_file" | xargs ls >/dev/null 2>&1; then
    echo "resolving the Kafka jars (benchmarks/kafka/pom.xml)" >&2
    mkdir -p "$here/kafka/target"
    mvn -q -B -f "$here/kafka/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file" \
      >"$work/kafka-mvn.log" 2>&1 || { cat "$work/kafka-mvn.log" >&2; exit 1; }
  fi
  kafka_cp="$(cat "$cp_file")"
  cat >"$work/log4j2-server.properties" <<'EOF'
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  cat >"$work/log4j2-tools.properties" <<'EOF'
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
EOF
fi

kafka_java() { # heap class args...: a Kafka JVM logging warnings to stderr
  local heap=$1
  shift
  "$java" "$heap" "${kafka_jvm[@]}" -Dlog4j2.configurationFile="$work/log4j2-tools.properties" \
    -cp "$kafka_cp" "$@"
}
free_ports() { # n: n distinct loopback ports free right now (the kernel's ephemeral picks)
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
kafka_conf() { # node-id log-dir fsync(0|1) port... (3 broker ports, then 3 controller ports)
  local i=$1 dir=$2 fsync=$3
  shift 3
  local -a p=("$@")
  cat <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=1@127.0.0.1:${p[3]},2@127.0.0.1:${p[4]},3@127.0.0.1:${p[5]}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${p[i - 1]},CONTROLLER://127.0.0.1:${p[i + 2]}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir
min.insync.replicas=2
auto.create.topics.enable=false
EOF
  [[ "$fsync" == 0 ]] || echo "log.flush.interval.messages=1"
}
cpu_ticks() { # pid...: their utime + stime, in clock ticks
  local t=0 p s
  local -a f
  for p in "$@"; do
    s="$(cat "/proc/$p/stat")"
    read -ra f <<<"${s##*) }" # from field 3 (state) on: utime is field 14, stime 15
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}
# The formatted storage every Kafka run copies: one cluster id, the node ids 1-3.
kafka_template() {
  [[ ! -d "$work/kafka-storage" ]] || return 0
  local id i
  # Never one that starts with "-", which StorageTool's parser would read as an option (Kafka's own
  # Uuid.randomUuid() draws again for the same reason): one id in 64 did, and stopped the sitting.
  id="$(python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break
')"
  for i in 1 2 3; do
    # shellcheck disable=SC2046 # six port numbers; these are never listened on
    kafka_conf "$i" "$work/kafka-storage/n$i" 0 $(seq 19001 19006) >"$work/format-n$i.properties"
    kafka_java -Xmx256m kafka.tools.StorageTool format -t "$id" -c "$work/format-n$i.properties" \
      >"$work/format-n$i.log" 2>&1 || { cat "$work/format-n$i.log" >&2; exit 1; }
  done
}

results="$work/results.tsv"
: >"$results"
run=0
# row config round txns/s p99-ms server-cores client-cores steady/s load note
row() {
  local IFS=$'\t'
  echo "$*" >>"$results"
  printf 'round %s %-14s %10.0f txns/s  p99 %8.2f ms  server %5.2f cores  client %5s cores  %s\n' \
    "$2" "$1" "$3" "$4" "$5" "$6" "${9}" >&2
}

run_calvinseq() { # round config [bench options...]
  local round=$1 config=$2 dir="$work/run-$((++run))-$2"
  shift 2
  if [[ "${PERF:-0}" == 1 ]]; then
    # bench_run blocks: a watcher waits for the bench JVM, then profiles it and the cluster's
    (
      for _ in $(seq 1 1200); do [[ -s "$dir/bench.log" ]] && break; sleep 0.1; done
      mapfile -t c < <(pgrep -f "SequencerCli (local-cluster|node) .*--data-dir $dir/data")
      b="$(pgrep -f "SequencerCli bench --peers" | head -1)"
      perf_window "$dir" "$((warm_s + 1))" "${c[@]}" "$b"
      wait "$perf_job"
    ) &
    perf_job=$!
  fi
  bench_run "$dist/bin/sequencer" "$dir" --clients 4 --client-instances 1 --batch-size 1000 \
    --txn-size 100 --warmup "$warmup" --duration "$duration" "$@"
  perf_report "$dir"
  local -a f
  IFS=$'\t' read -ra f <<<"$(bench_fields "$bench_summary")"
  row "$config" "$round" "${f[0]}" "${f[4]}" "${f[7]}" "${f[8]}" nan "$bench_load" \
    "entries/s ${f[1]}, txns/epoch ${f[2]}, ${f[9]} bytes/txn, errors ${f[6]}; $bench_mem"
}

run_floor() {
  local round=$1 dir="$work/run-$((++run))-floor" load mem
  mkdir -p "$dir"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  mem="$(bench_memory)"
  "$java" "${floor_heap[@]}" -Djava.io.tmpdir="$dir" -cp "$jar" \
    org.calvinseq.bench.ClusterLoadBenchmark "$dur_s" "$floor_inflight" 1 --modes noop --via client \
    --epoch-txns "$floor_txns" --txn-size 100 --warmup "$warm_s" >"$dir/floor.log" 2>&1 &
  floor_pid=$!
  perf_window "$dir" "$((warm_s + 5))" "$floor_pid"
  wait "$floor_pid" || true
  floor_pid=""
  perf_report "$dir"
  local line
  line="$(grep -o 'result noop .*' "$dir/floor.log" | tail -1)"
  [[ -n "$line" ]] || { echo "the floor printed no result; see $dir/floor.log" >&2; tail -5 "$dir/floor.log" >&2; exit 1; }
  local -a f
  read -ra f <<<"$(python3 - "$line" <<'EOF'
import re, sys
s = sys.argv[1]
num = lambda p: re.search(p, s).group(1)
print(num(r"txns/s=\s*([\d.]+)"), num(r"p99=\s*([\d.]+)ms"), num(r"cpu=([\d.]+|NaN) cores"),
      num(r"entries/s=\s*([\d.]+)"), num(r"entry=(\d+) bytes"))
EOF
)"
  row floor "$round" "${f[0]}" "${f[1]}" "${f[2]}" nan nan "$load" \
    "entries/s ${f[3]}, entry ${f[4]} bytes, cpu includes the in-JVM Raft client; $mem"
}

produce() { # log records bootstrap: a ProducerPerformance JVM in the background, pid in producer_pid
  # java itself in the background, not kafka_java: $! would be a subshell's, whose kill spares java
  "$java" -Xmx512m "${kafka_jvm[@]}" -Dlog4j2.configurationFile="$work/log4j2-tools.properties" \
    -cp "$kafka_cp" org.apache.kafka.tools.ProducerPerformance --topic side-by-side \
    --num-records "$2" --record-size 100 --throughput -1 --producer-props bootstrap.servers="$3" \
    acks=all enable.idempotence=true batch.size=1048576 linger.ms=5 >"$1" 2>&1 &
  producer_pid=$!
}

run_kafka() {
  local round=$1 fsync=$2 config=kafka dir boot load mem i
  [[ "$fsync" == 0 ]] || config=kafka-fsync
  dir="$work/run-$((++run))-$config"
  mkdir -p "$dir"
  kafka_template
  local -a ports
  read -ra ports <<<"$(free_ports 6)"
  boot="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
  for i in 1 2 3; do
    mkdir -p "$dir/data" "$dir/n$i"
    cp -r "$work/kafka-storage/n$i" "$dir/data/n$i"
    kafka_conf "$i" "$dir/data/n$i" "$fsync" "${ports[@]}" >"$dir/n$i.properties"
    "$java" "${kafka_heap[@]}" "${kafka_jvm[@]}" -Dlog4j2.configurationFile="$work/log4j2-server.properties" \
      -Dkafka.logs.dir="$dir/n$i" -cp "$kafka_cp" kafka.Kafka "$dir/n$i.properties" >"$dir/n$i/stdout" 2>&1 &
    broker_pids+=($!)
  done
  for i in 1 2 3; do
    for _ in $(seq 1 1200); do
      grep -qs 'Kafka Server started' "$dir/n$i/server.log" && break
      kill -0 "${broker_pids[i - 1]}" 2>/dev/null ||
        { echo "broker $i stopped; see $dir/n$i" >&2; tail -20 "$dir/n$i/server.log" "$dir/n$i/stdout" >&2; exit 1; }
      sleep 0.1
    done
    grep -qs 'Kafka Server started' "$dir/n$i/server.log" || { echo "broker $i did not start in 120 s; see $dir/n$i" >&2; exit 1; }
  done
  local created=""
  for _ in $(seq 1 10); do
    if kafka_java -Xmx256m org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --create \
      --topic side-by-side --partitions 1 --replication-factor 3 --config min.insync.replicas=2 \
      >"$dir/topic.log" 2>&1; then
      created=1
      break
    fi
    sleep 2
  done
  [[ -n "$created" ]] || { echo "could not create the topic; see $dir/topic.log" >&2; cat "$dir/topic.log" >&2; exit 1; }

  # Warm-up: produce for WARMUP seconds; its last two 5-s windows size the measured run.
  produce "$dir/warmup.log" 1000000000 "$boot"
  sleep "$warm_s" &
  wait $!
  stop_pid "$producer_pid"
  producer_pid=""
  local records
  records="$(python3 - "$dir/warmup.log" "$dur_s" "$rate_guess" <<'EOF'
import re, sys
rates = [float(m.group(1)) for m in re.finditer(r"records sent, ([\d.]+) records/sec", open(sys.argv[1]).read())]
rate = sum(rates[-2:]) / len(rates[-2:]) if rates else float(sys.argv[3])
print(max(1000, int(rate * float(sys.argv[2]))))
EOF
)"
  # Measured: the server CPU of the 3 brokers and the producer JVM's (its rusage once reaped, read
  # by `times` in this shell) over the producer's life.
  load="$(cut -d' ' -f1 /proc/loadavg)"
  mem="$(bench_memory)"
  local ticks0 ticks1 t0 t1
  ticks0="$(cpu_ticks "${broker_pids[@]}")"
  times >"$dir/times0"
  t0="$EPOCHREALTIME"
  produce "$dir/producer.log" "$records" "$boot"
  perf_window "$dir" 2 "${broker_pids[@]}" "$producer_pid"
  wait "$producer_pid" || true
  t1="$EPOCHREALTIME"
  times >"$dir/times1"
  producer_pid=""
  ticks1="$(cpu_ticks "${broker_pids[@]}")"
  perf_report "$dir"
  kafka_java -Xmx256m org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --describe \
    --topic side-by-side >"$dir/describe.log" 2>&1 || true
  stop_brokers
  rm -rf "$dir/data"
  local -a f
  read -ra f <<<"$(python3 - "$dir" "$t0" "$t1" "$((ticks1 - ticks0))" "$clk_tck" <<'EOF'
import re, sys
d, t0, t1, ticks, tck = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
wall = t1 - t0
log = open(d + "/producer.log").read()
final = re.search(r"(\d+) records sent, ([\d.]+) records/sec .* (\d+) ms 99th", log)
if not final:
    sys.exit("no final line in " + d + "/producer.log")
def children(path):  # the second line of `times`: children's user and system time
    mins = [(float(m), float(s)) for m, s in re.findall(r"(\d+)m([\d.]+)s", open(path).read())]
    return sum(m * 60 + s for m, s in mins[2:4])
client = (children(d + "/times1") - children(d + "/times0")) / wall
windows = [float(x) for x in re.findall(r"records sent, ([\d.]+) records/sec \(.*max latency\.\n", log)]
steady = sum(windows[1:]) / len(windows[1:]) if len(windows) > 1 else float("nan")
isr = re.search(r"Isr: ([\d,]+)", open(d + "/describe.log").read())
print(final.group(2), final.group(3), f"{ticks / tck / wall:.2f}", f"{client:.2f}", f"{steady:.0f}",
      final.group(1), isr.group(1) if isr else "?")
EOF
)"
  row "$config" "$round" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "$load" \
    "${f[5]} records, steady ${f[4]}/s, isr ${f[6]}; $mem"
}

per_run=$((warm_s + dur_s))
minutes=$(((rounds * (${#configs[@]} * per_run + 15 + 30 * $(tr ' ' '\n' <<<"${configs[*]}" | { grep -c kafka || true; })) + 59) / 60))
echo "side by side: ${configs[*]}; $rounds round(s) of $duration after $warmup of warm-up;" \
  "about $minutes min once the machine is quiet" >&2
bench_wait_quiet
for ((round = 1; round <= rounds; round++)); do
  n=${#configs[@]}
  for ((k = 0; k < n; k++)); do
    case "${configs[(k + round - 1) % n]}" in
      calvinseq) run_calvinseq "$round" calvinseq ;;
      calvinseq-deep) run_calvinseq "$round" calvinseq-deep --max-in-flight-batches "$deep_in_flight" ;;
      floor) run_floor "$round" ;;
      kafka) run_kafka "$round" 0 ;;
      kafka-fsync) run_kafka "$round" 1 ;;
    esac
  done
done

echo
echo "medians over $rounds round(s); $duration measured after $warmup of warm-up; $(nproc) cores;" \
  "calvinseq from $dist"
python3 - "$results" <<'EOF'
import statistics, sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")
by = defaultdict(list)
for r in rows:
    tps, p99, server, client, steady = (float(x) for x in r[2:7])
    by[r[0]].append([tps, p99, server, client, server / tps * 1e6 if tps else float("nan"),
                     client / tps * 1e6 if tps else float("nan"), steady])
cols = ["txns/s", "p99 ms", "server cores", "client cores", "server us/txn", "client us/txn", "steady/s"]
print(f"{'config':<14} {'runs':>4} " + " ".join(f"{c:>13}" for c in cols))
for c in ("calvinseq", "calvinseq-deep", "floor", "kafka", "kafka-fsync"):
    if c in by:
        m = [med([r[i] for r in by[c]]) for i in range(len(cols))]
        print(f"{c:<14} {len(by[c]):>4} " + " ".join(
            f"{v:>13,.0f}" if i in (0, 6) else f"{v:>13,.2f}" for i, v in enumerate(m)))
print()
tput = defaultdict(dict)
for r in rows:
    tput[r[0]][r[1]] = float(r[2])
for ours in ("calvinseq", "calvinseq-deep"):
    for other in ("kafka", "kafka-fsync", "floor"):
        ratios = [tput[ours][k] / v for k, v in tput[other].items() if k in tput[ours] and v > 0]
        if ratios:
            shown = ", ".join(f"{x:.2f}" for x in ratios)
            print(f"{ours} / {other:<12} txns/s: median {med(ratios):.2f} (rounds: {shown})")
EOF
