#!/usr/bin/env bash
# Runs the JMH micro-benchmarks RUNS times each, one after the other (never two at once), and
# prints the median score and allocation per txn of each. See docs/performance.md.
#
#   mvn -B -o -q package -pl benchmarks -am -DskipTests
#   benchmarks/run-micro.sh            # 3 runs of each benchmark
#   RUNS=5 benchmarks/run-micro.sh 'CodecBenchmark.decode'
#
# Extra arguments are JMH benchmark patterns; the default is all three micro-benchmarks.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/target/benchmarks.jar"
runs="${RUNS:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [[ ! -f "$jar" ]]; then
  echo "no $jar: run 'mvn -B -o -q package -pl benchmarks -am -DskipTests' first" >&2
  exit 1
fi
patterns=("$@")
if [[ ${#patterns[@]} -eq 0 ]]; then
  patterns=('CodecBenchmark.decode' 'CodecBenchmark.encode' 'ApplyBenchmark.applyAndFanOut')
fi

for pattern in "${patterns[@]}"; do
  for ((run = 1; run <= runs; run++)); do
    echo "== $pattern run $run/$runs (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    java -jar "$jar" "$pattern\$" -prof gc -rf csv -rff "$out/$pattern.$run.csv" >"$out/$pattern.$run.log" 2>&1 \
      || { cat "$out/$pattern.$run.log" >&2; exit 1; }
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-32s %14s %14s %14s\n' benchmark 'txns/s median' 'runs' 'B/txn median'
for pattern in "${patterns[@]}"; do
  scores="$(cat "$out/$pattern".*.csv | awk -F, '$1 !~ /:/ && $1 ~ /bench/ { print $5 }')"
  alloc="$(cat "$out/$pattern".*.csv | awk -F, '$1 ~ /gc.alloc.rate.norm/ { print $5 }')"
  printf '%-32s %14.0f %14s %14.1f\n' "$pattern" "$(median <<<"$scores")" \
    "$(tr '\n' ' ' <<<"$scores" | awk '{ for (i = 1; i <= NF; i++) printf "%.2fM ", $i / 1e6 }')" \
    "$(median <<<"$alloc")"
done
