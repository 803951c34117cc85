#!/usr/bin/env bash
# Runs the decision map's grid (BenchmarkRead with -profile map: warm,
# 90% and 50% resident, the file 2× and 8× a memory cgroup's limit (root;
# skipped with the reason otherwise) and cold, rand and zipf:0.99, prefetch none and
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
#   BENCHTIME=0.1s   -benchtime per sample; the default keeps the whole run of 352
#                    rows within issue 14's 15 minutes on the development VM (see
#                    results/baseline's -map.meta for the time a run took)
#   MMAPBENCH_DIR=   directory for the benchmark file (default: the system temp dir)
#   SIZES=           file size overriding the profile's (the quick profile's large
#                    file), a multiple of 64KiB, e.g. 1GiB
#   OUT=             results file (default results/<date>-<host>-map.txt)
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-0.1s}
BENCH='^BenchmarkRead$'
case "$COUNT" in
'' | *[!0-9]* | 0*) echo "mmapbench: COUNT=$COUNT: want a positive whole number of samples" >&2; exit 2 ;;
esac
OUT=${OUT:-"results/$(date -u +%Y-%m-%d)-$(hostname -s)-map.txt"}

# shellcheck source=scripts/invocations.sh
. scripts/invocations.sh
# Everything is written under $INV_DIR/out first and moved beside OUT only
# when the whole run succeeded: a failed or interrupted run never becomes
# the latest results.
inv_start
bin=$INV_DIR
mkdir "$bin/out"
final=$OUT
OUT="$bin/out/$(basename "$final")"

start=$(date +%s)
inv_build || exit

args=(-test.run '^$' -test.bench "$BENCH" -test.count 1 -test.benchtime "$BENCHTIME"
	-test.benchmem -profile map -progress)
[ -n "${MMAPBENCH_DIR:-}" ] && args+=(-benchdir "$MMAPBENCH_DIR")
[ -n "${SIZES:-}" ] && args+=(-sizes "$SIZES")

echo "mmapbench: profile map, -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME; results in $final" >&2
inv_meta "${OUT%.txt}.meta" "command: bench.test ${args[*]}" "profile: map" "count: $COUNT" "benchtime: $BENCHTIME"
status=0
inv_run "$OUT" "$COUNT" "" "${args[@]}" || status=$?
elapsed=$(($(date +%s) - start))
inv_settle "$final" "$OUT" "$status" "$elapsed" || exit

# A row skipped in an invocation prints no result line there, or one of 0
# iterations and NaN ns/op, and go test prints its reason only with -v:
# count the real samples, and the rows with fewer than COUNT of them.
ran=$(awk '/^BenchmarkRead\// && $3 != "NaN"' "$OUT" | wc -l)
short=$(awk -v n="$COUNT" '/^BenchmarkRead\// && $3 != "NaN" { c[$1]++ } END { k = 0; for (r in c) if (c[r] < n) k++; print k }' "$OUT")
echo >&2
echo "mmapbench: $ran result lines; $short rows with fewer than $COUNT samples (skipped in some invocations); rows skipped in all print nothing" >&2
echo "mmapbench: mmap against pread per cell and advice, time per op (all metrics are in $final):" >&2
# Keep name, iterations, ns/op and MB/s: the columns every result line starts with.
# A row skipped in one invocation prints a sample of 0 iterations and NaN
# ns/op; benchstat (x/perf v0.0.0-20260908) takes all memory on such samples (24GiB and
# the OOM killer on the 352-row map), so the summary leaves them out (the
# report reads the results file and leaves them out too).
awk '/^Benchmark/ { if ($3 == "NaN") next; print $1, $2, $3, $4, $5, $6; next } { print }' "$OUT" >"$bin/summary.txt"
# pread is the baseline: the question is what the mapping buys over read system calls.
"$GO" tool benchstat -col '/backend@(pread mmap)' -row /cache,/pattern,/prefetch,/threads,/bs,/advice "$bin/summary.txt"

# The run succeeded: move its files into place.
inv_place "$final" "$OUT"
echo "mmapbench: results in $final" >&2
echo "mmapbench: done in $elapsed s" >&2
