#!/usr/bin/env bash
# Where running JVMs spend their CPU, kernel included: `perf record` of the given JVMs over a
# window, each sample charged to its thread (named from `jcmd <pid> Thread.print`, digits replaced
# by N) and to its function (the JIT's code named through `jcmd <pid> Compiler.perfmap`). See
# docs/performance.md, "The kernel's share": JFR samples only threads running Java code, so the
# time a thread spends in system calls (writing the log into the page cache, waking other
# threads) is invisible to it, and thread-cpu.sh's per-thread totals say how much but not on what.
#
#   benchmarks/perf-threads.sh [-s SECONDS] [-t TOP] [-r RATE] PID...
#
# SECONDS [15]: the window. TOP [6]: functions shown per thread group. RATE: the load's txns/s
# over the window; with it each group is also printed in microseconds per txn. Prints, per JVM,
# each thread group's cores, its kernel share and its top functions (`[k]` marks the kernel's),
# then the JVM's top kernel functions. Needs perf (Debian: linux-perf) and the right to profile
# other processes (root, or kernel.perf_event_paranoid <= 1); not run by CI.
set -euo pipefail
usage="usage: perf-threads.sh [-s SECONDS] [-t TOP] [-r RATE] PID..."
seconds=15 top=6 rate=0
while getopts "s:t:r:" o; do
  case "$o" in
    s) seconds=$OPTARG ;;
    t) top=$OPTARG ;;
    r) rate=$OPTARG ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
(($# > 0)) || { echo "$usage" >&2; exit 2; }
command -v perf >/dev/null || { echo "perf-threads.sh: no perf on PATH (Debian: apt-get install linux-perf)" >&2; exit 2; }
# jcmd attaches with SIGQUIT, which kills a process that is not a JVM: only pids jps lists.
for pid in "$@"; do
  jps -q | grep -qx "$pid" || { echo "perf-threads.sh: $pid is not a JVM that jps lists" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"; for p in "$@"; do rm -f "/tmp/perf-$p.map"; done' EXIT
hz=499
# A JVM that ends before the window keeps its samples (none) and loses only its thread names.
for pid in "$@"; do jcmd "$pid" Thread.print >"$work/threads-$pid" 2>&1 || true; done
# perf ends early, with the sleep's status, when every JVM has ended: keep what it recorded then.
if ! perf record -q -F "$hz" -p "$(IFS=,; echo "$*")" -o "$work/perf.data" -- sleep "$seconds" >"$work/record.log" 2>&1; then
  [[ -s "$work/perf.data" ]] || { echo "perf-threads.sh: perf record failed:" >&2; cat "$work/record.log" >&2; exit 1; }
  echo "perf-threads.sh: the JVMs ended inside the window; cores are over the full $seconds s" >&2
fi
# The JIT's symbols as they are now (code compiled and freed inside the window stays unnamed).
for pid in "$@"; do jcmd "$pid" Compiler.perfmap >/dev/null 2>&1 || true; done
perf script -i "$work/perf.data" -F pid,tid,ip,sym,dso >"$work/samples" 2>/dev/null
python3 - "$work" "$seconds" "$hz" "$top" "$rate" "$@" <<'PY'
import collections, re, sys

work, seconds, hz, top, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
pids = sys.argv[6:]
names = {}
for pid in pids:
    for line in open(f"{work}/threads-{pid}", errors="replace"):
        m = re.match(r'^"(.*?)".*\bnid=(0x[0-9a-f]+)', line)
        if m:
            names[(pid, int(m.group(2), 16))] = re.sub(r"\d+", "N", m.group(1))
# samples: (pid, group) -> [samples, kernel samples, Counter(function)]
groups = collections.defaultdict(lambda: [0, 0, collections.Counter()])
kernel = collections.defaultdict(collections.Counter)
line_re = re.compile(r"\s*(\d+)/(\d+)\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
for line in open(f"{work}/samples", errors="replace"):
    m = line_re.match(line)
    if not m:
        continue
    pid, tid, sym, dso = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    in_kernel = dso.startswith("[kernel")
    if not sym or sym == "[unknown]":
        sym = "(" + dso.rsplit("/", 1)[-1] + ")"
    # a Java method's perf-map name carries its signature: keep class.method
    sym = re.sub(r"^\S+ (\S+?)\(.*$", r"\1", sym)
    g = groups[(pid, names.get((pid, tid), "(thread that ended)"))]
    g[0] += 1
    g[1] += in_kernel
    g[2][("[k] " if in_kernel else "") + sym] += 1
    if in_kernel:
        kernel[pid][sym] += 1

def cores(n):
    return n / hz / seconds

for pid in pids:
    rows = sorted(((v[0], k[1], v) for k, v in groups.items() if k[0] == pid), reverse=True)
    total = sum(r[0] for r in rows)
    ktotal = sum(r[2][1] for r in rows)
    per_txn = f", {cores(total) / rate * 1e6:.2f} us/txn" if rate > 0 else ""
    print(f"== JVM {pid}: {cores(total):.3f} cores{per_txn}, kernel {ktotal / max(total, 1):.0%}")
    for n, name, (count, kcount, syms) in rows:
        if cores(n) < 0.005:
            continue
        us = f"{cores(n) / rate * 1e6:6.2f} us/txn  " if rate > 0 else ""
        print(f"{cores(n):7.3f} cores  {us}kernel {kcount / n:4.0%}  {name}")
        for sym, c in syms.most_common(top):
            print(f"{'':17}{c / n:6.1%}  {sym[:100]}")
    print(f"-- JVM {pid}: top kernel functions (share of the JVM's samples)")
    for sym, c in kernel[pid].most_common(top * 2):
        print(f"{'':17}{c / max(total, 1):6.1%}  {sym[:100]}")
PY
