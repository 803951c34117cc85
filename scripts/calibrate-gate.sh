#!/usr/bin/env bash
# Calibrates the regression gate on this machine (make calibrate-gate):
# RUNS runs of mmapbench regress of BASE against itself (A/A: each should
# pass), alternating with RUNS runs where the head binary is slowed by the
# test-only knob MMAPBENCH_INJECT_SLOWDOWN=$SLOW (each should fail). Every
# run builds both binaries and takes fresh interleaved samples. The target
# is at least 19 of 20 on both sides; the script exits 1 when it is missed.
# Run it on an otherwise idle machine: it warns when another benchmark runs.
#
# Knobs (environment):
#   RUNS=20           runs of each kind
#   SLOW=mmap:10%     the injected slowdown: backend:percent
#   BASE=HEAD         the commit under test
#   OUT=results/calibration-<UTC date>   per-run results directories and summary.txt
#   COUNT, BENCH, BENCHTIME, THRESHOLD, ALPHA, FILTER   mmapbench regress's flags
#                     (default: its -base defaults)
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
RUNS=${RUNS:-20}
SLOW=${SLOW:-mmap:10%}
BASE=${BASE:-HEAD}
OUT=${OUT:-results/calibration-$(date -u +%Y-%m-%dT%H%M%SZ)}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench
mkdir -p "$OUT"

args=(regress -base "$BASE" -head "$BASE")
[ -n "${COUNT:-}" ] && args+=(-count "$COUNT")
[ -n "${THRESHOLD:-}" ] && args+=(-threshold "$THRESHOLD")
[ -n "${ALPHA:-}" ] && args+=(-alpha "$ALPHA")
[ -n "${BENCH:-}" ] && args+=(-bench "$BENCH")
[ -n "${BENCHTIME:-}" ] && args+=(-benchtime "$BENCHTIME")
[ -n "${FILTER:-}" ] && args+=(-filter "$FILTER")

busy() {
	if pgrep -f '\.test .*-test\.bench' >/dev/null; then
		echo "calibrate-gate: warning: another benchmark is running; the figures include its contention:" >&2
		pgrep -af '\.test .*-test\.bench' | cut -c1-120 >&2
	fi
}

# One run: its kind, its number, then the extra flags. Records the exit
# status and the verdict line.
run() {
	local kind=$1 i=$2
	shift 2
	local dir="$OUT/$kind-$i" code=0
	"$bin/mmapbench" "${args[@]}" -out "$dir" "$@" >/dev/null 2>"$dir.log" || code=$?
	echo "$code" >"$dir.exit"
	printf 'calibrate-gate: %-4s %2d/%d exit %d  %s\n' "$kind" "$i" "$RUNS" "$code" \
		"$(tail -n 1 "$dir/regress.txt" 2>/dev/null || tail -n 1 "$dir.log")" >&2
}

start=$(date +%s)
echo "calibrate-gate: $RUNS A/A and $RUNS injected ($SLOW) runs of: mmapbench ${args[*]}; results in $OUT" >&2
for i in $(seq 1 "$RUNS"); do
	busy
	run aa "$i"
	run slow "$i" -head-env "MMAPBENCH_INJECT_SLOWDOWN=$SLOW"
done

count() { # kind code
	local n=0 f
	for f in "$OUT/$1"-*.exit; do
		[ "$(cat "$f")" = "$2" ] && n=$((n + 1))
	done
	echo "$n"
}
aa_pass=$(count aa 0) aa_fail=$(count aa 1) aa_err=$(count aa 2)
sl_caught=$(count slow 1) sl_pass=$(count slow 0) sl_err=$(count slow 2)
{
	echo "commit: $(git rev-parse "$BASE")"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(hostname)"
	echo "command: mmapbench ${args[*]}"
	echo "duration: $(($(date +%s) - start)) s"
	echo "A/A: $aa_pass of $RUNS passed ($aa_fail false alarms, $aa_err errors)"
	echo "injected $SLOW: $sl_caught of $RUNS caught ($sl_pass missed, $sl_err errors)"
} | tee "$OUT/summary.txt"
need=$((RUNS - RUNS / 20)) # 19 of 20
[ "$aa_pass" -ge "$need" ] && [ "$sl_caught" -ge "$need" ]
