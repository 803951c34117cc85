#!/usr/bin/env bash
# make oom-zram (issue 6): mmapbench oom on a RAM-backed block device.
#
# On the local virtio disk a random 4KiB read waits ~110 µs for the device,
# which hides what eviction costs the CPU, and no cliff appears. A zram
# device (compressed RAM; the benchmark's pseudo-random data does not
# compress, so it is stored as is) answers in a few µs, like a fast NVMe
# drive: there, reclaiming the page cache costs what a read costs, and
# mmap, which must also unmap what it evicts, shows it most. The memory
# cgroup still holds the reader to the limit; zram's own memory is not
# charged to it (the file is written before the cgroup exists).
#
# The script makes a fresh zram device (/sys/class/zram-control/hot_add),
# puts ext4 on it, mounts it on a private directory, runs mmapbench oom
# there, and removes it all on exit, Ctrl-C or TERM. Needs root, the zram
# module and mkfs.ext4 (e2fsprogs).
#
# Knobs (environment):
#   OOM_ZRAM_FLAGS='-size 4GiB -limit 1GiB -readers 2 -interval 250ms -duration 20s'
#                  flags of mmapbench oom. 1GiB and 250ms: at ~1 GB/s the
#                  cache fills in about a second, so the start phase gets
#                  several rows; 2 readers keep both vCPUs busy.
#   ZRAM_SIZE=5G   the device's size: the file plus room for ext4
#   OUT=results/<date>-<host>   writes $OUT-oom-zram.txt and $OUT-oom-zram.csv
#   GO=go
#
# stdout: nothing (the results go to the files); stderr: progress.
# Exit status: 0 done; 1 the run failed; 2 it could not start (not root, no
# zram, not enough memory, bad flags).
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
FLAGS=${OOM_ZRAM_FLAGS:--size 4GiB -limit 1GiB -readers 2 -interval 250ms -duration 20s}
ZRAM_SIZE=${ZRAM_SIZE:-5G}
stem=${OUT:-results/$(date -u +%Y-%m-%d)-$(hostname -s)}

die() { echo "oom-zram: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root: it makes a zram device and memory cgroups (uid is $(id -u))"
if [ ! -e /sys/class/zram-control/hot_add ] && command -v modprobe >/dev/null; then
	modprobe zram num_devices=0 2>/dev/null || true
fi
[ -e /sys/class/zram-control/hot_add ] || die "no zram: /sys/class/zram-control/hot_add is missing (kernel built without CONFIG_ZRAM, or the module cannot be loaded)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: install e2fsprogs"
bytes=$(numfmt --from=iec "$ZRAM_SIZE" 2>/dev/null) || die "ZRAM_SIZE=$ZRAM_SIZE is not a size like 5G"
avail=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
# zram holds the whole file in RAM; the rest of the machine needs some too.
[ "$bytes" -lt $((avail - (2 << 30))) ] ||
	die "ZRAM_SIZE=$ZRAM_SIZE does not fit: $(numfmt --to=iec "$avail") of memory available, want the device's size plus 2G"

bin=$(mktemp -d "${TMPDIR:-/tmp}/mmapbench-zram-bin.XXXXXX")
mnt=
dev=
cleanup() {
	if [ -n "$mnt" ]; then
		umount "$mnt" 2>/dev/null || true
		rmdir "$mnt" 2>/dev/null || true
	fi
	if [ -n "$dev" ]; then
		echo "$dev" >/sys/class/zram-control/hot_remove 2>/dev/null ||
			echo "oom-zram: could not remove /dev/zram$dev" >&2
	fi
	rm -rf "$bin"
}
# bash runs a trap only after the foreground command ends, so the run goes
# in the background and a signal is passed on to it: mmapbench oom kills
# its reader and removes its cgroup and file, then the device goes.
child=
stop() {
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	exit "$1"
}
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench

dev=$(cat /sys/class/zram-control/hot_add)
z=/sys/block/zram$dev
# lz4 where the kernel has it: the fastest of the usual compressors.
grep -qw lz4 "$z/comp_algorithm" && echo lz4 >"$z/comp_algorithm"
echo "$ZRAM_SIZE" >"$z/disksize"
mkfs.ext4 -q -F "/dev/zram$dev"
mnt=$(mktemp -d "${TMPDIR:-/tmp}/mmapbench-zram.XXXXXX")
mount "/dev/zram$dev" "$mnt"
echo "oom-zram: /dev/zram$dev ($ZRAM_SIZE, $(sed 's/.*\[\(.*\)\].*/\1/' "$z/comp_algorithm"), ext4) on $mnt" >&2

# Into the private directory first: a failed or interrupted run leaves no
# half-written results (mmapbench oom exits 2 on bad flags, naming them).
# shellcheck disable=SC2086 # FLAGS is a list of flags
"$bin/mmapbench" oom -dir "$mnt" -csv "$bin/oom.csv" $FLAGS >"$bin/oom.txt" &
child=$!
wait "$child" || exit $?
child=
mv "$bin/oom.txt" "$stem-oom-zram.txt"
mv "$bin/oom.csv" "$stem-oom-zram.csv"
echo "results: $stem-oom-zram.txt $stem-oom-zram.csv" >&2
