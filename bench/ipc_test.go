package bench

import (
	"context"
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
// in shared memory), b.N round trips between two child processes (this
// test binary, re-executed by package ipc). ns/op is the median one-way
// latency, not the loop's wall time, which includes starting the children.
func BenchmarkIPC(b *testing.B) {
	ipcUnitsOnce.Do(func() { ipc.WriteUnits(benchfmt.NewWriter(os.Stdout)) })
	cpus, err := ipc.CPUs()
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range ipc.Backends() {
		for _, w := range []ipc.Wait{ipc.WaitSpin, ipc.WaitFutex} {
			if w.Futex() && !be.Mapped {
				continue
			}
			cfg := ipc.Config{Backend: be.Name, Wait: w, Spins: ipc.DefaultSpins, Dir: benchDir, Timeout: 5 * time.Minute}
			b.Run(cfg.Name(), func(b *testing.B) {
				if w.Spins() && len(cpus) < 2 {
					b.Skipf("wait %s needs two CPUs; this process has %v", w, cpus)
				}
				cfg.Samples, cfg.Warmup = b.N, max(b.N/10, 10)
				res, err := ipc.Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				s := res.Summary
				b.ReportMetric(s.P50, "ns/op")
				b.ReportMetric(s.P50, ipc.UnitP50)
				b.ReportMetric(s.P90, ipc.UnitP90)
				b.ReportMetric(s.P99, ipc.UnitP99)
				b.ReportMetric(s.P999, ipc.UnitP999)
				b.ReportMetric(s.Max, ipc.UnitMax)
				b.ReportMetric(res.CPUPerMsg, ipc.UnitCPUPerMsg)
				b.ReportMetric(float64(res.MinFlt)/float64(res.Messages), ipc.UnitMinFlt)
				b.ReportMetric(float64(res.CtxSw)/float64(res.Messages), ipc.UnitCtxSw)
			})
		}
	}
}
