//go:build linux

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/internal/privdir"
	"github.com/mmapbench/mmapbench/ipc"
	"golang.org/x/perf/benchfmt"
)

// Default round trips per wait strategy: enough for a stable p99.9 without
// making the slow (blocking) strategies take long.
var (
	defaultSamples = map[ipc.Wait]int{ipc.WaitSpin: 200000, ipc.WaitSpinFutex: 20000, ipc.WaitFutex: 5000, ipc.WaitPoll: 2000}
	quickSamples   = map[ipc.Wait]int{ipc.WaitSpin: 100000, ipc.WaitSpinFutex: 5000, ipc.WaitFutex: 2000, ipc.WaitPoll: 500}
)

// autoInt is an int flag whose default is "auto".
type autoInt struct {
	n   int
	set bool
}

func (a *autoInt) String() string {
	if !a.set {
		return "auto"
	}
	return strconv.Itoa(a.n)
}

func (a *autoInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number or auto")
	}
	a.n, a.set = n, true
	return nil
}

func runIPC(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ipc", "[flags]", stderr)
	mode := fs.String("mode", "latency", "what to measure: `latency` (ping-pong), count (counter integrity), durable (store, SIGKILL, check)")
	backends := fs.String("backend", "all", "comma-separated `backends`: all, or some of "+strings.Join(ipc.BackendNames(), ", "))
	waits := fs.String("wait", "spin,futex,spinfutex,poll", "comma-separated wait `strategies`: "+strings.Join(ipc.WaitNames(), ", "))
	quick := fs.Bool("quick", false, "the quick run for make bench: every backend with spin and futex (floor-bare: spin only), fewer samples (overrides -backend and -wait)")
	var samples, warmup autoInt
	fs.Var(&samples, "samples", "round trips per row (`n`), timed twice: n in batches (ns/op, the batch one-way latency) and n one by one (the percentiles); auto: 200000 spin, 20000 spinfutex, 5000 futex, 2000 poll (quarter to half with -quick)")
	fs.Var(&warmup, "warmup", "round trips before the recorded ones, discarded (`n`); auto: a tenth of -samples")
	poll := fs.Duration("poll", 100*time.Microsecond, "sleep between loads for wait=poll (`interval`); 0 means sched_yield; the article's monitor uses 1s")
	spins := fs.Int("spins", ipc.DefaultSpins, "loads before the futex for wait=spinfutex (`n`)")
	wb := fs.Duration("writeback", 0, "if positive, a third party calls fdatasync on the shared object every `interval` during each row")
	count := fs.Int("count", 1, "run the whole set `n` times, interleaved, for benchstat")
	timeout := fs.Duration("timeout", time.Minute, "kill the children of a row that takes longer than `duration`")
	dir := fs.String("dir", defaultDir(), "`directory` under which the private directory holding the record files is made ($MMAPBENCH_DIR when set, else the system temp dir)")
	changers := fs.Int("changers", 2, "mode count: concurrent changer processes (`n`)")
	increments := fs.Int("increments", 200000, "mode count: increments per changer (`n`)")
	counter := fs.String("counter", "atomic", "mode count: how to increment: "+strings.Join(ipc.CountModes, ", "))
	verbose := fs.Bool("v", false, "log the children's pids and CPUs on stderr")
	if code := parseFlagsOnly(fs, args, stderr); code >= 0 {
		return code
	}
	if *count <= 0 {
		fprintf(stderr, "mmapbench ipc: -count %d: want at least 1\n", *count)
		return exitUsage
	}
	if err := privdir.CheckParent(*dir); err != nil {
		fprintf(stderr, "mmapbench ipc: -dir %v\n", err)
		return exitUsage
	}
	var logw io.Writer
	if *verbose {
		logw = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch *mode {
	case "latency":
	case "count":
		if *backends == "all" {
			*backends = "mmap"
		}
		return runCount(ctx, stdout, stderr, ipc.CountConfig{
			Backend: *backends, Mode: *counter, Changers: *changers, Increments: *increments,
			Dir: *dir, Timeout: *timeout, Log: logw,
		})
	case "durable":
		if *backends == "all" {
			*backends = "mmap"
		}
		return runDurable(ctx, stdout, stderr, ipc.DurabilityConfig{Backend: *backends, Dir: *dir, Timeout: *timeout, Log: logw})
	default:
		fprintf(stderr, "mmapbench ipc: unknown -mode %q: want latency, count or durable\n", *mode)
		return exitUsage
	}

	if *quick {
		*backends, *waits = "all", "spin,futex"
	}
	if samples.set && samples.n <= 0 {
		fprintf(stderr, "mmapbench ipc: -samples %d: want at least one round trip\n", samples.n)
		return exitUsage
	}
	cfgs, err := ipcConfigs(*backends, *waits, func(w ipc.Wait) ipc.Config {
		c := ipc.Config{Wait: w, Poll: *poll, Spins: *spins, Writeback: *wb, Dir: *dir, Timeout: *timeout, Log: logw}
		c.Samples = samples.n
		if !samples.set {
			c.Samples = defaultSamples[w]
			if *quick {
				c.Samples = quickSamples[w]
			}
		}
		c.Warmup = max(c.Samples/10, 10)
		if warmup.set {
			c.Warmup = warmup.n
		}
		return c
	})
	if err != nil {
		fprintf(stderr, "mmapbench %v\n", err)
		return exitUsage
	}

	bw := benchfmt.NewWriter(stdout)
	if err := ipc.WriteUnits(bw); err != nil {
		fprintf(stderr, "mmapbench ipc: %v\n", err)
		return exitFail
	}
	config := ipcFileConfig(*dir)
	var results []ipc.Result
	total := len(cfgs) * *count
	start := time.Now()
	for i := range total {
		c := cfgs[i%len(cfgs)]
		res, err := ipc.Run(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				fprintf(stderr, "mmapbench ipc: interrupted during %s; its children were killed and its files removed\n", c.Name())
				return exitFail
			}
			fprintf(stderr, "mmapbench %v\n", err)
			return exitFor(err)
		}
		if err := bw.Write(res.Benchfmt(config)); err != nil {
			fprintf(stderr, "mmapbench ipc: writing results: %v\n", err)
			return exitFail
		}
		results = append(results, res)
		// K came from the median of 101 round trips before the batches; a
		// machine that sped up after them can leave the clock above 1%.
		if share := res.Batch.ClockShare(res.ClockNsec); share > 0.01 {
			fprintf(stderr, "mmapbench ipc: %s: the clock (%.1f ns) is %.1f%% of a batch of %d round trips, over the 1%% the batch figure allows\n", c.Name(), res.ClockNsec, 100*share, res.Batch.RoundTrips)
		}
		fprintf(stderr, "ipc: %s %*d/%d %-42s batch %.1f ns (K %d), p50 %.1f ns\n", progressBar(i+1, total, 20), len(strconv.Itoa(total)), i+1, total, c.Name(), res.Batch.OneWay, res.Batch.RoundTrips, res.Summary.P50)
	}
	fprintf(stderr, "ipc: %d rows in %.1fs; one-way latencies (round trip / 2), clocksource %s:\n\n", total, time.Since(start).Seconds(), ipc.Clocksource())
	if err := ipc.WriteTable(stderr, results); err != nil {
		return exitFail
	}
	return exitOK
}

// ipcConfigs expands the backend and wait lists into one configuration per
// pair. A pair that cannot work (futex on a system-call backend, any wait
// but spin for floor-bare) is skipped when the lists name more than one pair, and an error otherwise;
// any other invalid configuration is an error, before anything runs.
func ipcConfigs(backends, waits string, base func(ipc.Wait) ipc.Config) ([]ipc.Config, error) {
	var bnames []string
	if backends == "all" {
		bnames = ipc.BackendNames()
	} else {
		bnames = strings.Split(backends, ",")
	}
	var ws []ipc.Wait
	for _, name := range strings.Split(waits, ",") {
		w, err := ipc.ParseWait(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	var cfgs []ipc.Config
	for _, bn := range bnames {
		b, err := ipc.LookupBackend(strings.TrimSpace(bn))
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			c := base(w)
			c.Backend = b.Name
			if !b.Supports(w) && len(bnames)*len(ws) > 1 {
				continue
			}
			if err := c.Validate(); err != nil {
				return nil, err
			}
			cfgs = append(cfgs, c)
		}
	}
	if len(cfgs) == 0 {
		return nil, fmt.Errorf("no backend in %q can use the wait strategies %q", backends, waits)
	}
	return cfgs, nil
}

// ipcFileConfig is the machine description of package bench, plus the
// CPUs the sides are pinned to and the clock source every timing reads.
func ipcFileConfig(dir string) []benchfmt.Config {
	var cfg []benchfmt.Config
	for _, l := range bench.Config(dir) {
		cfg = append(cfg, benchfmt.Config{Key: l.Key, Value: []byte(l.Value), File: true})
	}
	cpus, err := ipc.CPUs()
	v := "unknown"
	if err == nil {
		v = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(cpus)), ","), "[]")
	}
	return append(cfg, benchfmt.Config{Key: "ipc-cpus", Value: []byte(v), File: true},
		benchfmt.Config{Key: "clocksource", Value: []byte(ipc.Clocksource()), File: true})
}

func progressBar(done, total, width int) string {
	n := done * width / total
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func defaultDir() string {
	if d := os.Getenv("MMAPBENCH_DIR"); d != "" {
		return d
	}
	return os.TempDir()
}

// runCount runs one counter-integrity run: its result in Go benchmark
// format on stdout (ipc.BenchCount), the same in words on stderr. It fails
// when a counter that must lose nothing (atomic, flock) lost increments.
func runCount(ctx context.Context, stdout, stderr io.Writer, cfg ipc.CountConfig) int {
	res, err := ipc.RunCount(ctx, cfg)
	if err != nil {
		fprintf(stderr, "mmapbench %v\n", err)
		return exitFor(err)
	}
	if err := ipc.WriteCount(stdout, countFileConfig(cfg.Dir), res); err != nil {
		fprintf(stderr, "mmapbench ipc: writing results: %v\n", err)
		return exitFail
	}
	lost := res.Lost()
	fprintf(stderr, "ipc: count backend=%s counter=%s: %d changers x %d increments = %d; final counter %d; lost %d (%.2f%%) in %.2fs\n",
		cfg.Backend, cfg.Mode, cfg.Changers, cfg.Increments, res.Want, res.Final, lost, 100*float64(lost)/float64(res.Want), res.Elapsed.Seconds())
	if res.Lost() != 0 && cfg.Mode != ipc.CountNaive {
		fprintf(stderr, "mmapbench ipc: counter mode %s lost %d increments: it must lose none\n", cfg.Mode, res.Lost())
		return exitFail
	}
	return exitOK
}

// countFileConfig is the machine a counter run's losses depend on: the
// kernel and the CPUs the changers race on.
func countFileConfig(dir string) []benchfmt.Config {
	var cfg []benchfmt.Config
	for _, l := range bench.Config(dir) {
		if l.Key == "kernel" || l.Key == "cpu-model" || l.Key == "cpu-count" {
			cfg = append(cfg, benchfmt.Config{Key: l.Key, Value: []byte(l.Value), File: true})
		}
	}
	return cfg
}

// flag.Value check.
var _ flag.Value = (*autoInt)(nil)
