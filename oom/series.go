package oom

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/schema"
)

// A Row is one interval of a run: counts over the interval and the
// cgroup's charge at its end.
type Row struct {
	Config  string  // setup name, e.g. "mmap-rand"
	Pattern string  // "rand" or "seq"
	Device  string  // the file's block device, as the kernel names it; "" in series written before it was recorded
	Second  int     // 1, 2, ...: the interval's number
	Elapsed float64 // seconds the interval really lasted

	Ops, Bytes  int64
	MajorFaults int64 // getrusage of the reading process
	MinorFaults int64
	UserCPU     int64 // nanoseconds of the reading process, getrusage
	SysCPU      int64 // nanoseconds; page cache eviction shows here
	DeviceRead  int64 // bytes read from the file's block device (all readers on it); -1: unknown
	TLB         int64 // TLB shootdown interrupts, machine-wide; -1: unknown
	Usage       int64 // the cgroup's charge in bytes at the interval's end
}

// csvHeader names the CSV columns; every rate is per second of the row's
// interval_s.
var csvHeader = []string{"config", "pattern", "device", "second", "interval_s", "ops_per_s", "mb_per_s",
	"major_faults_per_s", "minor_faults_per_s", "user_cpu_pct", "sys_cpu_pct", "device_read_mb_per_s", "tlb_shootdowns_per_s", "cgroup_usage_mib"}

// numericColumns are the columns after the names.
var numericColumns = csvHeader[3:]

// A CSVWriter writes rows as CSV, the header first.
type CSVWriter struct {
	w      *csv.Writer
	header bool
}

// NewCSVWriter returns a writer that puts the header before the first row.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one row and flushes it, so that a reader of the file sees
// the series grow during a long run.
func (cw *CSVWriter) Write(r Row) error {
	if !cw.header {
		cw.header = true
		if err := cw.w.Write(csvHeader); err != nil {
			return err
		}
	}
	rate := func(n int64) string {
		if n < 0 {
			return "" // not measurable on this machine: an empty cell, not a zero
		}
		return strconv.FormatFloat(float64(n)/r.Elapsed, 'f', 1, 64)
	}
	mb := func(n int64) string {
		if n < 0 {
			return ""
		}
		return strconv.FormatFloat(float64(n)/r.Elapsed/1e6, 'f', 6, 64) // byte-exact over a whole second
	}
	pct := func(ns int64) string { return strconv.FormatFloat(float64(ns)/r.Elapsed/1e7, 'f', 1, 64) }
	cw.w.Write([]string{r.Config, r.Pattern, r.Device, strconv.Itoa(r.Second), strconv.FormatFloat(r.Elapsed, 'f', 3, 64),
		rate(r.Ops), mb(r.Bytes), rate(r.MajorFaults), rate(r.MinorFaults), pct(r.UserCPU), pct(r.SysCPU), mb(r.DeviceRead), rate(r.TLB),
		strconv.FormatFloat(float64(r.Usage)/(1<<20), 'f', 1, 64)})
	cw.w.Flush()
	return cw.w.Error()
}

// ReadCSV reads rows written by CSVWriter. Counts come back as rate times
// interval, rounded, so they match the written ones to the printed precision.
func ReadCSV(r io.Reader) ([]Row, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("oom: reading time series: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("oom: time series is empty")
	}
	col := make(map[string]int)
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range csvHeader {
		if _, ok := col[h]; !ok && h != "device" { // device: absent from older series
			return nil, fmt.Errorf("oom: time series has no %q column; want the columns %v", h, csvHeader)
		}
	}
	var rows []Row
	for n, rec := range recs[1:] {
		num := func(h string) (float64, error) {
			s := rec[col[h]]
			if s == "" {
				return -1, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("oom: time series line %d: %s %q is not a number", n+2, h, s)
			}
			return v, nil
		}
		vals := make(map[string]float64, len(numericColumns))
		for _, h := range numericColumns {
			if vals[h], err = num(h); err != nil {
				return nil, err
			}
		}
		el := vals["interval_s"]
		count := func(v, scale float64) int64 {
			if v < 0 {
				return -1
			}
			return int64(math.Round(v * el * scale))
		}
		var dev string
		if i, ok := col["device"]; ok {
			dev = rec[i]
		}
		rows = append(rows, Row{Config: rec[col["config"]], Pattern: rec[col["pattern"]], Device: dev, Second: int(vals["second"]), Elapsed: el,
			Ops: count(vals["ops_per_s"], 1), Bytes: count(vals["mb_per_s"], 1e6),
			MajorFaults: count(vals["major_faults_per_s"], 1), MinorFaults: count(vals["minor_faults_per_s"], 1),
			UserCPU: count(vals["user_cpu_pct"], 1e7), SysCPU: count(vals["sys_cpu_pct"], 1e7),
			DeviceRead: count(vals["device_read_mb_per_s"], 1e6), TLB: count(vals["tlb_shootdowns_per_s"], 1),
			Usage: int64(vals["cgroup_usage_mib"] * (1 << 20))})
	}
	return rows, nil
}

// FillFraction of the limit marks the cache as full: the kernel starts
// reclaiming a little below the limit, so usage hovers just under it.
const FillFraction = 0.9

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

// FilledAt returns the index of the first row whose cgroup usage reached
// FillFraction of limit, or -1 when the cache never filled (O_DIRECT).
func FilledAt(rows []Row, limit int64) int {
	for i, r := range rows {
		if float64(r.Usage) >= FillFraction*float64(limit) {
			return i
		}
	}
	return -1
}

// Phases splits a run at the row where the cache filled. "start" is the
// rows before it (at least the first row); "steady" is the rows after it,
// leaving out the row in which it filled, which mixes both. A run whose
// cache never fills is split after its first row, so that a steady figure
// of O_DIRECT compares with mmap's over the same kind of window. A run too
// short for a steady phase returns only "start".
func Phases(rows []Row, limit int64) []Phase {
	f := FilledAt(rows, limit)
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

// Units of the summary lines beyond ns/op and MB/s.
const (
	UnitDeviceRead = "dev-read-B/op"     // bytes the device delivered per operation: read amplification
	UnitTLB        = "tlb-shootdowns/op" // machine-wide TLB shootdown interrupts per operation
)

// WriteUnitLines writes the benchfmt direction of every custom unit of the
// summary lines.
func WriteUnitLines(w io.Writer) error {
	for _, u := range []string{bench.UnitMajorFaults, bench.UnitSysCPU, UnitDeviceRead, UnitTLB} {
		if _, err := fmt.Fprintf(w, "Unit %s better=lower\n", u); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkName is the summary line's name for one phase of a run; its
// key=value parts pivot in benchstat like the file benchmarks' names.
func BenchmarkName(setup, pattern string, bs int64, readers int, limit, size int64, device, phase string) string {
	return fmt.Sprintf("BenchmarkOOM/config=%s/pattern=%s/bs=%s/readers=%d/limit=%s/size=%s/device=%s/phase=%s",
		setup, pattern, schema.FormatSize(bs), readers, schema.FormatSize(limit), schema.FormatSize(size), device, phase)
}

// WriteBenchmark writes one phase as a Go benchmark result line: the
// phase's operations as iterations, wall time per operation, MB/s, faults,
// system CPU time (eviction is paid there), device bytes and TLB
// shootdowns per operation.
func WriteBenchmark(w io.Writer, name string, p Phase) error {
	if p.Ops == 0 {
		_, err := fmt.Fprintf(w, "# %s: no operation completed in %.1f s\n", name, p.Seconds)
		return err
	}
	ops := float64(p.Ops)
	line := fmt.Sprintf("%s\t%d\t%.1f ns/op\t%.2f MB/s\t%.4g %s", name, p.Ops, p.Seconds*1e9/ops,
		float64(p.Bytes)/p.Seconds/1e6, float64(p.Major)/ops, bench.UnitMajorFaults)
	line += fmt.Sprintf("\t%.4g %s", float64(p.SysCPU)/ops, bench.UnitSysCPU)
	if p.DeviceRead >= 0 {
		line += fmt.Sprintf("\t%.4g %s", float64(p.DeviceRead)/ops, UnitDeviceRead)
	}
	if p.TLB >= 0 {
		line += fmt.Sprintf("\t%.4g %s", float64(p.TLB)/ops, UnitTLB)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
