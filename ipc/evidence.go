package ipc

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/mmapbench/mmapbench/schema"
)

// The durability and counter runs write Go benchmark results, like the
// latency rows, so that the report reads every file of a run with one
// reader (benchfmt) and no pattern of its own. The names, keys, units and
// configuration keys below are that format; report reads them by these
// constants.
//
// A durability run is one result per step, in the order they happen:
//
//	BenchmarkDurable/backend=mmap/sync=fdatasync/step=before-store 1 1 cached-pages 0 dirty-pages 0 writeback-pages
//	BenchmarkDurable/backend=mmap/sync=fdatasync/step=monitor-read 1 0 missed-stores
//	BenchmarkDurable/backend=mmap/sync=fdatasync/step=after-kill 1 2158 since-store-usec 1 cached-pages 1 dirty-pages 0 writeback-pages
//	…
//	BenchmarkDurable/backend=mmap/sync=fdatasync/step=after-sync 1 5093 since-store-usec 1 cached-pages 0 dirty-pages 0 writeback-pages 306.9 sync-usec
//
// preceded by the configuration line "durability: measured" (or "not
// measured here: <reason>", and then only the two readers' steps). A
// counter run is one result whose iterations are the increments made:
//
//	BenchmarkCount/backend=mmap/counter=naive/changers=2 2000000 15 ns/op 0.2619255 lost/op
const (
	BenchDurable = "Durable" // Durable/backend=<backend>/sync=<sync>/step=<step>
	BenchCount   = "Count"   // Count/backend=<backend>/counter=<mode>/changers=<n>
)

// The steps of a durability result that are readers, not page counts: the
// monitor reads while the changer is alive (between before-store and
// after-kill), the fresh reader after the kill (before before-close).
const (
	StepMonitorRead = "monitor-read"
	StepFreshRead   = "fresh-read"
)

// DurableSteps lists every step of a measured durability run, in order.
var DurableSteps = []string{StageBeforeStore, StepMonitorRead, StageAfterKill, StepFreshRead, StageBeforeClose, StageAfterClose, StageAfterSync}

// Units of the durability and counter results.
const (
	// UnitMissedStores is 1 when the reader did not read the stored value
	// within its watch (a second), else 0.
	UnitMissedStores   = string(schema.DurableMissedStores)
	UnitCachedPages    = "cached-pages"    // the record's pages in the page cache (cachestat(2))
	UnitDirtyPages     = "dirty-pages"     // of them, dirty
	UnitWritebackPages = "writeback-pages" // of them, under writeback
	// UnitSinceStore is the time from telling the changer to store to the
	// step's cachestat, µs: an upper bound on the dirty page's age.
	UnitSinceStore = "since-store-usec"
	UnitSyncTime   = string(schema.DurableSyncTime) // how long the fdatasync or msync took, µs (step after-sync)
	UnitLostPerOp  = string(schema.CountLostPerOp)  // increments lost per increment made
)

// Configuration keys of the durability output (the file's lines before the
// results they describe).
const (
	// ConfigDurability is DurabilityMeasured, or UnmeasuredPrefix and why
	// the run has no page counts.
	ConfigDurability     = "durability"
	ConfigDirtyExpire    = "dirty-expire-centisecs"    // vm.dirty_expire_centisecs, -1 when unreadable
	ConfigDirtyWriteback = "dirty-writeback-centisecs" // vm.dirty_writeback_centisecs, -1 when unreadable
)

const (
	DurabilityMeasured = "measured"
	UnmeasuredPrefix   = "not measured here: "
)

// evidenceUnits are the units above that have a direction (in schema's
// registry), by benchmark.
var evidenceUnits = map[string][]schema.Unit{
	BenchDurable: {schema.DurableMissedStores, schema.DurableSyncTime},
	BenchCount:   {schema.CountLostPerOp},
}

// WriteEvidenceUnits writes a "Unit <unit> better=<dir>" line for each unit
// of bench's results (BenchDurable or BenchCount) that has a direction.
func WriteEvidenceUnits(w *benchfmt.Writer, bench string) error {
	return schema.WriteUnits(w, evidenceUnits[bench]...)
}

// configLines returns config and whether durability was measured in r,
// and why not: the file configuration of r's results.
func (r DurabilityResult) configLines(config []benchfmt.Config) []benchfmt.Config {
	v := DurabilityMeasured
	if r.Unmeasured != "" {
		v = UnmeasuredPrefix + r.Unmeasured
	}
	return append(config[:len(config):len(config)], benchfmt.Config{Key: ConfigDurability, Value: []byte(v), File: true})
}

// Benchfmt returns r as benchmark results, one per step (DurableSteps; the
// readers' only when durability was not measured), with config (the
// machine, the flusher's settings) and ConfigDurability as their file
// configuration.
func (r DurabilityResult) Benchfmt(config []benchfmt.Config) []*benchfmt.Result {
	config = r.configLines(config)
	result := func(step string, vs ...benchfmt.Value) *benchfmt.Result {
		name := fmt.Sprintf("%s/backend=%s/sync=%s/step=%s", BenchDurable, r.Config.Backend, r.Config.Sync, step)
		return &benchfmt.Result{Config: config, Name: benchfmt.Name(name), Iters: 1, Values: vs}
	}
	missed := func(got uint64) benchfmt.Value {
		v := 0.0
		if got != r.Value {
			v = 1
		}
		return benchfmt.Value{Value: v, Unit: UnitMissedStores}
	}
	usec := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	var out []*benchfmt.Result
	for _, step := range DurableSteps {
		switch step {
		case StepMonitorRead:
			out = append(out, result(step, missed(r.Monitor)))
			continue
		case StepFreshRead:
			out = append(out, result(step, missed(r.Fresh)))
			continue
		}
		c, ok := r.Check(step)
		if !ok {
			continue // not measured: no page counts
		}
		var vs []benchfmt.Value
		if step != StageBeforeStore {
			vs = append(vs, benchfmt.Value{Value: usec(c.Since), Unit: UnitSinceStore})
		}
		vs = append(vs,
			benchfmt.Value{Value: float64(c.Cached), Unit: UnitCachedPages},
			benchfmt.Value{Value: float64(c.Dirty), Unit: UnitDirtyPages},
			benchfmt.Value{Value: float64(c.Writeback), Unit: UnitWritebackPages})
		if step == StageAfterSync {
			vs = append(vs, benchfmt.Value{Value: usec(r.SyncTime), Unit: UnitSyncTime})
		}
		out = append(out, result(step, vs...))
	}
	return out
}

// Benchfmt returns r as a benchmark result whose iterations are the
// increments made by all changers: ns/op is the run's wall time per
// increment, lost/op the share of increments lost.
func (r CountResult) Benchfmt(config []benchfmt.Config) *benchfmt.Result {
	name := fmt.Sprintf("%s/backend=%s/counter=%s/changers=%s", BenchCount, r.Config.Backend, r.Config.Mode, strconv.Itoa(r.Config.Changers))
	want := float64(max(r.Want, 1))
	return &benchfmt.Result{Config: config, Name: benchfmt.Name(name), Iters: int(r.Want), Values: []benchfmt.Value{
		{Value: float64(r.Elapsed) / want, Unit: "ns/op"},
		{Value: float64(r.Lost()) / want, Unit: UnitLostPerOp},
	}}
}

// WriteDurable writes the durability units, then every run's results with
// config as their file configuration: the output of mmapbench ipc -mode
// durable.
func WriteDurable(w io.Writer, config []benchfmt.Config, runs []DurabilityResult) error {
	bw := benchfmt.NewWriter(w)
	if err := WriteEvidenceUnits(bw, BenchDurable); err != nil {
		return err
	}
	for _, r := range runs {
		for _, res := range r.Benchfmt(config) {
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteCount writes the counter's unit line, then r with config as its
// file configuration: the output of mmapbench ipc -mode count.
func WriteCount(w io.Writer, config []benchfmt.Config, r CountResult) error {
	bw := benchfmt.NewWriter(w)
	if err := WriteEvidenceUnits(bw, BenchCount); err != nil {
		return err
	}
	return bw.Write(r.Benchfmt(config))
}
