package ipc

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/mmapbench/mmapbench/schema"
)

// The units of a result line besides ns/op (the batch-timed one-way
// latency, [Batch]) are schema's IPC units: the registry there
// (schema/units.go) holds their directions and meanings.

// units are the units of [Result.Benchfmt], in the order they appear.
var units = []schema.Unit{schema.IPCP50, schema.IPCP90, schema.IPCP99, schema.IPCP999, schema.IPCMax,
	schema.IPCBatchRT, schema.IPCClock, schema.IPCCPUPerMsg, schema.IPCMinFlt, schema.IPCCtxSw}

// Units returns the registry's entries of the units of [Result.Benchfmt],
// in the order they appear.
func Units() []schema.UnitInfo {
	out := make([]schema.UnitInfo, len(units))
	for i, u := range units {
		out[i], _ = schema.Info(u) // schema's TestUnitsWellFormed and ipc's tests: every one is there
	}
	return out
}

// WriteUnits writes one "Unit <unit> better=<dir>" line per unit.
func WriteUnits(w *benchfmt.Writer) error { return schema.WriteUnits(w, units...) }

// Metrics returns r's values as a benchmark reports them: ns/op is the
// batch one-way latency, then the per-round-trip percentiles (none for the
// bare floor, which times batches only), the batch size, the clock's cost
// and the per-message costs.
func (r Result) Metrics() []benchfmt.Value {
	s := r.Summary
	per := func(v int64) float64 { return float64(v) / float64(max(r.Messages, 1)) }
	vs := []benchfmt.Value{{Value: r.Batch.OneWay, Unit: string(schema.NsPerOp)}}
	if s.Samples > 0 {
		vs = append(vs,
			benchfmt.Value{Value: s.P50, Unit: string(schema.IPCP50)},
			benchfmt.Value{Value: s.P90, Unit: string(schema.IPCP90)},
			benchfmt.Value{Value: s.P99, Unit: string(schema.IPCP99)},
			benchfmt.Value{Value: s.P999, Unit: string(schema.IPCP999)},
			benchfmt.Value{Value: s.Max, Unit: string(schema.IPCMax)})
	}
	return append(vs,
		benchfmt.Value{Value: float64(r.Batch.RoundTrips), Unit: string(schema.IPCBatchRT)},
		benchfmt.Value{Value: r.ClockNsec, Unit: string(schema.IPCClock)},
		benchfmt.Value{Value: r.CPUPerMsg, Unit: string(schema.IPCCPUPerMsg)},
		benchfmt.Value{Value: per(r.MinFlt), Unit: string(schema.IPCMinFlt)},
		benchfmt.Value{Value: per(r.CtxSw), Unit: string(schema.IPCCtxSw)})
}

// Benchfmt returns r as a benchmark result named "IPC/<name>", with the
// number of batch-timed round trips as its iteration count and config as
// its file configuration.
func (r Result) Benchfmt(config []benchfmt.Config) *benchfmt.Result {
	return &benchfmt.Result{
		Config: config,
		Name:   benchfmt.Name("IPC/" + r.Config.Name()),
		Iters:  r.Batch.RoundTrips * r.Batch.Batches,
		Values: r.Metrics(),
	}
}

// TableCaption says what WriteTable's columns are.
const TableCaption = "batch: the one-way latency of the row, K round trips timed with two clock reads in all, / 2K, median over batches (K keeps the clock under 1% of a batch). " +
	"p50 … max: every round trip timed alone and halved, raw, nothing subtracted: each carries one clock read (clock column), so half of it one way. " +
	"x floor: batch ÷ the batch of the floor row with the same wait in the same round."

// WriteTable writes results as a table for people: the batch one-way
// latency, the per-round-trip percentiles, the costs, and the batch
// figure as a multiple of the floor row with the same wait strategy in the
// same round of -count, when there is one; then the caption and floor ÷
// floor-bare, the harness's own cost, as the ratio of their medians over
// the rounds (a whole row can move by 15% from one round to the next here:
// the host places the vCPUs anew).
func WriteTable(w io.Writer, results []Result) error {
	floors, bares := map[Wait][]float64{}, map[Wait][]float64{}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\twait\tbatch ns\tK\tp50 ns\tp90 ns\tp99 ns\tp99.9 ns\tmax ns\tclock ns\tcpu ns/msg\tminflt\tctxsw\tsyncs\tx floor\t")
	for _, r := range results {
		switch r.Config.Backend {
		case FloorName:
			floors[r.Config.Wait] = append(floors[r.Config.Wait], r.Batch.OneWay)
		case BareName:
			bares[r.Config.Wait] = append(bares[r.Config.Wait], r.Batch.OneWay)
		}
	}
	// The floor of the same round: rows run in a fixed order, floor-bare
	// and floor first, so the floor a row follows is its round's.
	floor := map[Wait]float64{}
	for _, r := range results {
		if r.Config.Backend == FloorName {
			floor[r.Config.Wait] = r.Batch.OneWay
		}
		s := r.Summary
		x := "-"
		if f := floor[r.Config.Wait]; f > 0 && r.Config.Backend != BareName {
			x = strconv.FormatFloat(r.Batch.OneWay/f, 'f', 2, 64)
		}
		pc := func(v float64) string {
			if s.Samples == 0 {
				return "-"
			}
			return ns(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t\n",
			r.Config.Backend, r.Config.WaitLabel(), ns(r.Batch.OneWay), r.Batch.RoundTrips,
			pc(s.P50), pc(s.P90), pc(s.P99), pc(s.P999), pc(s.Max), ns(r.ClockNsec), ns(r.CPUPerMsg), r.MinFlt, r.CtxSw, r.Syncs, x)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", TableCaption)
	for _, wt := range slices.Sorted(maps.Keys(bares)) {
		f, b := schema.Center(floors[wt]), schema.Center(bares[wt])
		if f > 0 && b > 0 {
			fmt.Fprintf(w, "floor ÷ floor-bare (wait=%s, medians of %d and %d rounds): %.1f ÷ %.1f ns = %.2f: the harness's own cost in the floor row\n",
				wt, len(floors[wt]), len(bares[wt]), f, b, f/b)
		}
	}
	return nil
}

// ns formats nanoseconds with one decimal below 100 and none above.
func ns(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// FormatDuration spells d in ASCII for benchmark names and config lines:
// "100us" rather than time.Duration's "100µs".
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	case d%time.Microsecond == 0:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}
