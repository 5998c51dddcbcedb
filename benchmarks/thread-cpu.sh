#!/usr/bin/env bash
# CPU per thread group of a running JVM over a window, from two `jcmd <pid> Thread.print` snapshots
# (each thread's cpu=). See docs/performance.md, "Where the time goes": on a machine with more
# runnable threads than cores this says where CPU time goes between threads, which JFR's execution
# samples do not. Thread names are grouped with their digits replaced by N.
#
#   benchmarks/thread-cpu.sh PID [SECONDS [RATE]]
#
# SECONDS [30]: the window. RATE: the load's txns/s over the window (e.g. from the bench's
# per-second lines); with it each group is also printed in microseconds per txn.
# Threads that end inside the window are missed (their group reads low, even below zero, and is
# then left out): compare the total with the process's own CPU, e.g. the bench's summary line.
set -euo pipefail
pid=${1:?usage: thread-cpu.sh PID [SECONDS [RATE]]}
seconds=${2:-30}
rate=${3:-0}
# jcmd starts a JVM's attach listener with SIGQUIT: sent to a process that is not a JVM (a shell
# that started one, say), it kills it. Only pids that jps lists are attached to.
jps -q | grep -qx "$pid" || { echo "thread-cpu.sh: $pid is not a JVM that jps lists" >&2; exit 2; }
a="$(mktemp)" b="$(mktemp)"
trap 'rm -f "$a" "$b"' EXIT
jcmd "$pid" Thread.print >"$a"
sleep "$seconds"
jcmd "$pid" Thread.print >"$b"
python3 - "$a" "$b" "$seconds" "$rate" <<'PY'
import collections, re, sys

def groups(path):
    cpu = collections.Counter()
    for line in open(path):
        m = re.match(r'"(.*?)" .*?cpu=([\d.]+)(ms|s)\b', line)
        if m:
            ms = float(m.group(2)) * (1000 if m.group(3) == "s" else 1)
            cpu[re.sub(r"\d+", "N", m.group(1))] += ms
    return cpu

before, after = groups(sys.argv[1]), groups(sys.argv[2])
seconds, rate = float(sys.argv[3]), float(sys.argv[4])
delta = {k: after[k] - before.get(k, 0) for k in after}  # threads that ended are not counted
total = sum(v for v in delta.values() if v > 0)
per_txn = lambda ms: f"  {ms / 1000 / seconds / rate * 1e6:7.2f} us/txn" if rate > 0 else ""
print(f"{total / 1000 / seconds:6.3f} cores  total{per_txn(total)}")
for name, ms in sorted(delta.items(), key=lambda kv: -kv[1])[:20]:
    if ms > 0:
        print(f"{ms / 1000 / seconds:6.3f} cores  {name}{per_txn(ms)}")
PY
