# mmapbench: two commands on a fresh machine with only Go:
#   make bench   the main benchmark job, with embedded defaults
#   make test    vet, the race-enabled tests, and every benchmark once
GO ?= go

# Knobs for make bench; see scripts/bench.sh for all of them.
COUNT ?= 5
BENCH ?= .
BENCHTIME ?= 0.2s

.PHONY: all test vet race benchonce bench clean
all: test

test: vet race benchonce

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

# Every benchmark once, so that none can rot between benchmark runs.
benchonce:
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

bench:
	COUNT=$(COUNT) BENCH='$(BENCH)' BENCHTIME=$(BENCHTIME) GO=$(GO) scripts/bench.sh

clean:
	$(GO) clean -testcache
