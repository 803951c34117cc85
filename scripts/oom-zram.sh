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
# The script makes a fresh zram device (scripts/zram.sh), puts ext4 on it,
# mounts it on a private directory, runs mmapbench oom there, and removes
# it all on exit, Ctrl-C or TERM; after a kill -9, the next run removes
# what is left (scripts/invocations.sh). Needs root, the zram module and
# mkfs.ext4 (e2fsprogs).
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

# shellcheck source=scripts/invocations.sh
. scripts/invocations.sh
# shellcheck source=scripts/zram.sh
. scripts/zram.sh

die() { echo "oom-zram: $*" >&2; exit 2; }

zram_usable || die "$ZRAM_WHY"
bytes=$(numfmt --from=iec "$ZRAM_SIZE" 2>/dev/null) || die "ZRAM_SIZE=$ZRAM_SIZE is not a size like 5G"
zram_fits "$bytes" "ZRAM_SIZE=$ZRAM_SIZE" || die "$ZRAM_WHY"

# $INV_DIR holds the binary, the device's mount and the results until the
# run succeeded: a failed or interrupted run leaves no half-written results,
# and an INT or TERM is passed on to mmapbench oom, which kills its reader
# and removes its cgroup and file, before the device goes.
inv_start
bin=$INV_DIR
INV_CHILD_SIG=INT inv_exec - "$GO" build -o "$bin/mmapbench" ./cmd/mmapbench || exit
zram_make "$ZRAM_SIZE" || die "$ZRAM_WHY"
echo "oom-zram: $ZRAM_DESC on $ZRAM_MNT" >&2

# mmapbench oom exits 2 on bad flags, naming them.
# shellcheck disable=SC2086 # FLAGS is a list of flags
inv_exec "$bin/oom.txt" "$bin/mmapbench" oom -dir "$ZRAM_MNT" -csv "$bin/oom.csv" $FLAGS || exit
mv "$bin/oom.txt" "$stem-oom-zram.txt"
mv "$bin/oom.csv" "$stem-oom-zram.csv"
echo "results: $stem-oom-zram.txt $stem-oom-zram.csv" >&2
