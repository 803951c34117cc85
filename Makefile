# mmapbench: two commands on a fresh machine with Go, make and git (README,
# "What you need"):
#   make bench   the main benchmark job, with embedded defaults
#   make test    vet, the tests (with -race where cgo has a C compiler), and every benchmark once
# Exit status of every target: 0 ok, 1 a measurement or comparison found a
# failure or regression, 2 bad input or environment, before any work.
GO ?= go

# cgo works: CGO_ENABLED is on and the C compiler it names exists. -race
# needs it; without it the tests build with CGO_ENABLED=0, which needs no
# compiler. Evaluated only by the targets that use it.
cgo_ok = $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC | cut -d' ' -f1)" >/dev/null 2>&1 && echo 1)
nocgo = $(if $(cgo_ok),,CGO_ENABLED=0)

# make bench's knobs are scripts/bench.sh's environment variables:
# make bench COUNT=10 BENCHTIME=0.5s SIZES=16MiB,1GiB MMAPBENCH_DIR=/mnt/nvme

.PHONY: all test vet race benchonce bench bench-full bench-map bench-lucene bench-ipc verdicts noise crosscheck plots report compare backends bench-ci calibrate-gate oom oom-zram clean
all: test

test: vet race benchonce

# vet also builds and vets everything for GOOS=darwin: what reads results
# (plot, report, cv, regress) must build on a Mac, and measuring code must
# keep to _linux.go files or return errors.ErrUnsupported there.
vet:
	$(nocgo) $(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) build ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...

# The tests with the race detector, or, where cgo has no C compiler, the
# same tests without it, saying so.
race:
ifeq ($(cgo_ok),1)
	$(GO) test -race -count=1 ./...
else
	@echo "make test: -race needs cgo and a C compiler (here CGO_ENABLED=$$($(GO) env CGO_ENABLED), CC=$$($(GO) env CC)): running the tests without -race" >&2
	CGO_ENABLED=0 $(GO) test -count=1 ./...
endif

# Every benchmark once, so that none can rot between benchmark runs.
benchonce:
	$(nocgo) $(GO) test -run '^$$' -bench . -benchtime=1x ./...

# The quick profile: every backend, copy and view, warm and cold, seq and
# rand, 4KiB and 1MiB, one-shot open+read; under 3 minutes on 2 cores.
bench:
	GO=$(GO) scripts/bench.sh

# Do the verdicts survive a rerun? The quick profile and the report's rules
# RUNS times (default 5, about 2.5 min each), each claim's verdict and the
# crossover per run side by side; exit 1 when they disagree.
# Knobs: RUNS=5 OUT=results/verdicts-<host> COUNT= BENCHTIME= MMAPBENCH_DIR=
verdicts:
	GO=$(GO) scripts/verdicts.sh

# The IPC driver alone: real monitor and changer processes, every backend
# and wait strategy (make bench runs its quick subset).
bench-ipc:
	$(GO) run ./cmd/mmapbench ipc -count $${COUNT:-5} > $${OUT:-results/$$(date -u +%Y-%m-%d)-$$(hostname -s)-ipc-full.txt}

# A working set larger than memory (needs root: it places a memory cgroup
# around each run): the time series in results/<date>-<host>-oom.csv, the
# start/steady summary in -oom.txt. About 3.5 minutes with the defaults.
# Knobs: OOM_FLAGS='-limit 256MiB -size 2GiB -duration 20s -readers 1' MMAPBENCH_DIR=
oom:
	@stem=$${OUT:-results/$$(date -u +%Y-%m-%d)-$$(hostname -s)}; \
	$(GO) run ./cmd/mmapbench oom -csv "$$stem-oom.csv" $(OOM_FLAGS) > "$$stem-oom.txt" && \
	echo "results: $$stem-oom.txt $$stem-oom.csv" >&2

# The same on a RAM-backed block device (zram, made and removed by the
# script; root): a stand-in for a fast SSD, where the eviction cliff shows.
# Writes results/<date>-<host>-oom-zram.txt and .csv; about 4 minutes.
# Knobs: OOM_ZRAM_FLAGS='-size 4GiB -limit 1GiB -readers 2 -interval 250ms -duration 20s' ZRAM_SIZE=5G
oom-zram:
	GO=$(GO) scripts/oom-zram.sh

# The whole matrix (docs/method.md, "The full profile").
bench-full:
	GO=$(GO) PROFILE=full COUNT=$${COUNT:-5} scripts/bench.sh

# The decision map's grid (BenchmarkRead -profile map: warm, 90% and 50%
# resident, the file 2× and 8× a memory cgroup's limit (root), cold; rand,
# zipf; prefetch none, batch16; 1 and 16 goroutines; mmap view and pread,
# advice none and rand) into results/<date>-<host>-map.txt, then mmap
# against pread per cell (benchstat); at most 15 minutes on 2 cores.
# Knobs: COUNT=5 BENCHTIME=0.1s SIZES= MMAPBENCH_DIR= OUT=
bench-map:
	GO=$(GO) scripts/bench-map.sh

# Lucene's random-read benchmark in our terms (BenchmarkRead -profile lucene:
# 16KiB random reads; warm, file 1× and 2× a memory cgroup's limit; mmap
# NORMAL and RANDOM ± batched WILLNEED, pread ± WILLNEED, O_DIRECT; 1, 4 and
# 16 goroutines) on the disk and on a zram device (made and removed by the
# script; root), into results/<date>-<host>-lucene-disk.txt and
# -lucene-zram.txt; a device that cannot run is skipped with the reason.
# About 3 minutes on 2 cores (aa67318: disk 92 s, zram 66 s).
# Knobs: COUNT=5 BENCHTIME=0.1s DEVICES=disk,zram MMAPBENCH_DIR= OUT=
bench-lucene:
	GO=$(GO) scripts/bench-lucene.sh

# The noise check: the quick profile's throughput, -count=10, each benchmark's
# coefficient of variation at most 3%. Run it on an idle machine. BENCH is
# bench.sh's default list plus BenchmarkNoiseFloor, the control: cv prints
# its spread, the machine's floor, under the table.
noise:
	GO=$(GO) COUNT=10 IPC=0 SCHED=0 OUT=$${OUT:-results/noise-$$(hostname -s).txt} \
		BENCH='^Benchmark(Read|Write|WriteSync|OpenRead|Fault|Readers|NoiseFloor)$$' scripts/bench.sh >/dev/null
	$(GO) run ./cmd/mmapbench cv -max 3% $${OUT:-results/noise-$$(hostname -s).txt}

# fio against the harness on the same warm sequential workloads (docs/fidelity.md);
# installs fio with apt if it is missing.
# Knobs: SIZE=16MiB ROUNDS=5 FIO_RUNTIME=2 BENCHTIME=1s
crosscheck:
	GO=$(GO) scripts/fio-crosscheck.sh

# Figures of the latest make bench results (or FILE=results/x.txt), with
# their -ipc, -sched, -oom and -map siblings when present; SVG and PNG. The
# -lucene-disk.txt and -lucene-zram.txt siblings have no figure: mmapbench
# report finds them beside the results itself.
plots:
	@f=$${FILE:-$$(ls results/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-$$(hostname -s).txt 2>/dev/null | sort | tail -1)}; \
	test -n "$$f" || { echo "make plots: no results/<date>-$$(hostname -s).txt: run make bench" >&2; exit 2; }; \
	set -- "$$f" "$${f%.txt}-ipc.txt"; \
	for s in sched.txt oom.txt oom.csv oom-zram.txt oom-zram.csv map.txt; do test -f "$${f%.txt}-$$s" && set -- "$$@" "$${f%.txt}-$$s"; done; \
	$(GO) run ./cmd/mmapbench plot -o results/plots "$$@"

# results/REPORT.md from the latest results; first records the durability
# and counter runs beside them (about 2 s).
report: plots
	$(GO) run ./cmd/mmapbench report -measure -o results/REPORT.md -plots results/plots $(FILE)

# Two runs side by side with the pinned benchstat: make compare OLD=a.txt NEW=b.txt
# (mmapbench regress -old a.txt -new b.txt is the gate on the same files.)
compare:
	@test -n "$(OLD)" && test -n "$(NEW)" || { echo "usage: make compare OLD=old.txt NEW=new.txt" >&2; exit 2; }
	$(call benchstat_checked,$(OLD) $(NEW))

# One run's backends side by side, pread first: make backends FILE=results/x.txt
backends:
	@test -n "$(FILE)" || { echo "usage: make backends FILE=results/x.txt" >&2; exit 2; }
	$(call benchstat_checked,-col '/backend@(pread osfile mmap mmapgo null)' -row .name$(comma)/access$(comma)/pattern$(comma)/bs$(comma)/cache$(comma)/size $(FILE))

# benchstat exits 0 on a missing or unreadable file and on lines it cannot
# parse (it complains on stderr), and prints nothing for a file with no
# results: either is bad input, exit 2.
comma := ,
define benchstat_checked
	@err=$$(mktemp); out=$$(mktemp); trap 'rm -f "$$err" "$$out"' EXIT; \
	$(GO) tool benchstat $(1) >"$$out" 2>"$$err"; status=$$?; \
	cat "$$out"; cat "$$err" >&2; \
	if [ $$status -ne 0 ] || [ -s "$$err" ] || [ ! -s "$$out" ]; then \
		echo "make $@: benchstat could not read its input (above), or found no results in it" >&2; exit 2; \
	fi
endef

# The regression gate as CI runs it: BASE (default origin/main) against HEAD,
# interleaved on this machine and decided on the paired ratios; results in
# results/ci. Knobs: BASE=origin/main HEAD_REF=HEAD COUNT= BENCH= BENCHTIME=
# THRESHOLD= ALPHA= FILTER=
bench-ci:
	GO=$(GO) scripts/bench-ci.sh

# The gate's A/A and injected-slowdown figures on this machine, paired and
# unpaired gates side by side on the same samples, with the knob's realised
# shifts (docs/gate.md); about 50 minutes on an idle machine, or in parts
# of a few rounds (FIRST=, RUNS=0 for the summary). Knobs: RUNS=20
# SLOW="mmap:3% mmap:5% mmap:10%" JUDGE="0% 0.5% 1% 2%" THRESHOLD= COUNT=
# AA=1 FIRST=1 REALISED=1 BASE=HEAD OUT=
calibrate-gate:
	GO=$(GO) scripts/calibrate-gate.sh

clean:
	$(GO) clean -testcache
