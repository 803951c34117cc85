# mmapbench: two commands on a fresh machine with only Go:
#   make bench   the main benchmark job, with embedded defaults
#   make test    vet, the race-enabled tests, and every benchmark once
GO ?= go

# make bench's knobs are scripts/bench.sh's environment variables:
# make bench COUNT=10 BENCHTIME=0.5s SIZES=16MiB,1GiB MMAPBENCH_DIR=/mnt/nvme

.PHONY: all test vet race benchonce bench bench-full bench-ipc noise crosscheck clean
all: test

test: vet race benchonce

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

# Every benchmark once, so that none can rot between benchmark runs.
benchonce:
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

# The quick profile: every backend, copy and view, warm and cold, seq and
# rand, 4KiB and 1MiB, one-shot open+read; under 3 minutes on 2 cores.
bench:
	GO=$(GO) scripts/bench.sh

# The IPC driver alone: real monitor and changer processes, every backend
# and wait strategy (make bench runs its quick subset).
bench-ipc:
	$(GO) run ./cmd/mmapbench ipc -count $${COUNT:-5} > $${OUT:-results/$$(date -u +%Y-%m-%d)-$$(hostname -s)-ipc-full.txt}

# The whole matrix; see the README for its duration.
bench-full:
	GO=$(GO) PROFILE=full COUNT=$${COUNT:-5} scripts/bench.sh

# The noise check: the quick profile's throughput, -count=10, each benchmark's
# coefficient of variation at most 3%. Run it on an idle machine.
noise:
	GO=$(GO) COUNT=10 IPC=0 OUT=$${OUT:-results/noise-$$(hostname -s).txt} scripts/bench.sh >/dev/null
	$(GO) run ./cmd/mmapbench cv -max 3% $${OUT:-results/noise-$$(hostname -s).txt}

# fio against the harness on the same warm sequential workloads (the fidelity
# table in the README); installs fio with apt if it is missing.
# Knobs: SIZE=16MiB ROUNDS=5 FIO_RUNTIME=2 BENCHTIME=1s
crosscheck:
	GO=$(GO) scripts/fio-crosscheck.sh

clean:
	$(GO) clean -testcache
