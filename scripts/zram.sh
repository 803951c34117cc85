# shellcheck shell=bash disable=SC2034 # ZRAM_WHY, ZRAM_DEV, ZRAM_MNT, ZRAM_DESC are for the scripts that source this
# scripts/zram.sh: a fresh zram device with ext4 on it, mounted in the
# run's private dir, for make oom-zram and make bench-lucene (sourced after
# invocations.sh, whose inv_start must have made $INV_DIR).
#
# A zram device is compressed RAM behind a block device: the benchmarks'
# pseudo-random data does not compress, so it is stored as is, and a read
# is answered in a few µs, like a fast NVMe drive, where the virtio disk
# takes ~110 µs.
#
#   zram_usable        0 when a device can be made here, else 1 with the
#                      reason in $ZRAM_WHY (not root, no zram, no mkfs.ext4)
#   zram_fits BYTES LABEL
#                      0 when a device of BYTES fits in the memory available,
#                      else 1 with the reason, naming LABEL, in $ZRAM_WHY
#   zram_make SIZE     makes the device (SIZE as disksize takes it: 5G),
#                      puts ext4 on it and mounts it on $INV_DIR/zram; sets
#                      ZRAM_DEV (its number), ZRAM_MNT, ZRAM_DESC; else 1
#                      with the reason in $ZRAM_WHY
#
# The device's number is written to $INV_DIR/zram-dev as soon as it exists:
# the script's exit (inv_cleanup) unmounts it and removes it, and after a
# kill -9 the next run of make oom-zram, bench-lucene or bench-map with the
# same TMPDIR does (inv_clean_stale). By hand: umount /tmp/mmapbench-run.*/zram;
# echo N >/sys/class/zram-control/hot_remove for the N in zram-dev beside it.

ZRAM_CONTROL=/sys/class/zram-control

zram_usable() {
	if [ "$(id -u)" != 0 ]; then
		ZRAM_WHY="needs root: it makes a zram device and memory cgroups (uid is $(id -u))"
		return 1
	fi
	if [ ! -e "$ZRAM_CONTROL/hot_add" ] && command -v modprobe >/dev/null; then
		modprobe zram num_devices=0 2>/dev/null || true
	fi
	if [ ! -e "$ZRAM_CONTROL/hot_add" ]; then
		ZRAM_WHY="no zram: $ZRAM_CONTROL/hot_add is missing (kernel built without CONFIG_ZRAM, or the module cannot be loaded)"
		return 1
	fi
	if ! command -v mkfs.ext4 >/dev/null; then
		ZRAM_WHY="mkfs.ext4 not found: install e2fsprogs"
		return 1
	fi
}

zram_fits() {
	local bytes=$1 label=$2 avail
	avail=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
	# zram holds what is written in RAM; the rest of the machine (and the
	# page cache's copy of the file) needs some too.
	if [ "$bytes" -ge $((avail - (2 << 30))) ]; then
		ZRAM_WHY="$label does not fit: $(numfmt --to=iec "$avail") of memory available, want the device's size plus 2G"
		return 1
	fi
}

zram_make() {
	local size=$1 z err
	if ! cat "$ZRAM_CONTROL/hot_add" >"$INV_DIR/zram-dev" || ! ZRAM_DEV=$(cat "$INV_DIR/zram-dev") || [ -z "$ZRAM_DEV" ]; then
		ZRAM_WHY="could not add a zram device ($ZRAM_CONTROL/hot_add)"
		return 1
	fi
	z=/sys/block/zram$ZRAM_DEV
	# lz4 where the kernel has it: the fastest of the usual compressors.
	if grep -qw lz4 "$z/comp_algorithm"; then
		echo lz4 >"$z/comp_algorithm" || true
	fi
	# shellcheck disable=SC2116 # echo's write error is the message
	if ! err=$(echo "$size" 2>&1 >"$z/disksize"); then
		ZRAM_WHY="could not size /dev/zram$ZRAM_DEV to $size: $err"
		return 1
	fi
	if ! err=$(mkfs.ext4 -q -F "/dev/zram$ZRAM_DEV" 2>&1); then
		ZRAM_WHY="mkfs.ext4 /dev/zram$ZRAM_DEV: $err"
		return 1
	fi
	ZRAM_MNT=$INV_DIR/zram
	mkdir -p "$ZRAM_MNT"
	if ! err=$(mount "/dev/zram$ZRAM_DEV" "$ZRAM_MNT" 2>&1); then
		ZRAM_WHY="mount /dev/zram$ZRAM_DEV: $err"
		return 1
	fi
	ZRAM_DESC="/dev/zram$ZRAM_DEV ($size, $(sed 's/.*\[\(.*\)\].*/\1/' "$z/comp_algorithm"), ext4)"
}
