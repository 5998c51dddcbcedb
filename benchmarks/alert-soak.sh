#!/usr/bin/env bash
# A healthy loaded cluster must trigger none of docs/alerts/sequencer-rules.yml. Not run by CI.
#
#   mvn -B -q package -DskipTests
#   benchmarks/alert-soak.sh                 # 10 minutes
#   MINUTES=30 benchmarks/alert-soak.sh
#
# Starts `sequencer local-cluster --demo-load` and a real Prometheus server (the binary from
# Debian's prometheus package, unpacked into a temporary directory; PROMETHEUS=path overrides)
# that scrapes the three admin endpoints every 2 s and evaluates the alert rules every 2 s. At the
# end it prints every alert that was ever pending or firing (from Prometheus's ALERTS series),
# and exits 1 if there was any.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
seq="$root/sequencer-cli/target/dist/bin/sequencer"
minutes="${MINUTES:-10}"
[[ -x "$seq" ]] || { echo "no $seq: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }

dir="$(mktemp -d /tmp/calvinseq-alert-soak.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$dir"
}
trap cleanup EXIT

prometheus="${PROMETHEUS:-}"
if [[ -z "$prometheus" ]]; then
  (cd "$dir" && apt-get download -qq prometheus 2>/dev/null && dpkg-deb -x prometheus_*.deb pkg)
  prometheus="$dir/pkg/usr/bin/prometheus"
fi

"$seq" local-cluster --demo-load --data-dir "$dir/cluster" >"$dir/cluster.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  [[ $(grep -c '^admin n' "$dir/cluster.log" || true) -ge 3 ]] && break
  sleep 1
done
targets=$(sed -n 's|^admin n[0-9]*: http://\(.*\)$|\1|p' "$dir/cluster.log" | sed 's/.*/"&"/' | paste -sd, -)
[[ -n "$targets" ]] || { echo "local-cluster printed no admin URLs; see $dir/cluster.log" >&2; exit 1; }

prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $root/docs/alerts/sequencer-rules.yml
scrape_configs:
  - job_name: calvinseq
    static_configs:
      - targets: [$targets]
EOF
"$prometheus" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$dir/prometheus.log" 2>&1 &
pids+=($!)
echo "cluster targets $targets; prometheus on 127.0.0.1:$prom_port; soaking $minutes min" >&2

sleep $((minutes * 60))
q() { curl -s -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
up=$(q 'count(up == 1)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
echo "targets up at the end: $up of 3"
tail -1 "$dir/cluster.log"
alerts=$(q "max_over_time(ALERTS[$((minutes + 1))m])" |
  python3 -c 'import json,sys
for r in json.load(sys.stdin)["data"]["result"]:
  m=r["metric"]; print(m.get("alertname"), m.get("alertstate"), m.get("instance",""))')
if [[ -n "$alerts" ]]; then
  echo "alerts pending or firing during the soak:"; echo "$alerts"; exit 1
fi
echo "no alert was pending or firing during $minutes minutes"
[[ "$up" == 3 ]]
