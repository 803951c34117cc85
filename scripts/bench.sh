#!/usr/bin/env bash
# Runs the file I/O benchmarks, writes the raw results to
# results/<date>-<host>.txt (Go benchmark format, with configuration lines)
# and prints a benchstat table with the backends side by side.
#
# Knobs (environment):
#   COUNT=5          samples per benchmark (benchstat wants >= 5; 10 for a gate)
#   BENCH=.          -bench regexp
#   BENCHTIME=0.2s   -benchtime per sample
#   MMAPBENCH_DIR=   directory for the benchmark files (default: the system temp dir)
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-0.2s}

out="results/$(date -u +%Y-%m-%d)-$(hostname -s).txt"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "building the benchmark binary" >&2
"$GO" test -c -o "$bin/bench.test" ./bench

echo "running -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME; results in $out" >&2
# -test.v=test2json is not wanted here: plain output is the benchmark format.
"$bin/bench.test" -test.run '^$' -test.bench "$BENCH" -test.count "$COUNT" \
	-test.benchtime "$BENCHTIME" -test.benchmem | tee "$out"

echo >&2
echo "backends side by side (go tool benchstat -col /backend; time and throughput only, all metrics are in $out):" >&2
# Keep name, iterations, ns/op and MB/s: the columns every result line starts with.
awk '/^Benchmark/ { print $1, $2, $3, $4, $5, $6; next } { print }' "$out" >"$bin/summary.txt"
"$GO" tool benchstat -col /backend -row .name,/access,/bs "$bin/summary.txt"
