#!/usr/bin/env bash
# Runs the decision map's grid (BenchmarkRead with -profile map: warm,
# 90% and 50% resident and cold, rand and zipf:0.99, prefetch none and
# batch16, 1 and 16 goroutines, 4KiB and 64KiB blocks, mmap view and pread
# copy with advice none and rand) and writes the raw results to
# results/<date>-<host>-map.txt (Go benchmark format, configuration lines
# once), then prints mmap against pread per cell and the elapsed time.
# Progress goes to stderr; the results file gets benchmark data only.
#
# Knobs (environment):
#   COUNT=5          samples per row: one -test.count 1 invocation each, so that the
#                    samples of the rows compared are interleaved in time (with the
#                    backends' order rotated between invocations). Not 3: benchmath's
#                    U test cannot separate two rows of 3 samples at α=0.05 (its
#                    smallest p is 0.1), so every cell of the map would be "level"
#   BENCHTIME=0.2s   -benchtime per sample; the default keeps the whole run within
#                    issue 14's 15 minutes on the development VM (see results/baseline's
#                    -map.meta for the time a run took)
#   MMAPBENCH_DIR=   directory for the benchmark file (default: the system temp dir)
#   SIZES=           file size overriding the profile's (the quick profile's large
#                    file), a multiple of 64KiB, e.g. 1GiB
#   OUT=             results file (default results/<date>-<host>-map.txt)
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-0.2s}
BENCH='^BenchmarkRead$'
case "$COUNT" in
'' | *[!0-9]* | 0*) echo "mmapbench: COUNT=$COUNT: want a positive whole number of samples" >&2; exit 2 ;;
esac
OUT=${OUT:-"results/$(date -u +%Y-%m-%d)-$(hostname -s)-map.txt"}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# Everything is written under $bin/out first and moved beside OUT only when
# the whole run succeeded: a failed or interrupted run never becomes the
# latest results.
mkdir "$bin/out"
final=$OUT
OUT="$bin/out/$(basename "$final")"

start=$(date +%s)
echo "mmapbench: building the benchmark binary" >&2
"$GO" test -c -o "$bin/bench.test" ./bench

args=(-test.run '^$' -test.bench "$BENCH" -test.count 1 -test.benchtime "$BENCHTIME"
	-test.benchmem -profile map -progress)
[ -n "${MMAPBENCH_DIR:-}" ] && args+=(-benchdir "$MMAPBENCH_DIR")
[ -n "${SIZES:-}" ] && args+=(-sizes "$SIZES")

echo "mmapbench: profile map, -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME; results in $final" >&2
# Volatile facts go beside the results, not into them: as configuration
# lines they would make benchstat refuse to compare two runs.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
{
	echo "commit: $commit"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(hostname)"
	echo "command: bench.test ${args[*]}"
	echo "profile: map"
	echo "count: $COUNT"
	echo "benchtime: $BENCHTIME"
} >"${OUT%.txt}.meta"
status=0
# COUNT invocations of one sample each, the i-th with -rotate i-1: the
# i-th samples of two compared rows come from the same minutes. The
# configuration and unit lines are kept from the first invocation only
# (the later ones print the same lines; benchstat reads them once). A bad
# -sizes stops the first invocation with exit 2 before any benchmark runs.
: >"$OUT"
for i in $(seq 1 "$COUNT"); do
	echo "mmapbench: invocation $i of $COUNT ($(($(date +%s) - start)) s so far)" >&2
	if [ "$i" -eq 1 ]; then
		"$bin/bench.test" "${args[@]}" -rotate 0 >>"$OUT" || { status=$?; break; }
	else
		# Everything from the first result line on: the lines before it
		# are the configuration, already in the file.
		"$bin/bench.test" "${args[@]}" -rotate $((i - 1)) >"$bin/inv.txt" || status=$?
		awk 'f || /^Benchmark/ { f = 1; print }' "$bin/inv.txt" >>"$OUT"
		[ "$status" -eq 0 ] || break
	fi
done
elapsed=$(($(date +%s) - start))
echo "elapsed: $elapsed s" >>"${OUT%.txt}.meta"
if [ "$status" -eq 2 ]; then
	echo "mmapbench: refused before any benchmark ran (exit 2), after $elapsed s" >&2
	exit 2 # nothing is moved into place
fi
# A sub-benchmark that fails under -count > 1 does not always fail the binary.
if [ "$status" -ne 0 ] || grep -q -- '--- FAIL' "$OUT"; then
	failed="${final%.txt}-failed.txt"
	mkdir -p "$(dirname "$final")"
	mv "$OUT" "$failed"
	echo "mmapbench: benchmarks failed (exit $status) after $elapsed s; the output is in $failed:" >&2
	grep -A3 -- '--- FAIL' "$failed" | head -20 >&2
	exit 1
fi
if ! grep -q '^Benchmark' "$OUT"; then
	echo "mmapbench: no benchmark ran; nothing to compare" >&2
	exit 2
fi

ran=$(grep -c '^BenchmarkRead/' "$OUT" || true)
# A skipped row prints no result line, and go test prints its reason only
# with -v: count the rows with fewer samples than COUNT instead.
short=$(awk -v n="$COUNT" '/^BenchmarkRead\// { c[$1]++ } END { k = 0; for (r in c) if (c[r] < n) k++; print k }' "$OUT")
echo >&2
echo "mmapbench: $ran result lines; $short rows with fewer than $COUNT samples (skipped in some invocations); rows skipped in all print nothing" >&2
echo "mmapbench: mmap against pread per cell and advice, time per op (all metrics are in $final):" >&2
# Keep name, iterations, ns/op and MB/s: the columns every result line starts with.
awk '/^Benchmark/ { print $1, $2, $3, $4, $5, $6; next } { print }' "$OUT" >"$bin/summary.txt"
# pread is the baseline: the question is what the mapping buys over read system calls.
"$GO" tool benchstat -col '/backend@(pread mmap)' -row /cache,/pattern,/prefetch,/threads,/bs,/advice "$bin/summary.txt"

# The run succeeded: move its files into place.
mkdir -p "$(dirname "$final")"
for f in "$bin/out"/*; do
	mv "$f" "$(dirname "$final")/"
done
echo "mmapbench: results in $final" >&2
echo "mmapbench: done in $elapsed s" >&2
