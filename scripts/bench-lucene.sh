#!/usr/bin/env bash
# make bench-lucene (issue 14, "A real-world check"): Lucene's random-read
# benchmark (apache/lucene#16279) in our terms, BenchmarkRead -profile
# lucene: 16KiB random reads (16 of them are one Lucene op), the file warm,
# 1× and 2× a memory cgroup's limit (cache=mem:1, mem:2), 1, 4 and 16
# goroutines, mmap NORMAL and RANDOM each ± batched WILLNEED, pread ±
# fadvise WILLNEED, and O_DIRECT pread; on two devices:
#   disk  the bench dir on a block device: MMAPBENCH_DIR, or the system
#         temp dir (TMPDIR, else /tmp). One on tmpfs or any other file
#         system without a block device is skipped, saying so.
#   zram  a fresh zram device with ext4 (scripts/zram.sh), a stand-in for
#         the NVMe drive of Lucene's runs, made for the run and removed
#         after it. Needs root and zram; skipped with the reason without.
# Results: <OUT>-lucene-disk.txt and <OUT>-lucene-zram.txt (Go benchmark
# format, configuration lines once), each with a .meta sibling (commit,
# date, host, command, count, benchtime, elapsed, device), moved into place
# only when that device's run succeeded (a failed one's output goes to
# <OUT>-lucene-<device>-failed.txt). stdout: a time-per-op table per device;
# stderr: progress.
#
# Time: about 160 s for the whole make bench-lucene on the development VM
# (2 vCPUs, virtio disk) at the defaults, at aa67318 (disk 92 s, zram 66 s,
# from the invocations' start to their results); 406 s at d36dd3b, before
# a mapping's pressure fill stopped re-reading its range page by page.
#
# Knobs (environment; a bad value exits 2 before any work):
#   COUNT=5          samples per row: one -test.count 1 invocation each, the i-th
#                    with -rotate i-1, so that the strategies' samples are
#                    interleaved in time. Not 3: benchmath's U test cannot separate
#                    two rows of 3 samples at α=0.05
#   BENCHTIME=0.1s   -benchtime per sample (a duration such as 0.1s, or 100x); the
#                    default keeps the run within about 10 minutes here (above)
#   MMAPBENCH_DIR=   the disk run's directory (default: the system temp dir)
#   DEVICES=disk,zram  the runs, in this order
#   OUT=results/<date>-<host>  the results files' stem
#   GO=go
#
# Exit status: 0 every run that could run succeeded (a device skipped for
# want of root, zram or a block device is not a failure); 1 a run failed;
# 2 bad input, or nothing could run.
#
# Ctrl-C and TERM stop the benchmark, remove the zram device, its mount
# and the temp dir, and move nothing of the stopped run into place (a
# device whose run had finished keeps its results). After a kill -9 the zram
# device and its mount stay (the kernel keeps them) with the temp dir
# holding them, ${TMPDIR:-/tmp}/mmapbench-run.*: the next make
# bench-lucene, oom-zram or bench-map (same TMPDIR) removes them, or see
# scripts/zram.sh for the commands.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/invocations.sh
. scripts/invocations.sh
# shellcheck source=scripts/zram.sh
. scripts/zram.sh

GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-0.1s}
DEVICES=${DEVICES:-disk,zram}
stem=${OUT:-results/$(date -u +%Y-%m-%d)-$(hostname -s)}
# The profile's file is the quick profile's large one (256MiB on the
# development VM: 8× its LLC); ext4 takes ~5% of a device this size. 1G
# leaves room for the file of a machine whose LLC is up to 64MiB, and
# costs only what is written: zram allocates as pages are written.
ZRAM_DISKSIZE=1G
# The profile sets the size; an exported MMAPBENCH_SIZES would override it
# in the binary, and the zram device is sized for the profile's file.
unset MMAPBENCH_SIZES

bad() { echo "bench-lucene: $*" >&2; exit 2; }

case "$COUNT" in
'' | *[!0-9]* | 0*) bad "COUNT=$COUNT: want a positive whole number of samples" ;;
esac
# go test's -benchtime: a Go duration (time.ParseDuration's units) or Nx.
unit='(ns|us|µs|μs|ms|s|m|h)'
num='([0-9]+(\.[0-9]*)?|\.[0-9]+)'
if ! [[ $BENCHTIME =~ ^([1-9][0-9]*x|($num$unit)+)$ ]] || ! [[ $BENCHTIME =~ [1-9] ]]; then
	bad "BENCHTIME=$BENCHTIME: want a positive duration such as 0.1s or 500ms, or a number of iterations such as 100x"
fi
IFS=, read -ra devices <<<"$DEVICES"
[ "${#devices[@]}" -gt 0 ] || bad "DEVICES=$DEVICES: want disk, zram or both, comma-separated"
seen=,
for d in "${devices[@]}"; do
	case "$d" in
	disk | zram) ;;
	*) bad "DEVICES=$DEVICES: \"$d\" is not a device: want disk, zram or both, comma-separated" ;;
	esac
	[[ $seen != *",$d,"* ]] || bad "DEVICES=$DEVICES: $d is named twice"
	seen+="$d,"
done
case "$stem" in
*.txt | */) bad "OUT=$stem: want the results files' stem, such as results/2026-12-01-host (the script adds -lucene-disk.txt and -lucene-zram.txt)" ;;
esac
outdir=$(dirname "$stem")
[ ! -e "$outdir" ] || [ -d "$outdir" ] || bad "OUT=$stem: $outdir is not a directory"
command -v "$GO" >/dev/null || bad "GO=$GO: no such command (want the go command)"

# blockdev DIR prints the block device DIR's file system is on (vda,
# dm-0), or nothing when there is none (tmpfs, overlay, NFS).
blockdev() {
	local src
	src=$(findmnt -n -o SOURCE -T "$1" 2>/dev/null | head -1) || true
	src=${src%%\[*} # btrfs names its subvolume: /dev/sda2[/@]
	if [ -n "$src" ] && [ -b "$src" ]; then
		basename "$(readlink -f "$src")"
	fi
}
fstype() { findmnt -n -o FSTYPE -T "$1" 2>/dev/null | head -1 || true; }

# Which runs can run, and why not the others; all checked before any work.
declare -A why=()
if [[ $seen == *,disk,* ]]; then
	if [ -n "${MMAPBENCH_DIR:-}" ]; then
		diskdir=$MMAPBENCH_DIR
		[ -d "$diskdir" ] || bad "MMAPBENCH_DIR=$diskdir: not a directory"
		if [ ! -w "$diskdir" ] || [ ! -x "$diskdir" ]; then
			bad "MMAPBENCH_DIR=$diskdir: cannot create files there"
		fi
		named="MMAPBENCH_DIR=$diskdir"
	else
		diskdir=${TMPDIR:-/tmp}
		named="the system temp dir $diskdir"
	fi
	diskdev=$(blockdev "$diskdir")
	if [ -z "$diskdev" ]; then
		hint="a directory on a disk"
		vt=$(blockdev /var/tmp)
		[ -z "$vt" ] || hint="a directory on a disk, such as /var/tmp (on /dev/$vt)"
		why[disk]="$named is on $(fstype "$diskdir" || true), which has no block device: set MMAPBENCH_DIR to $hint"
	fi
fi
if [[ $seen == *,zram,* ]]; then
	if ! zram_usable || ! zram_fits "$(numfmt --from=iec "$ZRAM_DISKSIZE")" "a $ZRAM_DISKSIZE zram device"; then
		why[zram]=$ZRAM_WHY
	fi
fi
runnable=0
for d in "${devices[@]}"; do
	if [ -n "${why[$d]:-}" ]; then
		echo "bench-lucene: skipping the $d run: ${why[$d]}" >&2
	else
		runnable=$((runnable + 1))
	fi
done
[ "$runnable" -gt 0 ] || bad "nothing could run (DEVICES=$DEVICES)"

inv_start
inv_build || exit

status=0
for d in "${devices[@]}"; do
	[ -z "${why[$d]:-}" ] || continue
	final="$stem-lucene-$d.txt"
	if [ "$d" = zram ]; then
		if ! zram_make "$ZRAM_DISKSIZE"; then
			echo "bench-lucene: the zram run cannot run: $ZRAM_WHY" >&2
			inv_undo "$INV_DIR" || true
			status=1
			continue
		fi
		dir=$ZRAM_MNT
		device="zram$ZRAM_DEV (${ZRAM_DESC#*(}"
	else
		dir=$diskdir
		device="$diskdev ($(fstype "$dir"), $dir)"
	fi
	echo "bench-lucene: $d: $device" >&2
	args=(-test.run '^$' -test.bench '^BenchmarkRead$' -test.count 1 -test.benchtime "$BENCHTIME"
		-test.benchmem -profile lucene -progress -benchdir "$dir")
	mkdir "$INV_DIR/out-$d"
	out="$INV_DIR/out-$d/$(basename "$final")"
	inv_meta "${out%.txt}.meta" "command: bench.test ${args[*]}" "profile: lucene" \
		"count: $COUNT" "benchtime: $BENCHTIME" "device: $device"
	echo "bench-lucene: $d: -profile lucene -count $COUNT -benchtime $BENCHTIME; results in $final" >&2
	start=$(date +%s)
	s=0
	inv_run "$out" "$COUNT" "$d: " "${args[@]}" || s=$?
	s2=0
	inv_settle "$final" "$out" "$s" "$(($(date +%s) - start))" || s2=$?
	if [ "$d" = zram ]; then
		inv_undo "$INV_DIR" || true # the device's memory back before the next run
	fi
	if [ "$s2" -ne 0 ]; then
		[ "$status" -eq 1 ] || status=$s2
		continue
	fi
	# A skipped row (mem:N without root or a memory controller) prints no
	# result line, or one of 0 iterations and NaN ns/op, and go test prints
	# its reason only with -v: count the real samples.
	awk -v n="$COUNT" -v d="$d" '/^BenchmarkRead\// && $3 != "NaN" { c[$1]++ } END { r = 0; k = 0; for (x in c) { r++; if (c[x] < n) k++ }
		printf "bench-lucene: %s: %d rows, %d of them with fewer than %d samples (skipped in some invocations); rows skipped in all print nothing\n", d, r, k, n }' "$out" >&2
	echo "bench-lucene: $d: time per op, one 16KiB read (Lucene's ops/ms = 1e6 / (16 × ns/op)), per strategy, the file warm and 1× and 2× the limit; all metrics are in $final:" >&2
	# Keep name, iterations and ns/op: the columns every result line starts with.
	# Skipped samples (NaN ns/op) left out: benchstat takes all memory on them.
	awk '/^Benchmark/ { if ($3 == "NaN") next; print $1, $2, $3, $4; next } { print }' "$out" >"$INV_DIR/summary.txt"
	"$GO" tool benchstat -col '/cache@(warm "mem:1" "mem:2")' -row /threads,/backend,/access,/advice,/prefetch "$INV_DIR/summary.txt" || true
	inv_place "$final" "$out"
	echo "bench-lucene: $d: results in $final" >&2
done
exit "$status"
