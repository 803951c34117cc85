#!/usr/bin/env bash
# The CI regression gate (make bench-ci; .github/workflows/bench.yml):
# builds the file I/O benchmarks of BASE and of HEAD_REF, runs them
# interleaved on this machine (ABBA, COUNT pairs) and compares them with
# mmapbench regress, paired: a row fails when the whole 99% interval of its
# median ratio head/base lies beyond the threshold. base.txt, head.txt
# (with the pair lines), regress.txt (tables and verdict) and regress.meta
# (commits, settings, exit status, and the -old/-new command that
# reproduces the verdict from the two files) go to OUT.
#
# Exit status is mmapbench regress's: 0 no regression, 1 regression, 2 bad
# input or no verdict. Through make, any failure exits 2: read the verdict
# in $OUT/regress.txt and the status in $OUT/regress.meta.
#
# Knobs (environment):
#   BASE=origin/main   the git ref to compare against
#   HEAD_REF=HEAD      the git ref to check ("" for the working tree)
#   OUT=results/ci     where the results files go
#   COUNT, BENCH, BENCHTIME, THRESHOLD, ALPHA, FILTER   mmapbench regress's
#                      flags; unset, its -base defaults (docs/gate.md): 200
#                      pairs of warm sequential 4KiB copy reads through every
#                      backend (one 16MiB file) at 0.005s, about 40 s here;
#                      -base's threshold at alpha 0.01; time, throughput and
#                      allocation units
#   GO=go
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
BASE=${BASE:-origin/main}
HEAD_REF=${HEAD_REF-HEAD}
OUT=${OUT:-results/ci}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/mmapbench" ./cmd/mmapbench

args=(regress -base "$BASE" -head "$HEAD_REF" -out "$OUT")
[ -n "${COUNT:-}" ] && args+=(-count "$COUNT")
[ -n "${THRESHOLD:-}" ] && args+=(-threshold "$THRESHOLD")
[ -n "${ALPHA:-}" ] && args+=(-alpha "$ALPHA")
[ -n "${BENCH:-}" ] && args+=(-bench "$BENCH")
[ -n "${BENCHTIME:-}" ] && args+=(-benchtime "$BENCHTIME")
[ -n "${FILTER:-}" ] && args+=(-filter "$FILTER")
echo "bench-ci: mmapbench ${args[*]}" >&2
"$bin/mmapbench" "${args[@]}"
