package ipc

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Units of the metrics in a result line, besides ns/op (the median one-way
// latency). Latencies are one-way, in nanoseconds. As in package bench's
// units, none has a bare "ns" or "MB" token, which benchstat would rewrite
// for non-zero values only and so split one metric into two rows.
const (
	UnitP50       = "p50-nsec"
	UnitP90       = "p90-nsec"
	UnitP99       = "p99-nsec"
	UnitP999      = "p99.9-nsec"
	UnitMax       = "max-nsec"
	UnitCPUPerMsg = "cpu-nsec/msg"
	UnitMinFlt    = "minflt/msg"
	UnitCtxSw     = "ctxsw/msg"
	UnitClock     = "clock-nsec"
)

// A UnitInfo describes one unit and which direction is an improvement, for
// the benchfmt "Unit <unit> better=<dir>" line.
type UnitInfo struct {
	Unit   string
	Better string // "lower" or "higher"
	Desc   string
}

var units = []UnitInfo{
	{UnitP50, "lower", "median one-way latency (round trip / 2), ns; also reported as ns/op"},
	{UnitP90, "lower", "90th percentile one-way latency, ns"},
	{UnitP99, "lower", "99th percentile one-way latency, ns"},
	{UnitP999, "lower", "99.9th percentile one-way latency, ns"},
	{UnitMax, "lower", "largest one-way latency, ns"},
	{UnitCPUPerMsg, "lower", "user+system CPU of both sides per one-way message, ns (spinning is not free)"},
	{UnitMinFlt, "lower", "minor page faults of both sides per message (write-back write-protects a file page; the next store faults)"},
	{UnitCtxSw, "lower", "context switches of both sides per message"},
	{UnitClock, "lower", "cost of one clock read, ns (floor row only; two are inside every round trip)"},
}

// Units returns the units of [Result.Benchfmt], in the order they appear.
func Units() []UnitInfo { return slices.Clone(units) }

// WriteUnits writes one "Unit <unit> better=<dir>" line per unit.
func WriteUnits(w *benchfmt.Writer) error {
	for _, u := range units {
		md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.Unit, Key: "better"}, OrigUnit: u.Unit, Value: u.Better}
		if err := w.Write(md); err != nil {
			return fmt.Errorf("ipc: writing unit lines: %w", err)
		}
	}
	return nil
}

// Benchfmt returns r as a benchmark result named "IPC/<name>", with the
// number of samples as its iteration count and config as its file
// configuration.
func (r Result) Benchfmt(config []benchfmt.Config) *benchfmt.Result {
	s := r.Summary
	per := func(v int64) float64 { return float64(v) / float64(max(r.Messages, 1)) }
	res := &benchfmt.Result{
		Config: config,
		Name:   benchfmt.Name("IPC/" + r.Config.Name()),
		Iters:  s.Samples,
		Values: []benchfmt.Value{
			{Value: s.P50, Unit: "ns/op"},
			{Value: s.P50, Unit: UnitP50},
			{Value: s.P90, Unit: UnitP90},
			{Value: s.P99, Unit: UnitP99},
			{Value: s.P999, Unit: UnitP999},
			{Value: s.Max, Unit: UnitMax},
			{Value: r.CPUPerMsg, Unit: UnitCPUPerMsg},
			{Value: per(r.MinFlt), Unit: UnitMinFlt},
			{Value: per(r.CtxSw), Unit: UnitCtxSw},
		},
	}
	if r.Config.Backend == FloorName {
		res.Values = append(res.Values, benchfmt.Value{Value: r.ClockNsec, Unit: UnitClock})
	}
	return res
}

// WriteTable writes results as a table for people: one-way latencies, the
// costs, and the p50 as a multiple of the floor row with the same wait
// strategy, when there is one.
func WriteTable(w io.Writer, results []Result) error {
	floor := map[Wait]float64{}
	for _, r := range results {
		if r.Config.Backend == FloorName {
			floor[r.Config.Wait] = r.Summary.P50
		}
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\twait\tsamples\tp50 ns\tp90 ns\tp99 ns\tp99.9 ns\tmax ns\tcpu ns/msg\tminflt\tctxsw\tsyncs\tx floor\t")
	for _, r := range results {
		s := r.Summary
		x := "-"
		if f := floor[r.Config.Wait]; f > 0 {
			x = strconv.FormatFloat(s.P50/f, 'f', 2, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t\n",
			r.Config.Backend, r.Config.WaitLabel(), s.Samples,
			ns(s.P50), ns(s.P90), ns(s.P99), ns(s.P999), ns(s.Max), ns(r.CPUPerMsg), r.MinFlt, r.CtxSw, r.Syncs, x)
	}
	for _, r := range results {
		if r.Config.Backend == FloorName {
			fmt.Fprintf(tw, "\nclock read (floor, wait=%s): %.1f ns; two are inside every round trip\n", r.Config.Wait, r.ClockNsec)
			break
		}
	}
	return tw.Flush()
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
