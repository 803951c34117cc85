#!/usr/bin/env bash
# Fidelity cross-check (issue 3): runs fio and the harness on the same warm,
# sequential workloads, on files of the same size in the same directory,
# and prints the ratio table with each target and PASS/FAIL:
#   pread copy 4KiB   IOPS      vs fio psync bs=4k   (>= 0.90)
#   pread copy 1MiB   bandwidth vs fio psync bs=1m   (>= 0.95)
#   mmap  copy 4KiB   IOPS      vs fio mmap  bs=4k   (>= 0.95; fio's mmap engine memcpys too)
#   mmap  view 4KiB and 1MiB    vs null view, the same consume loop over an
#                               in-memory buffer     (>= 0.80)
#   null  copy and view 64B: harness overhead, the matrix loop's ns/op
#         minus a bare loop doing the same call and Consume (<= 5 ns/op)
# fio never looks at the bytes it reads; the matrix's reads all Consume them.
# So the checks against fio use the harness's loop without Consume
# (BenchmarkNoConsume), and the last column shows the matrix row's ratio.
#
# fio and the harness run in ROUNDS alternating rounds (fio first in odd
# rounds, the harness first in even ones), so drift hits both alike; every
# figure is the median over the rounds. fio reads into a page-aligned buffer
# (--iomem_align=4k), as the harness does (impl.AlignedBuffer): with fio's
# default alignment, 1 MiB copies from the page cache ran 7x slower here.
#
# Knobs (environment):
#   SIZE=16MiB       file size; must be a size= value the matrix accepts
#                    (16MiB fits in L3; 1GiB does not and takes longer)
#   ROUNDS=5         rounds of fio + harness
#   FIO_RUNTIME=2    seconds per fio job per round (time_based)
#   BENCHTIME=1s     -benchtime per harness sample (one sample per round)
#   MMAPBENCH_DIR=   directory for the files (default: $TMPDIR, else /tmp)
#   KEEP=            a directory to copy the raw fio JSON and harness output to
#   GO=go
#
# stdout: the table (and a header line); stderr: progress.
# Exit status: 0 all checks pass; 1 a check failed (the table says which);
# 2 the check could not run (fio missing and not installable, bad knobs,
# no space). Nothing is left behind in any case: the private directory is
# removed on exit, Ctrl-C or TERM.
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
SIZE=${SIZE:-16MiB}
ROUNDS=${ROUNDS:-5}
FIO_RUNTIME=${FIO_RUNTIME:-2}
BENCHTIME=${BENCHTIME:-1s}
KEEP=${KEEP:-}

log() { echo "crosscheck: $*" >&2; }
die() { log "$*"; exit 2; }

case $SIZE in
*KiB) bytes=$((${SIZE%KiB} << 10)) ;;
*MiB) bytes=$((${SIZE%MiB} << 20)) ;;
*GiB) bytes=$((${SIZE%GiB} << 30)) ;;
*) die "SIZE=$SIZE: want a size such as 16MiB or 1GiB" ;;
esac
((bytes >= 1 << 20 && (bytes & (bytes - 1)) == 0)) || die "SIZE=$SIZE: want a power of two of at least 1MiB, as the matrix's sizes are"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS=$ROUNDS: want a positive integer"
[[ $FIO_RUNTIME =~ ^[1-9][0-9]*$ ]] || die "FIO_RUNTIME=$FIO_RUNTIME: want whole seconds"

# fio: install it with apt when it is missing; stop (exit 2) if that fails.
if ! command -v fio >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 ||
		die "fio is not installed and there is no apt-get to install it with: install fio and run again"
	log "fio is not installed: installing it with apt-get install -y fio"
	export DEBIAN_FRONTEND=noninteractive
	if ! out=$(apt-get install -y -q fio 2>&1); then
		log "apt-get install fio failed; running apt-get update and trying again"
		if ! out=$({ apt-get update -q && apt-get install -y -q fio; } 2>&1); then
			die "fio is not installed and apt-get failed: $(tail -n 3 <<<"$out")"
		fi
	fi
	command -v fio >/dev/null 2>&1 || die "fio is not installed and apt-get did not install it"
	log "installed $(fio --version)"
fi

parent=${MMAPBENCH_DIR:-${TMPDIR:-/tmp}}
tmp=$(mktemp -d "$parent/crosscheck.XXXXXX") || die "cannot make a private directory under $parent"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fio's file and the harness's shared file, both SIZE, plus slack.
avail=$(df --output=avail -B1 "$tmp" | tail -n 1)
((avail > 2 * bytes + (64 << 20))) || die "$parent has $((avail >> 20)) MiB free; the check needs two files of $SIZE"

log "building the benchmark binary and the table helper"
"$GO" test -c -o "$tmp/bench.test" ./bench || die "cannot build the benchmarks (go test -c ./bench failed)"
"$GO" build -o "$tmp/fioratio" ./scripts/fioratio || die "cannot build scripts/fioratio"

data=$tmp/fio.dat
log "writing fio's $SIZE file in $tmp and reading it into the page cache"
dd if=/dev/urandom of="$data" bs=1M count=$((bytes >> 20)) conv=fsync status=none
warm() {
	cat "$data" >/dev/null
	if command -v fincore >/dev/null 2>&1; then
		res=$(fincore --bytes --noheadings --output RES "$data" | tr -d ' ')
		((res == bytes)) || die "cache=warm: only $res of $bytes bytes of $data are resident after reading it (is memory short?)"
	fi
}

# The harness rows: the matrix's warm sequential reads at SIZE (baseline
# advice and one reader), and the fidelity benchmarks of bench/fidelity_test.go.
read_re="^BenchmarkRead\$/^backend=(pread|mmap|null)\$/^access=(copy|view)\$/^pattern=seq\$/^bs=(4KiB|1MiB)\$/^cache=warm\$/^size=$SIZE\$/^advice=none\$/^threads=1\$"
fidelity_re='^Benchmark(HarnessOverhead|NoConsume)$'
harness_out=$tmp/harness.txt
run_harness() {
	local re
	for re in "$read_re" "$fidelity_re"; do
		MMAPBENCH_PROFILE=quick MMAPBENCH_SIZES=$SIZE "$tmp/bench.test" -test.run '^$' -test.bench "$re" \
			-test.count 1 -test.benchtime "$BENCHTIME" -benchdir "$tmp" >>"$harness_out" ||
			die "the harness failed: see its messages above"
	done
}

mkdir "$tmp/fio"
run_fio() {
	local r=$1 job engine bs
	for job in psync-4k psync-1m mmap-4k; do
		engine=${job%-*} bs=${job#*-}
		warm
		fio --name="$job" --filename="$data" --size="$bytes" --ioengine="$engine" --rw=read --bs="$bs" \
			--iomem_align=4k --invalidate=0 --numjobs=1 --time_based --runtime="$FIO_RUNTIME" \
			--output-format=json --output="$tmp/fio/$job-r$r.json" >&2 || die "fio $job failed"
	done
}

read -r load _ </proc/loadavg
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	log "warning: the machine is not idle (1-minute load average $load): the ratios will be noisy"
fi

# CPU seconds used by everything (user, nice, system, irq, softirq) and
# stolen by the hypervisor, from /proc/stat: with this script's own share
# (bash's times), they tell whether something else ran during the check.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f %.2f\n", ($2+$3+$4+$7+$8)/hz, $9/hz }' /proc/stat; }
read -r busy0 steal0 < <(cpu_seconds)

start=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		log "round $r/$ROUNDS: fio (3 jobs x ${FIO_RUNTIME}s), then the harness"
		run_fio "$r"
		run_harness
	else
		log "round $r/$ROUNDS: the harness, then fio"
		run_harness
		run_fio "$r"
	fi
done
elapsed=$((SECONDS - start))
log "done in ${elapsed}s"
read -r busy1 steal1 < <(cpu_seconds)
times >"$tmp/times" # a builtin with a redirection runs in this shell; in a pipe it would not
ours=$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1*60 + $2 + $3*60 + $4 }' "$tmp/times")
awk -v b="$(awk -v a="$busy0" -v b="$busy1" 'BEGIN { print b - a }')" -v o="$ours" -v e="$elapsed" \
	-v st="$(awk -v a="$steal0" -v b="$steal1" 'BEGIN { print b - a }')" 'BEGIN {
	other = b - o
	if (e > 0 && (other > 0.05 * e || st > 0.05 * e))
		printf "crosscheck: warning: other work took %.0f CPU-s and the hypervisor stole %.0f CPU-s during the %ds run: the ratios are suspect, run again on an idle machine\n", other, st, e > "/dev/stderr"
}'

if [[ -n $KEEP ]]; then
	mkdir -p "$KEEP"
	cp -r "$tmp/fio" "$harness_out" "$KEEP/"
	log "raw outputs copied to $KEEP"
fi

echo "fio-crosscheck: size=$SIZE cache=warm pattern=seq rounds=$ROUNDS fio-runtime=${FIO_RUNTIME}s benchtime=$BENCHTIME $(fio --version)"
status=0
"$tmp/fioratio" -fio "$tmp/fio" -bench "$harness_out" -size "$SIZE" || status=$?
exit "$status"
