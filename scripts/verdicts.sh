#!/usr/bin/env bash
# make verdicts: reruns the quick profile (make bench without the bystander
# run) and the report's rules RUNS times, then prints each claim's verdict
# and the one-shot crossover per run, side by side, and whether they agree.
# A verdict that flips between runs of the same commit on the same machine
# rides on noise.
#
# Knobs (environment):
#   RUNS=5     how many runs
#   OUT=       directory for the runs (default results/verdicts-<host>): run-N.txt with its
#              -ipc, -durable and -count siblings, run-N.md (the report) and run-N.json (verdicts)
#   COUNT, BENCHTIME, MMAPBENCH_DIR, GO: as for scripts/bench.sh
# Exit status: 0 every claim agrees in every run, 1 some disagree, 2 bad input or a failed run.
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
RUNS=${RUNS:-5}
case "$RUNS" in
'' | *[!0-9]* | 0* | 1) echo "make verdicts: RUNS=$RUNS: want a whole number of runs, at least 2" >&2; exit 2 ;;
esac
dir=${OUT:-"results/verdicts-$(hostname -s)"}
mkdir -p "$dir"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench

start=$(date +%s)
jsons=()
for i in $(seq 1 "$RUNS"); do
	echo "make verdicts: run $i of $RUNS ($(($(date +%s) - start)) s so far)" >&2
	# The benchstat tables bench.sh prints are not wanted here.
	OUT="$dir/run-$i.txt" SCHED=0 GO="$GO" scripts/bench.sh >/dev/null || exit 2
	"$bin/mmapbench" report -measure -o "$dir/run-$i.md" -plots "$dir/plots" -verdicts "$dir/run-$i.json" "$dir/run-$i.txt" >/dev/null || exit 2
	jsons+=("$dir/run-$i.json")
done
echo "make verdicts: $RUNS runs in $(($(date +%s) - start)) s; runs in $dir" >&2
"$bin/mmapbench" verdicts "${jsons[@]}"
