package oom

import (
	"fmt"
	"io"

	"github.com/mmapbench/mmapbench/schema"
)

// A Row is one interval of a run; the series' format is schema's, so that
// report and plot read it without importing this package.
type Row = schema.Interval

// A CSVWriter writes rows as CSV, the header first.
type CSVWriter = schema.SeriesWriter

// NewCSVWriter returns a writer that puts the header before the first row.
func NewCSVWriter(w io.Writer) *CSVWriter { return schema.NewSeriesWriter(w) }

// A Phase sums the rows of one part of a run.
type Phase struct {
	Name       string // "start": until the cache filled; "steady": after it
	From, To   int    // rows [From, To) of the run
	Seconds    float64
	Ops, Bytes int64
	Major      int64
	SysCPU     int64 // nanoseconds
	DeviceRead int64 // -1: unknown
	TLB        int64 // -1: unknown
}

// OpsPerSec is the phase's throughput in operations per second.
func (p Phase) OpsPerSec() float64 { return float64(p.Ops) / p.Seconds }

// Phases splits a run at the row where the cache filled. "start" is the
// rows before it (at least the first row); "steady" is the rows after it,
// leaving out the row in which it filled, which mixes both. A run whose
// cache never fills is split after its first row, so that a steady figure
// of O_DIRECT compares with mmap's over the same kind of window. A run too
// short for a steady phase returns only "start".
func Phases(rows []Row, limit int64) []Phase {
	f := schema.FilledAt(rows, limit)
	start, steady := 1, 1
	if f > 0 {
		start, steady = f, f+1
	}
	ps := []Phase{sum("start", rows, 0, min(start, len(rows)))}
	if steady < len(rows) {
		ps = append(ps, sum("steady", rows, steady, len(rows)))
	}
	return ps
}

func sum(name string, rows []Row, from, to int) Phase {
	p := Phase{Name: name, From: from, To: to}
	for i, r := range rows[from:to] {
		p.Seconds += r.Elapsed
		p.Ops += r.Ops
		p.Bytes += r.Bytes
		p.Major += r.MajorFaults
		p.SysCPU += r.SysCPU
		p.DeviceRead = addKnown(p.DeviceRead, r.DeviceRead, i == 0)
		p.TLB = addKnown(p.TLB, r.TLB, i == 0)
	}
	return p
}

// addKnown adds a counter that may be unknown (-1) in any row.
func addKnown(total, v int64, first bool) int64 {
	switch {
	case first:
		return v
	case total < 0 || v < 0:
		return -1
	}
	return total + v
}

// Units are the units of the summary lines beyond ns/op and MB/s.
var Units = []schema.Unit{schema.MajorFaults, schema.SysCPU, schema.OOMDeviceRead, schema.OOMTLB}

// WriteUnitLines writes the benchfmt direction of every custom unit of the
// summary lines.
func WriteUnitLines(w io.Writer) error { return schema.WriteUnitLines(w, Units...) }

// BenchmarkName is the summary line's name for one phase of a run; its
// key=value parts pivot in benchstat like the file benchmarks' names.
func BenchmarkName(setup, pattern string, bs int64, readers int, limit, size int64, device, phase string) string {
	return fmt.Sprintf("BenchmarkOOM/config=%s/pattern=%s/bs=%s/readers=%d/limit=%s/size=%s/device=%s/phase=%s",
		setup, pattern, schema.FormatSize(bs), readers, schema.FormatSize(limit), schema.FormatSize(size), device, phase)
}

// WriteBenchmark writes one phase as a Go benchmark result line, through
// schema's writer: the phase's operations as iterations, wall time per
// operation, MB/s, faults, system CPU time (eviction is paid there), device
// bytes and TLB shootdowns per operation (those two only when known). A
// phase without operations has no figures: it is said on a comment line,
// which benchfmt skips.
func WriteBenchmark(w io.Writer, name string, p Phase) error {
	if p.Ops == 0 {
		_, err := fmt.Fprintf(w, "# %s: no operation completed in %.1f s\n", name, p.Seconds)
		return err
	}
	ops := float64(p.Ops)
	vs := []schema.Value{
		{Value: p.Seconds * 1e9 / ops, Unit: schema.NsPerOp},
		{Value: float64(p.Bytes) / p.Seconds / 1e6, Unit: schema.MBPerSec},
		{Value: float64(p.Major) / ops, Unit: schema.MajorFaults},
		{Value: float64(p.SysCPU) / ops, Unit: schema.SysCPU},
	}
	if p.DeviceRead >= 0 {
		vs = append(vs, schema.Value{Value: float64(p.DeviceRead) / ops, Unit: schema.OOMDeviceRead})
	}
	if p.TLB >= 0 {
		vs = append(vs, schema.Value{Value: float64(p.TLB) / ops, Unit: schema.OOMTLB})
	}
	return schema.NewWriter(w).Write(name, int(p.Ops), vs...)
}
