#!/usr/bin/env bash
# Runs the file I/O benchmarks, writes the raw results to
# results/<date>-<host>.txt (Go benchmark format, with configuration lines)
# and prints a benchstat table with the backends side by side.
# Progress goes to stderr; the results file gets benchmark data only.
#
# Knobs (environment):
#   PROFILE=quick    quick (a covering subset, under 3 minutes) or full (the whole matrix)
#   COUNT=5          samples per benchmark (benchstat wants >= 5; 10 for a gate): one
#                    -test.count 1 invocation each, so that the samples of the rows
#                    compared are interleaved in time (with the backends' order
#                    rotated between invocations), not run in blocks
#   BENCH=           -bench regexp (default: the profile's benchmarks)
#   TWICE=           -bench regexp of benchmarks that take a second sample in every
#                    invocation (default, with the default BENCH: OpenRead and WriteSync,
#                    whose 15–45% differences need ten pairs to be decided; make verdicts
#                    saw five flip on one outlying invocation); empty for none
#   BENCHTIME=0.1s   -benchtime per sample
#   MMAPBENCH_DIR=   directory for the benchmark files (default: the system temp dir)
#   SIZES=           file sizes overriding the profile's, e.g. 16MiB,1GiB
#   OUT=             results file (default results/<date>-<host>[-full].txt);
#                    the IPC run goes beside it, in <OUT without .txt>-ipc.txt,
#                    and the writeback run in <OUT without .txt>-ipc-writeback.txt
#   IPC=1            0 skips the IPC runs (mmapbench ipc -quick, then -writeback 1ms)
#   SCHED=1          0 skips BenchmarkBystander at GOMAXPROCS 1 and 2 (-cpu 1,2),
#                    written beside the results in <OUT without .txt>-sched.txt
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
PROFILE=${PROFILE:-quick}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-0.1s}
if [ -z "${BENCH:-}" ]; then
	BENCH='^Benchmark(Read|Write|WriteSync|OpenRead|Fault|Readers|CopyCost)$'
	TWICE=${TWICE-'^Benchmark(OpenRead|WriteSync)$'}
fi
TWICE=${TWICE:-}
case "$COUNT" in
'' | *[!0-9]* | 0*) echo "mmapbench: COUNT=$COUNT: want a positive whole number of samples" >&2; exit 2 ;;
esac
suffix=""
[ "$PROFILE" = quick ] || suffix="-$PROFILE"
OUT=${OUT:-"results/$(date -u +%Y-%m-%d)-$(hostname -s)$suffix.txt"}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# Everything is written under $bin/out first and moved beside OUT only when
# the whole run succeeded: a failed or interrupted run never becomes the
# latest results (make plots and make report take the newest file).
mkdir "$bin/out"
final=$OUT
OUT="$bin/out/$(basename "$final")"

echo "mmapbench: building the benchmark binary" >&2
"$GO" test -c -o "$bin/bench.test" ./bench
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench

args=(-test.run '^$' -test.bench "$BENCH" -test.count 1 -test.benchtime "$BENCHTIME"
	-test.benchmem -profile "$PROFILE" -progress)
[ -n "${MMAPBENCH_DIR:-}" ] && args+=(-benchdir "$MMAPBENCH_DIR")
[ -n "${SIZES:-}" ] && args+=(-sizes "$SIZES")

echo "mmapbench: profile $PROFILE, -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME; results in $final" >&2
# Volatile facts go beside the results, not into them: as configuration
# lines they would make benchstat refuse to compare two runs.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
{
	echo "commit: $commit"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(hostname)"
	echo "command: bench.test ${args[*]}"
	echo "profile: $PROFILE"
	echo "count: $COUNT"
	echo "benchtime: $BENCHTIME"
} >"${OUT%.txt}.meta"
start=$(date +%s)
status=0
# COUNT invocations of one sample each: a sample of every row per
# invocation, so the i-th samples of two rows come from the same minutes
# and their ratio is a paired one. A bad -sizes or -profile stops the
# first invocation with exit 2 before any benchmark runs.
: >"$OUT"
for i in $(seq 1 "$COUNT"); do
	echo "mmapbench: invocation $i of $COUNT" >&2
	"$bin/bench.test" "${args[@]}" -rotate $((i - 1)) >>"$OUT" || { status=$?; break; }
	if [ -n "$TWICE" ]; then
		"$bin/bench.test" "${args[@]}" -test.bench "$TWICE" -rotate $((i - 1)) >>"$OUT" || { status=$?; break; }
	fi
done
echo "mmapbench: done in $(($(date +%s) - start)) s" >&2
if [ "$status" -eq 2 ]; then
	exit 2 # refused before any work: nothing is moved into place
fi
# A sub-benchmark that fails under -count > 1 does not always fail the binary.
if [ "$status" -ne 0 ] || grep -q -- '--- FAIL' "$OUT"; then
	failed="${final%.txt}-failed.txt"
	mkdir -p "$(dirname "$final")"
	mv "$OUT" "$failed"
	echo "mmapbench: benchmarks failed (exit $status); the output is in $failed:" >&2
	grep -A3 -- '--- FAIL' "$failed" | head -20 >&2
	exit 1
fi
if ! grep -q '^Benchmark' "$OUT"; then
	echo "mmapbench: no benchmark matched -bench '$BENCH'; nothing to compare" >&2
	exit 2
fi

echo >&2
echo "mmapbench: backends side by side, time and throughput (all metrics are in $final):" >&2
# Keep name, iterations, ns/op and MB/s: the columns every result line starts with.
# Skipped samples (NaN ns/op) left out: benchstat takes all memory on them.
awk '/^Benchmark/ { if ($3 == "NaN") next; print $1, $2, $3, $4, $5, $6; next } { print }' "$OUT" >"$bin/summary.txt"
# pread is the baseline: the question is what mmap buys over read system calls.
"$GO" tool benchstat -filter '.name:(Read OR Write OR WriteSync OR OpenRead)' \
	-col '/backend@(pread osfile mmap mmapgo null)' -row .name,/access,/pattern,/bs,/cache,/size "$bin/summary.txt"

if [ "${IPC:-1}" != 0 ]; then
	ipcout="${OUT%.txt}-ipc.txt"
	echo >&2
	echo "mmapbench: the quick IPC run (mmapbench ipc -quick -count $COUNT); results in ${final%.txt}-ipc.txt" >&2
	ipcargs=(ipc -quick -count "$COUNT")
	[ -n "${MMAPBENCH_DIR:-}" ] && ipcargs+=(-dir "$MMAPBENCH_DIR")
	"$bin/mmapbench" "${ipcargs[@]}" >"$ipcout" || exit
	# Claim 5's writeback half: a third party calls fdatasync on the shared
	# object every millisecond while mmap and the other shared memories with
	# a descriptor spin (sysv has none; a futex wake-up would hide a
	# microsecond fault). The syncing thread gets a CPU only when the
	# scheduler preempts a spinner, so a row sees 100 to 500 syncs, and
	# mmap's p99.9 sits near the fraction of round trips they slow: some
	# rows miss it. Twice COUNT rounds of half a million round trips give
	# the U test the rounds to tell; about 5 to 12 s.
	wbout="${OUT%.txt}-ipc-writeback.txt"
	wbcount=$((2 * COUNT))
	echo "mmapbench: mmap under writeback (mmapbench ipc -backend mmap,posixshm,memfd -wait spin -writeback 1ms -samples 500000 -count $wbcount); results in ${final%.txt}-ipc-writeback.txt" >&2
	wbargs=(ipc -backend mmap,posixshm,memfd -wait spin -writeback 1ms -samples 500000 -count "$wbcount")
	[ -n "${MMAPBENCH_DIR:-}" ] && wbargs+=(-dir "$MMAPBENCH_DIR")
	"$bin/mmapbench" "${wbargs[@]}" >"$wbout" || exit
fi

if [ "${SCHED:-1}" != 0 ]; then
	schedout="${OUT%.txt}-sched.txt"
	echo >&2
	echo "mmapbench: BenchmarkBystander at GOMAXPROCS 1 and 2 (-cpu 1,2 -count $COUNT); results in ${final%.txt}-sched.txt" >&2
	# Its own run: -cpu applies to every benchmark of a run, and only this one
	# asks for GOMAXPROCS=1.
	schedargs=(-test.run '^$' -test.bench '^BenchmarkBystander$' -test.cpu 1,2 -test.count "$COUNT"
		-test.benchtime "$BENCHTIME" -test.benchmem -progress)
	[ -n "${MMAPBENCH_DIR:-}" ] && schedargs+=(-benchdir "$MMAPBENCH_DIR")
	status=0
	"$bin/bench.test" "${schedargs[@]}" >"$schedout" || status=$?
	if [ "$status" -ne 0 ] || grep -q -- '--- FAIL' "$schedout"; then
		echo "mmapbench: BenchmarkBystander failed (exit $status):" >&2
		grep -A3 -- '--- FAIL' "$schedout" | head -20 >&2
		exit 1
	fi
	echo "mmapbench: the bystander's wake-up p99 in µs, GOMAXPROCS=1 (left) against 2:" >&2
	"$GO" tool benchstat -filter '.unit:wake-p99-usec' -row /backend,/mitigation,/readers -col /gomaxprocs "$schedout" | sed -n '/│/,$p'
fi

# The run succeeded: move its files into place.
mkdir -p "$(dirname "$final")"
for f in "$bin/out"/*; do
	mv "$f" "$(dirname "$final")/"
done
echo "mmapbench: results in $final" >&2
