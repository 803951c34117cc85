package schema

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
)

// An Interval is one row of the time series of mmapbench oom (its -csv
// file): counts over one interval of a run and the cgroup's charge at its
// end. It lives here, not in package oom, so that the analysis reads it on
// any system.
type Interval struct {
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

// A SeriesWriter writes intervals as CSV, the header first.
type SeriesWriter struct {
	w      *csv.Writer
	header bool
}

// NewSeriesWriter returns a writer that puts the header before the first row.
func NewSeriesWriter(w io.Writer) *SeriesWriter { return &SeriesWriter{w: csv.NewWriter(w)} }

// Write writes one row and flushes it, so that a reader of the file sees
// the series grow during a long run.
func (cw *SeriesWriter) Write(r Interval) error {
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

// ReadSeries reads intervals written by SeriesWriter; name names the
// input in errors, with the line. Counts come back as rate times
// interval, rounded, so they match the written ones to the printed precision.
func ReadSeries(r io.Reader, name string) ([]Interval, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: reading time series: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: time series is empty", name)
	}
	col := make(map[string]int)
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range csvHeader {
		if _, ok := col[h]; !ok && h != "device" { // device: absent from older series
			return nil, fmt.Errorf("%s:1: time series has no %q column; want the columns %v", name, h, csvHeader)
		}
	}
	var rows []Interval
	for n, rec := range recs[1:] {
		num := func(h string) (float64, error) {
			s := rec[col[h]]
			if s == "" {
				return -1, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("%s:%d: time series: %s %q is not a number", name, n+2, h, s)
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
		rows = append(rows, Interval{Config: rec[col["config"]], Pattern: rec[col["pattern"]], Device: dev, Second: int(vals["second"]), Elapsed: el,
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

// FilledAt returns the index of the first row whose cgroup usage reached
// FillFraction of limit, or -1 when the cache never filled (O_DIRECT).
func FilledAt(rows []Interval, limit int64) int {
	for i, r := range rows {
		if float64(r.Usage) >= FillFraction*float64(limit) {
			return i
		}
	}
	return -1
}
