#!/usr/bin/env bash
# Calibrates the regression gate on this machine (make calibrate-gate;
# method and the latest table: docs/gate.md).
#
# Each round runs mmapbench regress -base BASE -head BASE once as A/A (the
# same commit both sides: each should pass) and once for each slowdown in
# SLOW, where the head binary runs with the test-only knob at that setting,
# MMAPBENCH_INJECT_SLOWDOWN=mmap:3%, and the base binary with the knob at
# 0% (its hook installed, never waiting), so that the two differ by the
# knob's waits alone (each should fail). Every run builds both
# binaries and takes fresh interleaved samples. Each run's samples are then
# judged again, offline, at every threshold in JUDGE: by the paired gate
# (mmapbench regress -old base.txt -new head.txt: the files' pair lines
# make it paired, and it reproduces -base's verdict at -base's threshold)
# and by the unpaired U test (the same with -unpaired), with -base's alpha
# and filter. Per run it prints both exit statuses at THRESHOLD, the gated
# row's median paired ratio head/base (ROW, sec/op), and the run's time.
#
# The realised shift: each run's ratio is a noisy sample of it, so the
# script first runs BenchmarkInjectedSlowdown (bench/slowdown_test.go),
# which times the gated row's own loop with the knob's hook nil, at 0% and
# at each SLOW setting in rotating stretches of one process: the shift the
# setting makes against 0%, and the hook's own cost. The summary also
# pools every run's pairs of a kind into one paired comparison of the
# row: the shift as the gate's own samples saw it.
#
# The summary table (stdout and OUT/summary.txt): per kind and judging
# threshold, how many runs each gate passed or caught; per kind the
# realised shifts and the time a run took. The targets (issue 15): at 2%,
# A/A passes in at least 19 of 20, a realised 3% is caught in at least 19
# of 20, at most 60 s a run; the script exits 1 when the paired gate
# misses one at THRESHOLD on the runs in OUT.
# Run it on an otherwise idle machine: it warns when another benchmark runs.
#
# A long calibration can be run in parts into one OUT, each part a few
# rounds, and summarized at the end:
#   OUT=results/cal RUNS=3 scripts/calibrate-gate.sh            # part 1: the realised shifts, rounds 1-3
#   OUT=results/cal RUNS=3 FIRST=4 REALISED=0 scripts/...       # part 2: rounds 4-6
#   OUT=results/cal RUNS=0 scripts/calibrate-gate.sh            # the summary of every run in OUT
#
# Knobs (environment):
#   RUNS=20                      rounds (0: no new runs, only the summary of OUT)
#   FIRST=1                      the first round's number, for a later part
#   SLOW="mmap:3% mmap:5% mmap:10%"   the injected slowdowns, backend:percent ("" for none)
#   AA=1                         0 leaves the A/A runs out
#   REALISED=1                   0 skips BenchmarkInjectedSlowdown
#   JUDGE="0% 0.5% 1% 2%"           thresholds the saved samples are judged at, besides THRESHOLD
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
JUDGE=${JUDGE-0% 0.5% 1% 2%}
ROW=${ROW:-mmap}
BASE=${BASE:-HEAD}
OUT=${OUT:-results/calibration-$(date -u +%Y-%m-%dT%H%M%SZ)}

case $RUNS in '' | *[!0-9]*)
	echo "calibrate-gate: RUNS=$RUNS: want a count of rounds (0: only the summary)" >&2
	exit 2
	;;
esac
case $FIRST in '' | *[!0-9]* | 0)
	echo "calibrate-gate: FIRST=$FIRST: want a round number, at least 1" >&2
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
for t in $JUDGE ${THRESHOLD:-}; do
	case $t in *%) ;; *)
		echo "calibrate-gate: JUDGE/THRESHOLD: $t: want a percentage, such as 2%" >&2
		exit 2
		;;
	esac
done
if [ "$RUNS" = 0 ] && [ ! -d "$OUT" ]; then
	echo "calibrate-gate: RUNS=0 summarizes OUT=$OUT, which does not exist" >&2
	exit 2
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench
mkdir -p "$OUT"

# The -base run's flags; the judging flags come from each run's regress.meta.
args=(regress -base "$BASE" -head "$BASE")
[ -n "${THRESHOLD:-}" ] && args+=(-threshold "$THRESHOLD")
[ -n "${ALPHA:-}" ] && args+=(-alpha "$ALPHA")
[ -n "${FILTER:-}" ] && args+=(-filter "$FILTER")
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

# pct prints regress.meta's threshold (a fraction) as a percentage.
pct() { awk '{ print 100 * $1 "%" }'; }

# judge dir: the run's samples judged at -base's threshold and at each of
# JUDGE, paired and unpaired: lines "<threshold> <paired exit> <unpaired exit>"
# in dir.judge. The first line is -base's threshold.
judge() {
	local dir=$1 a f t0 t p u
	a=$(sed -n 's/^alpha: //p' "$dir/regress.meta") f=$(sed -n 's/^filter: //p' "$dir/regress.meta")
	t0=$(sed -n 's/^threshold: //p' "$dir/regress.meta" | pct)
	: >"$dir.judge"
	for t in "$t0" $JUDGE; do
		[ "$t" = "$t0" ] && [ -s "$dir.judge" ] && continue
		p=0 u=0
		"$bin/mmapbench" regress -old "$dir/base.txt" -new "$dir/head.txt" -threshold "$t" -alpha "$a" -filter "$f" \
			>"$dir/paired-$t.txt" 2>>"$dir.log" || p=$?
		"$bin/mmapbench" regress -unpaired -old "$dir/base.txt" -new "$dir/head.txt" -threshold "$t" -alpha "$a" -filter "$f" \
			>"$dir/unpaired-$t.txt" 2>>"$dir.log" || u=$?
		echo "$t $p $u" >>"$dir.judge"
	done
}

# One run: its kind, its number, then the extra flags. Records the -base
# run's exit status, the offline verdicts, the ratio and the time.
run() {
	local kind=$1 i=$2
	shift 2
	local dir="$OUT/$kind-$i" code=0 t0
	t0=$(date +%s)
	"$bin/mmapbench" "${args[@]}" -out "$dir" "$@" >/dev/null 2>"$dir.log" || code=$?
	echo $(($(date +%s) - t0)) >"$dir.seconds"
	echo "$code" >"$dir.exit"
	if [ -f "$dir/head.txt" ]; then
		judge "$dir"
		# The paired verdict at -base's threshold, from the files, must be
		# -base's own: the pair lines make -old/-new reproduce it.
		if [ "$(head -n1 "$dir.judge" | cut -d' ' -f2)" != "$code" ]; then
			echo "calibrate-gate: $dir: -old/-new on the run's files exits $(head -n1 "$dir.judge" | cut -d' ' -f2), -base exited $code" >&2
		fi
	fi
	printf 'calibrate-gate: %-9s %2d/%d  -base exit %d; at %s paired %s, unpaired %s; %s row %s, %ss\n' "$kind" "$i" $((FIRST + RUNS - 1)) "$code" \
		"$(head -n1 "$dir.judge" 2>/dev/null | cut -d' ' -f1)" "$(head -n1 "$dir.judge" 2>/dev/null | cut -d' ' -f2)" "$(head -n1 "$dir.judge" 2>/dev/null | cut -d' ' -f3)" \
		"$ROW" "$(ratio "$dir/regress.txt")" "$(cat "$dir.seconds")" >&2
	[ "$code" = 2 ] && tail -n 3 "$dir.log" >&2
	return 0
}

kinds=()
[ "$AA" = 1 ] && kinds+=(aa)
for s in $SLOW; do kinds+=("$s"); done
[ ${#kinds[@]} -gt 0 ] || { echo "calibrate-gate: AA=0 and SLOW empty: nothing to run" >&2; exit 2; }

start=$(date +%s)
# The realised shifts, from BASE's bench package.
if [ "$RUNS" -gt 0 ] && [ "$REALISED" = 1 ] && [ -n "$SLOW" ]; then
	git worktree add --detach --quiet "$bin/src" "$BASE"
	trap 'git worktree remove --force "$bin/src" 2>/dev/null; rm -rf "$bin"' EXIT
	(cd "$bin/src" && "$GO" test -c -o "$bin/bench.test" ./bench)
	busy
	echo "calibrate-gate: the realised shifts: BenchmarkInjectedSlowdown at $(echo $SLOW | tr ' ' ',')" >&2
	(cd "$bin" && MMAPBENCH_CALIBRATE_SLOWDOWNS=$(echo $SLOW | tr ' ' ',') ./bench.test -test.run '^$' \
		-test.bench '^BenchmarkInjectedSlowdown$' -test.benchtime 500x) >"$OUT/realised.txt"
	grep '^Benchmark' "$OUT/realised.txt" >&2
fi

if [ "$RUNS" -gt 0 ]; then
	echo "calibrate-gate: $RUNS rounds of ${kinds[*]}: mmapbench ${args[*]}; results in $OUT" >&2
	for i in $(seq "$FIRST" $((FIRST + RUNS - 1))); do
		for k in "${kinds[@]}"; do
			busy
			name=${k//[:%]/}
			if [ "$k" = aa ]; then
				run aa "$i"
			else
				run "$name" "$i" -env "MMAPBENCH_INJECT_SLOWDOWN=${k%%:*}:0%" -head-env "MMAPBENCH_INJECT_SLOWDOWN=$k"
			fi
		done
	done
fi

# The summary covers every run in OUT, of this part and earlier ones.
names() { for k in "${kinds[@]}"; do [ "$k" = aa ] && echo aa || echo "${k//[:%]/}"; done; }
runs() { ls "$OUT/$1"-*.exit 2>/dev/null | wc -l; }

# verdicts kind threshold field: "P passed, F failed" over the runs of a
# kind judged at threshold, field 2 paired, 3 unpaired; errors (exit 2)
# and runs without samples are counted apart.
verdicts() {
	cat "$OUT/$1"-*.judge 2>/dev/null | awk -v t="$2" -v f="$3" -v n="$(runs "$1")" -v aa="$([ "$1" = aa ] && echo 1)" '
		$1 == t { c[$f]++; m++ }
		END {
			if (aa) s = sprintf("%d passed, %d FP", c[0], c[1]); else s = sprintf("%d caught, %d missed", c[1], c[0])
			if (c[2] + n - m > 0) s = s sprintf(", %d errors", c[2] + n - m)
			print s
		}'
}

# pooled: every run's pairs of a kind in one paired comparison of the row.
pooled() {
	ls "$OUT/$1"-*/base.txt >/dev/null 2>&1 || return 0
	cat "$OUT/$1"-*/base.txt >"$OUT/$1-pooled-base.txt"
	cat "$OUT/$1"-*/head.txt >"$OUT/$1-pooled-head.txt"
	"$bin/mmapbench" regress -old "$OUT/$1-pooled-base.txt" -new "$OUT/$1-pooled-head.txt" -alpha 0.05 \
		-filter "/backend:$ROW .unit:sec/op" >"$OUT/$1-pooled.txt" 2>&1 || true
	awk -v row="^Read/backend=$ROW/" '$0 ~ row && $8 ~ /^[0-9.]+$/ { printf "%+.2f%% [%+.2f%%, %+.2f%%] of %d pairs", 100*($8-1), 100*($9-1), 100*($11-1), $12; exit }' "$OUT/$1-pooled.txt"
}

# realised backend:percent: the in-process shift BenchmarkInjectedSlowdown
# measured, with its 95% interval.
realised() {
	[ -f "$OUT/realised.txt" ] || return 0
	awk -v k="/backend=${1%%:*}/frac=${1#*:}-" 'index($1, k) {
		for (i = 2; i < NF; i++) v[$(i+1)] = $i
		printf "%+.2f%% [%+.2f%%, %+.2f%%]", v["realised-%"], v["lo-%"], v["hi-%"]; exit }' "$OUT/realised.txt"
}

# hookcost backend:percent: the hook's own cost (0% against no hook) in
# the same run of BenchmarkInjectedSlowdown.
hookcost() {
	[ -f "$OUT/realised.txt" ] || return 0
	awk -v k="/backend=${1%%:*}/frac=${1#*:}-" 'index($1, k) {
		for (i = 2; i < NF; i++) v[$(i+1)] = $i
		printf "%+.2f%%", v["hook-%"]; exit }' "$OUT/realised.txt"
}

# The thresholds judged, -base's first.
thresholds=$(cat "$OUT"/*.judge 2>/dev/null | awk '{ if (!($1 in s)) { s[$1]; printf "%s ", $1 } }')
meta=$(ls "$OUT"/*/regress.meta 2>/dev/null | head -n1)
{
	echo "commit: $(git rev-parse "$BASE")"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(hostname)"
	echo "command: mmapbench ${args[*]} -out DIR [-env MMAPBENCH_INJECT_SLOWDOWN=mmap:0% -head-env MMAPBENCH_INJECT_SLOWDOWN=mmap:N%]"
	[ -n "$meta" ] && echo "gate: $(grep -E '^(count|bench|benchtime|alpha|filter|env): ' "$meta" | tr '\n' ' ')"
	echo "judged: mmapbench regress [-unpaired] -old DIR/base.txt -new DIR/head.txt -threshold T (-base's alpha and filter)"
	[ "$RUNS" -gt 0 ] && echo "this part: $(($(date +%s) - start)) s"
	echo
	printf '%-10s %-5s %-30s %-8s %-44s %s\n' kind runs "realised, in-process (95%)" "hook" "$ROW row, pooled paired ratio (95%)" "s/run"
	for k in "${kinds[@]}"; do
		name=${k//[:%]/}
		[ "$k" = aa ] && name=aa
		secs=$(cat "$OUT/$name"-*.seconds 2>/dev/null | awk '{s += $1; if ($1 > m) m = $1} END {if (NR) printf "%.0f (max %d)", s/NR, m}')
		r="" h=""
		[ "$k" != aa ] && r=$(realised "$k") h=$(hookcost "$k")
		printf '%-10s %-5s %-30s %-8s %-44s %s\n' "$k" "$(runs "$name")" "${r:--}" "${h:--}" "$(pooled "$name")" "$secs"
	done
	echo
	printf '%-10s %-10s %-24s %s\n' kind threshold "paired gate" "unpaired gate"
	for k in "${kinds[@]}"; do
		name=${k//[:%]/}
		[ "$k" = aa ] && name=aa
		for t in $thresholds; do
			printf '%-10s %-10s %-24s %s\n' "$k" "$t" "$(verdicts "$name" "$t" 2)" "$(verdicts "$name" "$t" 3)"
		done
	done
} | tee "$OUT/summary.txt"

# The targets, on every run of a kind in OUT (all parts), by the -base
# exit status: 19 of 20.
ok=1
for name in $(names); do
	n=$(runs "$name") want=1
	[ "$name" = aa ] && want=0
	got=$(cat "$OUT/$name"-*.exit 2>/dev/null | grep -cx "$want" || true)
	[ "$got" -lt $((n - n / 20)) ] && ok=0
done
[ "$ok" = 1 ]
