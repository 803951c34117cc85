//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/ipc"
	"golang.org/x/perf/benchfmt"
)

var ipcUnitsOnce sync.Once

// BenchmarkIPC is the quick IPC run of "mmapbench ipc -quick" under go
// test: every backend with spin and futex (futex only where the word is
// in shared memory, floor-bare spin only), b.N round trips between two
// child processes (this test binary, re-executed by package ipc), timed
// twice: in batches and one by one. ns/op is the batch one-way latency (K
// round trips per two clock reads, / 2K, median over batches), not the
// loop's wall time, which includes starting the children; the percentiles
// are per round trip, raw (each carries one clock read, clock-nsec).
func BenchmarkIPC(b *testing.B) {
	ipcUnitsOnce.Do(func() {
		// A configuration line like mmapbench ipc's: every timing reads
		// this clock, and its cost is inside every round trip timed alone.
		fmt.Fprintf(os.Stdout, "clocksource: %s\n", ipc.Clocksource())
		ipc.WriteUnits(benchfmt.NewWriter(os.Stdout))
	})
	cpus, err := ipc.CPUs()
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range ipc.Backends() {
		for _, w := range []ipc.Wait{ipc.WaitSpin, ipc.WaitFutex} {
			if !be.Supports(w) {
				continue
			}
			cfg := ipc.Config{Backend: be.Name, Wait: w, Spins: ipc.DefaultSpins, Dir: harness.Dir, Timeout: 5 * time.Minute}
			b.Run(cfg.Name(), func(b *testing.B) {
				if w.Spins() && len(cpus) < 2 {
					b.Skipf("wait %s needs two CPUs; this process has %v", w, cpus)
				}
				cfg.Samples, cfg.Warmup = b.N, max(b.N/10, 10)
				res, err := ipc.Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				for _, v := range res.Metrics() {
					b.ReportMetric(v.Value, v.Unit)
				}
			})
		}
	}
}
