# shellcheck shell=bash
# scripts/invocations.sh: how a measuring script runs, sourced by
# bench-map.sh, bench-lucene.sh and oom-zram.sh (bench.sh keeps its own
# loop: it appends every invocation's output whole and runs TWICE rows, and
# make bench must stay as it is).
#
#   inv_start               a private temp dir, $INV_DIR, and the traps
#   inv_exec OUT CMD...     CMD with its stdout in OUT (- for the script's),
#                           as a child that Ctrl-C and TERM reach at once
#   inv_build               go test -c ./bench into $INV_DIR/bench.test
#   inv_meta META LINE...   the .meta file: commit, date, host, then LINEs
#   inv_run OUT COUNT LABEL ARGS...
#                           COUNT invocations of bench.test ARGS, the i-th
#                           with -rotate i-1, configuration lines kept once
#   inv_settle FINAL OUT STATUS ELAPSED
#                           what the run's status means, a failed run's
#                           output moved to FINAL's -failed.txt sibling
#   inv_place FINAL OUT     a good run's OUT and OUT's .meta moved to FINAL
#
# Nothing is left behind by an exit, Ctrl-C or TERM. SIGKILL cannot be
# caught: $INV_DIR is locked (flock) by the script and every child, and the
# next run of any script that sources this file (same TMPDIR) removes the
# dirs whose lock is free, with what they hold: a mount is unmounted and a
# zram device recorded in them (zram.sh) removed first, by the same
# inv_undo as every exit's. Children get SIGTERM when the script dies
# (setpriv --pdeathsig, where util-linux has it), so that a killed script's
# benchmark does not run on for minutes holding the lock and the mount.

# The prefix of every run's temp dir; inv_clean_stale looks for it.
INV_PREFIX=mmapbench-run
INV_CHILD=
INV_DIR=

INV_PDEATH=
if command -v setpriv >/dev/null && setpriv --help 2>&1 | grep -q -- --pdeathsig; then
	INV_PDEATH=1
fi

# inv_start makes $INV_DIR (after removing dead runs' dirs) and sets the
# traps: INT and TERM end the running child and exit 130 and 143, and the
# exit undoes what the script made.
inv_start() {
	inv_clean_stale
	local tmp=${TMPDIR:-/tmp} d _
	for _ in 1 2 3 4 5; do
		d=$(mktemp -d "$tmp/$INV_PREFIX.XXXXXX")
		# A rerun's inv_clean_stale may take the new dir for a dead one
		# before this shell locks it: then the lock is refused or the dir
		# is gone, and a fresh one is made.
		exec {INV_LOCK}<"$d" || continue
		if ! command -v flock >/dev/null; then
			break # no util-linux: no lock, and no stale-dir removal either
		fi
		if flock -n "$INV_LOCK" && [ -d "$d" ] &&
			[ "$(stat -c %d:%i "$d")" = "$(stat -L -c %d:%i "/proc/$$/fd/$INV_LOCK")" ]; then
			break
		fi
		exec {INV_LOCK}<&-
		d=
	done
	[ -n "$d" ] || { echo "mmapbench: could not make a private directory under $tmp" >&2; exit 2; }
	INV_DIR=$d
	trap inv_cleanup EXIT
	trap 'inv_stop 130 INT' INT
	trap 'inv_stop 143 TERM' TERM
}

# inv_stop is the INT and TERM trap: bash runs it while inv_exec waits, so
# the child is told at once and the script waits for it to clean up (the
# benchmark removes its private dir, mmapbench oom its cgroup) before the
# EXIT trap removes what the script made.
inv_stop() {
	trap '' INT TERM
	if [ -n "$INV_CHILD" ]; then
		kill "-${INV_CHILD_SIG:-TERM}" "$INV_CHILD" 2>/dev/null || true
		wait "$INV_CHILD" 2>/dev/null || true
	fi
	echo "mmapbench: $2: stopped; nothing was moved into place" >&2
	exit "$1"
}

# inv_cleanup is the EXIT trap: no child runs any more (inv_exec waited,
# inv_stop too).
inv_cleanup() {
	trap '' INT TERM # a second Ctrl-C must not cut the undoing short
	[ -n "$INV_DIR" ] || return 0
	inv_undo "$INV_DIR" || true
	# --one-file-system: a mount that would not go keeps its files.
	rm -rf --one-file-system "$INV_DIR" || true
}

# inv_undo DIR unmounts what is mounted under DIR and removes the zram
# device recorded in DIR/zram-dev (zram.sh), then that file at once, so
# that no later run removes a device that took the number since. It
# returns non-zero, saying why, when something stays.
inv_undo() {
	local dir=$1 m n ok=0 err
	# Deepest first; /proc/self/mounts writes a space as \040 (printf %b
	# turns it back).
	while IFS= read -r m; do
		m=$(printf '%b' "$m")
		err=$(umount "$m" 2>&1) || { echo "mmapbench: could not unmount $m: $err" >&2; ok=1; }
	done < <(awk -v p="$dir/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
	if [ -f "$dir/zram-dev" ]; then
		n=$(cat "$dir/zram-dev")
		if [ -z "$n" ]; then
			rm -f "$dir/zram-dev"
		elif grep -q "^/dev/zram$n " /proc/self/mounts /proc/swaps 2>/dev/null; then
			echo "mmapbench: /dev/zram$n is still mounted or swap; remove it with: echo $n >/sys/class/zram-control/hot_remove" >&2
			ok=1
		elif [ ! -e "/sys/block/zram$n" ] || echo "$n" >/sys/class/zram-control/hot_remove 2>/dev/null; then
			rm -f "$dir/zram-dev"
		else
			echo "mmapbench: could not remove /dev/zram$n; remove it with: echo $n >/sys/class/zram-control/hot_remove" >&2
			ok=1
		fi
	fi
	return "$ok"
}

# inv_clean_stale removes the temp dirs of runs that died without cleaning
# up (kill -9): those under TMPDIR whose lock no process holds.
inv_clean_stale() {
	command -v flock >/dev/null || return 0
	local d fd
	for d in "${TMPDIR:-/tmp}/$INV_PREFIX".*; do
		# Another user's (mktemp makes them 0700) is not ours to judge, and
		# opening it would only print an error.
		if [ ! -d "$d" ] || [ ! -O "$d" ]; then
			continue
		fi
		exec {fd}<"$d" || continue
		if flock -n "$fd"; then
			if inv_undo "$d" && rm -rf --one-file-system "$d"; then
				echo "mmapbench: removed $d, left by a run that was killed" >&2
			else
				echo "mmapbench: $d, left by a run that was killed, could not be removed whole (above); remove it by hand" >&2
			fi
		fi
		exec {fd}<&-
	done
}

# inv_exec OUT CMD... runs CMD in the background with its stdout in OUT and
# waits: bash runs a trap only after a foreground command ends, but at once
# during wait. It returns CMD's exit status.
inv_exec() {
	local out=$1 s=0 pre=()
	shift
	# The signal inv_stop sends is also the one the child gets if the
	# script dies.
	[ -z "$INV_PDEATH" ] || pre=(setpriv --pdeathsig "${INV_CHILD_SIG:-TERM}" --)
	if [ "$out" = - ]; then
		"${pre[@]}" "$@" &
	else
		"${pre[@]}" "$@" >"$out" &
	fi
	INV_CHILD=$!
	wait "$INV_CHILD" || s=$?
	INV_CHILD=
	return "$s"
}

# inv_build builds the benchmark binary once, $INV_DIR/bench.test. The go
# command is stopped with INT: it removes its work dir then, not on TERM.
inv_build() {
	echo "mmapbench: building the benchmark binary" >&2
	local s=0
	INV_CHILD_SIG=INT inv_exec - "$GO" test -c -o "$INV_DIR/bench.test" ./bench >&2 || s=$?
	return "$s"
}

# inv_meta META LINE... writes the run's .meta file. Volatile facts go
# beside the results, not into them: as configuration lines they would
# make benchstat refuse to compare two runs.
inv_meta() {
	local meta=$1 commit
	shift
	commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	git diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
	{
		echo "commit: $commit"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "host: $(hostname)"
		printf '%s\n' "$@"
	} >"$meta"
}

# inv_run OUT COUNT LABEL ARGS... runs $INV_DIR/bench.test ARGS COUNT
# times with -test.count 1 in ARGS, the i-th with -rotate i-1: the i-th
# samples of two compared rows come from the same minutes, and no backend
# always runs first. The configuration and unit lines are kept from the
# first invocation only (the later ones print the same lines; benchstat
# reads them once). A bad flag stops the first invocation with exit 2
# before any benchmark runs. LABEL prefixes the progress lines. It returns
# the first failing invocation's exit status, or 0.
inv_run() {
	local out=$1 count=$2 label=$3 i s=0 start
	shift 3
	start=$(date +%s)
	: >"$out"
	for i in $(seq 1 "$count"); do
		echo "mmapbench: ${label}invocation $i of $count ($(($(date +%s) - start)) s so far)" >&2
		if [ "$i" -eq 1 ]; then
			inv_exec "$out" "$INV_DIR/bench.test" "$@" -rotate 0 || { s=$?; break; }
		else
			# Everything from the first result line on: the lines before it
			# are the configuration, already in the file.
			inv_exec "$INV_DIR/inv.txt" "$INV_DIR/bench.test" "$@" -rotate $((i - 1)) || s=$?
			awk 'f || /^Benchmark/ { f = 1; print }' "$INV_DIR/inv.txt" >>"$out"
			[ "$s" -eq 0 ] || break
		fi
	done
	return "$s"
}

# inv_settle FINAL OUT STATUS ELAPSED says what a finished run's exit
# STATUS means and returns the script's status: 2 when the binary refused
# its flags or no benchmark ran, 1 when one failed (OUT is then moved to
# FINAL's -failed.txt sibling), 0 when OUT is good to move into place.
inv_settle() {
	local final=$1 out=$2 status=$3 elapsed=$4 failed
	echo "elapsed: $elapsed s" >>"${out%.txt}.meta"
	if [ "$status" -eq 2 ]; then
		echo "mmapbench: refused before any benchmark ran (exit 2), after $elapsed s" >&2
		return 2 # nothing is moved into place
	fi
	# A sub-benchmark that fails under -count > 1 does not always fail the binary.
	if [ "$status" -ne 0 ] || grep -q -- '--- FAIL' "$out"; then
		failed="${final%.txt}-failed.txt"
		mkdir -p "$(dirname "$final")"
		mv "$out" "$failed"
		echo "mmapbench: benchmarks failed (exit $status) after $elapsed s; the output is in $failed:" >&2
		grep -A3 -- '--- FAIL' "$failed" | head -20 >&2
		return 1
	fi
	if ! grep -q '^Benchmark' "$out"; then
		echo "mmapbench: no benchmark ran; nothing to compare" >&2
		return 2
	fi
	return 0
}

# inv_place FINAL OUT moves a good run's OUT and its .meta into place.
inv_place() {
	local final=$1 out=$2
	mkdir -p "$(dirname "$final")"
	mv "${out%.txt}.meta" "${final%.txt}.meta"
	mv "$out" "$final"
}
