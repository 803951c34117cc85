#!/usr/bin/env bash
# Calibrates the regression gate on this machine (make calibrate-gate).
#
# Each round runs mmapbench regress -base BASE -head BASE once as A/A (the
# same commit both sides: each should pass) and once for each slowdown in
# SLOW, where the head binary runs with the test-only knob
# MMAPBENCH_INJECT_SLOWDOWN (each should fail). Every run builds both
# binaries and takes fresh interleaved samples. Each run is judged twice on
# the same samples: by the paired gate (-base's verdict) and by the
# unpaired U test (mmapbench regress -unpaired on the run's base.txt and
# head.txt, same threshold, alpha and filter). Per run it prints both exit
# statuses, the gated row's median paired ratio head/base (ROW, sec/op),
# and the run's time.
#
# The realised shift: each run's ratio is a noisy sample of it, so the
# script first runs BenchmarkInjectedSlowdown (bench/slowdown_test.go),
# which times the gated row's own loop with and without the knob in
# alternating stretches of one process: at 0%, to measure the wrapper's own
# cost (MMAPBENCH_INJECT_COST, which the knob then takes off its waits),
# then at each SLOW setting, to print the shift it really makes. At the
# end it pools every run's pairs of a kind into one paired comparison of
# the row.
#
# The summary table (stdout and OUT/summary.txt): per kind, how many runs
# each gate passed or caught, the realised shift, and the time a run took.
# The targets (README, "The regression gate"): A/A passes in at least 19 of
# 20, a slowdown caught in at least 19 of 20, at most 60 s a run; the
# script exits 1 when the paired gate misses one with RUNS=20.
# Run it on an otherwise idle machine: it warns when another benchmark runs.
#
# Knobs (environment):
#   RUNS=20                      rounds
#   FIRST=1                      the first round's number: a later part of a calibration
#                                split into parts adds to the same OUT with FIRST=RUNS+1
#   SLOW="mmap:3% mmap:5% mmap:10%"   the injected slowdowns, backend:percent ("" for none)
#   AA=1                         0 leaves the A/A runs out (to split a calibration into parts)
#   REALISED=1                   0 skips BenchmarkInjectedSlowdown
#   COST=                        MMAPBENCH_INJECT_COST for the knob (default: measured first,
#                                BenchmarkInjectedSlowdown's wrapper-ns at 0%)
#   ROW=mmap                     the backend whose row's ratio is printed
#   BASE=HEAD                    the commit under test
#   OUT=results/calibration-<UTC date>   per-run results directories and summary.txt
#   COUNT, BENCH, BENCHTIME, THRESHOLD, ALPHA, FILTER   mmapbench regress's flags
#                                (default: its -base defaults)
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
RUNS=${RUNS:-20}
FIRST=${FIRST:-1}
SLOW=${SLOW-mmap:3% mmap:5% mmap:10%}
AA=${AA:-1}
REALISED=${REALISED:-1}
ROW=${ROW:-mmap}
BASE=${BASE:-HEAD}
OUT=${OUT:-results/calibration-$(date -u +%Y-%m-%dT%H%M%SZ)}

case $RUNS in '' | *[!0-9]* | 0)
	echo "calibrate-gate: RUNS=$RUNS: want a count of rounds, at least 1" >&2
	exit 2
	;;
esac
for s in $SLOW; do
	case $s in *:*%) ;; *)
		echo "calibrate-gate: SLOW: $s: want backend:percent, such as mmap:3%" >&2
		exit 2
		;;
	esac
done

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench
mkdir -p "$OUT"

# The flags both gates share; the paired gate adds -base and -head.
judge=()
[ -n "${THRESHOLD:-}" ] && judge+=(-threshold "$THRESHOLD")
[ -n "${ALPHA:-}" ] && judge+=(-alpha "$ALPHA")
[ -n "${FILTER:-}" ] && judge+=(-filter "$FILTER")
args=(regress -base "$BASE" -head "$BASE" "${judge[@]}")
[ -n "${COUNT:-}" ] && args+=(-count "$COUNT")
[ -n "${BENCH:-}" ] && args+=(-bench "$BENCH")
[ -n "${BENCHTIME:-}" ] && args+=(-benchtime "$BENCHTIME")

busy() {
	if pgrep -f '\.test .*-test\.bench' >/dev/null; then
		echo "calibrate-gate: warning: another benchmark is running; the figures include its contention:" >&2
		pgrep -af '\.test .*-test\.bench' | cut -c1-120 >&2
	fi
}

# ratio prints the ROW backend's sec/op median ratio new/old from a
# paired regress table, as a signed percentage.
ratio() {
	awk -v row="^Read/backend=$ROW/" '
		/^[^ ]+ \(/ { unit = $1 }
		unit == "sec/op" && $0 ~ row && $8 ~ /^[0-9.]+$/ { printf "%+.1f%%", 100 * ($8 - 1); exit }
	' "$1" 2>/dev/null
}

# One run: its kind, its number, then the extra flags. Records both exit
# statuses, the ratio and the time.
run() {
	local kind=$1 i=$2
	shift 2
	local dir="$OUT/$kind-$i" paired=0 unpaired=0 t0
	t0=$(date +%s)
	"$bin/mmapbench" "${args[@]}" -out "$dir" "$@" >/dev/null 2>"$dir.log" || paired=$?
	echo $(($(date +%s) - t0)) >"$dir.seconds"
	if [ -f "$dir/head.txt" ]; then
		# -base's alpha and filter defaults are not -old/-new's: pass them.
		local a f
		a=$(sed -n 's/^alpha: //p' "$dir/regress.meta") f=$(sed -n 's/^filter: //p' "$dir/regress.meta")
		"$bin/mmapbench" regress -unpaired -old "$dir/base.txt" -new "$dir/head.txt" -threshold "$(sed -n 's/^threshold: //p' "$dir/regress.meta" | awk '{print 100*$1 "%"}')" \
			-alpha "$a" -filter "$f" >"$dir/unpaired.txt" 2>>"$dir.log" || unpaired=$?
	else
		unpaired=2
	fi
	echo "$paired $unpaired" >"$dir.exit"
	printf 'calibrate-gate: %-9s %2d/%d  paired exit %d, unpaired exit %d, %s row %s, %ss\n' "$kind" "$i" $((FIRST + RUNS - 1)) "$paired" "$unpaired" \
		"$ROW" "$(ratio "$dir/regress.txt")" "$(cat "$dir.seconds")" >&2
	[ "$paired" = 2 ] && tail -n 3 "$dir.log" >&2
	return 0
}

kinds=()
[ "$AA" = 1 ] && kinds+=(aa)
for s in $SLOW; do kinds+=("$s"); done
[ ${#kinds[@]} -gt 0 ] || { echo "calibrate-gate: AA=0 and SLOW empty: nothing to run" >&2; exit 2; }

start=$(date +%s)
# The knob's cost and the realised shifts, from BASE's bench package.
if [ "$REALISED" = 1 ] && [ -n "$SLOW" ]; then
	git worktree add --detach --quiet "$bin/src" "$BASE"
	trap 'git worktree remove --force "$bin/src" 2>/dev/null; rm -rf "$bin"' EXIT
	(cd "$bin/src" && "$GO" test -c -o "$bin/bench.test" ./bench)
	backends=$(for s in $SLOW; do echo "${s%%:*}"; done | sort -u)
	busy
	if [ -z "${COST:-}" ]; then
		echo "calibrate-gate: the knob's own cost: BenchmarkInjectedSlowdown at 0% on $(echo $backends)" >&2
		(cd "$bin" && MMAPBENCH_CALIBRATE_SLOWDOWNS=$(for b in $backends; do printf '%s:0%%,' "$b"; done | sed 's/,$//') \
			./bench.test -test.run '^$' -test.bench '^BenchmarkInjectedSlowdown$' -test.benchtime 2000x) >"$OUT/cost.txt"
		COST=$(awk '/^BenchmarkInjectedSlowdown/ { split($1, f, "[=/]"); for (i = 2; i < NF; i++) if ($(i+1) == "wrapper-ns") printf "%s%s:%.2fns", sep, f[3], $i; sep = "," }' "$OUT/cost.txt")
	fi
	echo "calibrate-gate: MMAPBENCH_INJECT_COST=$COST; the realised shifts: BenchmarkInjectedSlowdown at $(echo $SLOW | tr ' ' ',')" >&2
	(cd "$bin" && MMAPBENCH_INJECT_COST=$COST MMAPBENCH_CALIBRATE_SLOWDOWNS=$(echo $SLOW | tr ' ' ',') ./bench.test -test.run '^$' \
		-test.bench '^BenchmarkInjectedSlowdown$' -test.benchtime 2000x) >"$OUT/realised.txt"
	grep '^Benchmark' "$OUT/realised.txt" >&2
fi
[ -n "${COST:-}" ] && echo "$COST" >"$OUT/cost"

echo "calibrate-gate: $RUNS rounds of ${kinds[*]}: mmapbench ${args[*]}; results in $OUT" >&2
for i in $(seq "$FIRST" $((FIRST + RUNS - 1))); do
	for k in "${kinds[@]}"; do
		busy
		name=${k//[:%]/}
		if [ "$k" = aa ]; then
			run aa "$i"
		else
			run "$name" "$i" -head-env "MMAPBENCH_INJECT_SLOWDOWN=$k" -head-env "MMAPBENCH_INJECT_COST=${COST:-}"
		fi
	done
done

# count kind field code: runs of kind whose field-th exit status is code.
count() {
	local n=0 f
	for f in "$OUT/$1"-*.exit; do
		[ -f "$f" ] && [ "$(cut -d' ' -f"$2" "$f")" = "$3" ] && n=$((n + 1))
	done
	echo "$n"
}
runs() { ls "$OUT/$1"-*.exit 2>/dev/null | wc -l; }

# pooled: every run's pairs of a kind in one paired comparison of the row.
pooled() {
	cat "$OUT/$1"-*/base.txt >"$OUT/$1-pooled-base.txt" 2>/dev/null || return 0
	cat "$OUT/$1"-*/head.txt >"$OUT/$1-pooled-head.txt"
	"$bin/mmapbench" regress -old "$OUT/$1-pooled-base.txt" -new "$OUT/$1-pooled-head.txt" -alpha 0.05 \
		-filter "/backend:$ROW .unit:sec/op" >"$OUT/$1-pooled.txt" 2>&1 || true
	awk -v row="^Read/backend=$ROW/" '$0 ~ row && $8 ~ /^[0-9.]+$/ { printf "%+.1f%% [%+.1f%%, %+.1f%%] of %d pairs", 100*($8-1), 100*($9-1), 100*($11-1), $12; exit }' "$OUT/$1-pooled.txt"
}

# realised backend:percent: the in-process shift BenchmarkInjectedSlowdown
# measured, with its 95% interval.
realised() {
	[ -f "$OUT/realised.txt" ] || return 0
	awk -v k="/backend=${1%%:*}/frac=${1#*:}-" 'index($1, k) {
		for (i = 2; i < NF; i++) v[$(i+1)] = $i
		printf "%+.2f%% [%+.2f%%, %+.2f%%]", v["realised-%"], v["lo-%"], v["hi-%"]; exit }' "$OUT/realised.txt"
}

{
	echo "commit: $(git rev-parse "$BASE")"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(hostname)"
	echo "command: mmapbench ${args[*]} [-head-env MMAPBENCH_INJECT_SLOWDOWN=...]; unpaired: mmapbench regress -unpaired -old base.txt -new head.txt (same threshold, alpha, filter)"
	echo "duration: $(($(date +%s) - start)) s"
	echo
	echo "knob's own cost: MMAPBENCH_INJECT_COST=$(cat "$OUT/cost" 2>/dev/null)"
	printf '%-10s %-5s %-22s %-22s %-28s %-40s %s\n' kind runs "paired gate" "unpaired gate" "realised (95%)" "$ROW row, pooled paired ratio (95%)" "s/run"
	for k in "${kinds[@]}"; do
		name=${k//[:%]/}
		[ "$k" = aa ] && name=aa
		n=$(runs "$name")
		secs=$(cat "$OUT/$name"-*.seconds 2>/dev/null | awk '{s += $1; if ($1 > m) m = $1} END {if (NR) printf "%.0f (max %d)", s/NR, m}')
		if [ "$k" = aa ]; then
			p="$(count aa 1 0) passed, $(count aa 1 1) FP"
			u="$(count aa 2 0) passed, $(count aa 2 1) FP"
			r=""
		else
			p="$(count "$name" 1 1) caught, $(count "$name" 1 0) missed"
			u="$(count "$name" 2 1) caught, $(count "$name" 2 0) missed"
			r=$(realised "$k")
		fi
		errs=$(($(count "$name" 1 2) + $(count "$name" 2 2)))
		[ "$errs" -gt 0 ] && p="$p, $errs errors"
		printf '%-10s %-5s %-22s %-22s %-28s %-40s %s\n' "$k" "$n" "$p" "$u" "${r:--}" "$(pooled "$name")" "$secs"
	done
} | tee "$OUT/summary.txt"

# The targets, on every run of a kind in OUT (all parts): 19 of 20.
ok=1
if [ "$AA" = 1 ]; then
	n=$(runs aa)
	[ "$(count aa 1 0)" -lt $((n - n / 20)) ] && ok=0
fi
for k in $SLOW; do
	n=$(runs "${k//[:%]/}")
	[ "$(count "${k//[:%]/}" 1 1)" -lt $((n - n / 20)) ] && ok=0
done
[ "$ok" = 1 ]
