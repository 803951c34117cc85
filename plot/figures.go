package plot

import (
	"errors"
	"fmt"
	"image/color"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/mmapbench/mmapbench/schema"
)

// A Figure is one plot the report shows.
type Figure struct {
	Name    string // file name without extension: "read-warm"
	Title   string
	Caption string // what it shows, for the report
	build   func(rs *schema.Results) (*chart, error)
}

// Figures returns every figure, in the order of the report.
func Figures() []Figure {
	return []Figure{
		{"read-warm", "Sequential reads, warm page cache",
			"Throughput against block size per backend; solid lines copy into a buffer (ReadAt), dashed lines read the mapping in place (view).",
			func(rs *schema.Results) (*chart, error) { return readThroughput(rs, schema.Warm) }},
		{"read-cold", "Sequential reads, cold page cache",
			"The same with the file evicted before each pass: read-ahead for pread against page faults for the mapping.",
			func(rs *schema.Results) (*chart, error) { return readThroughput(rs, schema.Cold) }},
		{"openread", "One-shot read of a whole warm file",
			"Time to open, read every byte once and close, against file size (BenchmarkOpenRead): mmap pays for the mapping, pread for the copy.",
			openRead},
		{"openread-ratio", "One-shot read relative to pread",
			"The same times divided by pread's at each size: the crossover is where a line crosses 1.",
			openReadRatio},
		{"ipc-spin", "IPC one-way latency, spinning waiter",
			"One-way latency between two processes sharing a record, per backend (BenchmarkIPC, wait=spin): first the batch figure (K round trips per two clock reads, ÷ 2K, median over batches), then the percentiles per round trip, raw (each carries one clock read, half of it one way); floor is two threads of one process, floor-bare the bare loop (batch only).",
			func(rs *schema.Results) (*chart, error) { return ipcLatency(rs, "spin") }},
		{"ipc-futex", "IPC one-way latency, futex waiter",
			"The same with the waiter sleeping on a futex (wait=futex): wake-ups, not memory, set the latency.",
			func(rs *schema.Results) (*chart, error) { return ipcLatency(rs, "futex") }},
		{"faults", "Page faults per map, touch and unmap of a whole file",
			"Minor faults per operation against file size (BenchmarkFault); the grey line is one fault per 4KiB page: fault-around and large folios map many pages per fault.",
			faultsPerOp},
		{"fault-cost", "Cost of mapping a page on first touch",
			"Time per 4KiB page of mapping, touching every page once and unmapping (BenchmarkFault), against file size.",
			faultCost},
		{"oom-rand", "Random 4KiB reads over a file larger than the memory limit",
			"Throughput per second of each run of mmapbench oom (pattern=rand), from a cold start: the page cache fills up to the cgroup's limit, then every new page evicts an old one.",
			func(rs *schema.Results) (*chart, error) { return oomSeries(rs, "rand") }},
		{"oom-seq", "Sequential scan of a file larger than the memory limit",
			"The same for the sequential scan (pattern=seq).",
			func(rs *schema.Results) (*chart, error) { return oomSeries(rs, "seq") }},
	}
}

// oomSeries draws throughput against time, one line per setup (in the
// order the runs were made) and one panel per block device (a run on a
// disk and one on a RAM-backed device differ by orders of magnitude).
func oomSeries(rs *schema.Results, pattern string) (*chart, error) {
	byDevice := map[string]map[string]plotter.XYs{}
	var setups []string
	clock := map[[2]string]float64{} // seconds since each run started, at the end of its row
	for _, r := range rs.Series {
		if r.Pattern != pattern || r.Elapsed <= 0 {
			continue
		}
		if byDevice[r.Device] == nil {
			byDevice[r.Device] = map[string]plotter.XYs{}
		}
		if !slices.Contains(setups, r.Config) {
			setups = append(setups, r.Config)
		}
		run := [2]string{r.Device, r.Config}
		clock[run] += r.Elapsed
		mbs := max(float64(r.Bytes)/r.Elapsed/1e6, 0.01) // a log axis has no zero
		byDevice[r.Device][r.Config] = append(byDevice[r.Device][r.Config], plotter.XY{X: clock[run], Y: mbs})
	}
	if len(byDevice) == 0 {
		return nil, fmt.Errorf("%w: no mmapbench oom time series with pattern=%s", schema.ErrNoData, pattern)
	}
	var top *chart
	for _, dev := range slices.Sorted(maps.Keys(byDevice)) {
		title := map[string]string{"rand": "Random reads", "seq": "Sequential scan"}[pattern] + " over a file larger than the memory limit"
		if dev != "" {
			title += ", on " + dev
		}
		c := newChart(title, "seconds since the run started (cold cache)", "MB/s")
		c.p.X.Min = 0
		for i, s := range setups {
			if err := c.line(s, byDevice[dev][s], oomColor(s), strings.HasPrefix(s, "pread"), i); err != nil {
				return nil, err
			}
		}
		logAxis(&c.p.Y, c.lo, c.hi, formatCount)
		if top == nil {
			top = c
		} else {
			top.below = append(top.below, c)
		}
	}
	return top, nil
}

// oomColor gives mmap's setups shades of mmap's color and pread's of pread's.
func oomColor(setup string) color.Color {
	switch setup {
	case "mmap-rand":
		return color.RGBA{R: 230, G: 120, B: 20, A: 255}
	case "mmap-seq":
		return color.RGBA{R: 150, G: 60, B: 160, A: 255}
	case "pread-direct":
		return color.RGBA{R: 20, G: 140, B: 60, A: 255}
	}
	return backendColor(setup)
}

// A Rendered figure: its files, or why it was skipped.
type Rendered struct {
	Figure Figure
	Files  []string // one per format
	Err    error    // wraps schema.ErrNoData when the results lack its benchmarks
}

// Render draws every figure the results have data for into dir, once per
// format ("svg", "png"). A figure without data is returned with an Err
// wrapping schema.ErrNoData; any other error (a lookup the results' keys
// do not answer, a file that cannot be written) stops the rendering.
func Render(rs *schema.Results, dir string, formats []string) ([]Rendered, error) {
	var out []Rendered
	for _, f := range Figures() {
		c, err := f.build(rs)
		if errors.Is(err, schema.ErrNoData) {
			out = append(out, Rendered{Figure: f, Err: err})
			continue
		}
		if err != nil {
			return out, fmt.Errorf("plot %s: %w", f.Name, err)
		}
		r := Rendered{Figure: f}
		for _, format := range formats {
			path := filepath.Join(dir, f.Name+"."+format)
			if err := c.save(path); err != nil {
				return out, err
			}
			r.Files = append(r.Files, path)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadBackends is the order of the file backends in figures and tables:
// the system-call baseline first.
var ReadBackends = []string{"pread", "osfile", "mmap", "mmapgo", "null"}

// sizeX is the x of a size key's value ("4KiB"), for a size axis.
func sizeX(v string) float64 {
	n, _ := schema.ParseSize(v) // Values sorted them as sizes: they parse
	return float64(n)
}

func readThroughput(rs *schema.Results, cache schema.Cache) (*chart, error) {
	size := rs.ReadSize(cache)
	rows := rs.Select("Read", schema.Keys{"pattern": "seq", "cache": cache.String(), "threads": "1", "advice": "none", "size": size})
	if size == "" || len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkRead results with pattern=seq cache=%s threads=1 advice=none", schema.ErrNoData, cache)
	}
	c := newChart(fmt.Sprintf("Sequential reads, %s cache, %s file", cache, size),
		"block size per read (bytes, log scale)", "throughput (GiB/s)")
	for i, be := range ReadBackends {
		for _, access := range []schema.Access{schema.Copy, schema.View} {
			var xys plotter.XYs
			for _, bs := range schema.Values(rows, "bs") {
				r, err := rs.Case("Read", schema.Case{Backend: be, Access: access, Pattern: schema.Seq, BS: int64(sizeX(bs)),
					Cache: cache, Size: int64(sizeX(size)), Advice: schema.AdviceNone, Threads: 1})
				if err != nil {
					return nil, err
				}
				if r == nil {
					continue
				}
				if mbs, ok := r.Median(schema.MBPerSec); ok && mbs > 0 {
					xys = append(xys, plotter.XY{X: sizeX(bs), Y: mbs * 1e6 / (1 << 30)})
				}
			}
			if err := c.line(be+" "+access.String(), xys, backendColor(be), access == schema.View, i); err != nil {
				return nil, err
			}
		}
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no MB/s in the BenchmarkRead results with cache=%s", schema.ErrNoData, cache)
	}
	sizeAxis(c)
	logAxis(&c.p.Y, c.lo, c.hi, formatGiBs)
	return c, nil
}

// sizeAxis makes the x axis a log axis ticked at the sizes of the lines.
func sizeAxis(c *chart) {
	c.p.X.Scale = gplot.LogScale{}
	c.p.X.Tick.Marker = sizeTicks(c.xs)
	c.p.X.Min, c.p.X.Max = c.xs[0]/1.5, c.xs[len(c.xs)-1]*1.5
}

func openRead(rs *schema.Results) (*chart, error) {
	if !rs.Has("OpenRead") {
		return nil, fmt.Errorf("%w: no BenchmarkOpenRead results", schema.ErrNoData)
	}
	c := newChart("One-shot read of a warm file: open, read all, close",
		"file size (bytes, log scale)", "time per one-shot read (log scale)")
	if err := openReadLines(rs, c, "", func(be, size string) (float64, bool, error) {
		return openReadTime(rs, be, size)
	}); err != nil {
		return nil, err
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no ns/op in the BenchmarkOpenRead results", schema.ErrNoData)
	}
	sizeAxis(c)
	logAxis(&c.p.Y, c.lo, c.hi, schema.FormatNanos)
	return c, nil
}

// IPCBackends is the order of the IPC backends: the floor rows first (the
// bare loop, then the harness's), the system-call backends last.
var IPCBackends = []string{"floor-bare", "floor", "mmap", "mmapgo", "posixshm", "memfd", "sysv", "pread", "osfile"}

// ipcLatency draws the IPC rows without writeback (the writeback rows are
// claim 5's, in the report's table).
func ipcLatency(rs *schema.Results, wait string) (*chart, error) {
	plain := schema.Keys{"wait": wait, "writeback": ""}
	rows := rs.Select("IPC", plain)
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkIPC results with wait=%s", schema.ErrNoData, wait)
	}
	c := newChart(fmt.Sprintf("IPC one-way latency, wait=%s", wait),
		"batch one-way latency, then percentiles per round trip (raw; max: the largest of all round trips)", "one-way latency (log scale)")
	// x = 0 is the batch figure (ns/op, in rows that have batches), the
	// percentiles follow from x = 1.
	for i, be := range sorted(schema.Values(rows, "backend"), IPCBackends) {
		r, err := rs.Lookup("IPC", schema.Keys{"backend": be, "wait": wait, "writeback": ""})
		if err != nil {
			return nil, err
		}
		var xys plotter.XYs
		if v, ok := r.Median(schema.NsPerOp); ok && v > 0 && len(r.Samples(schema.IPCBatchRT)) > 0 {
			xys = append(xys, plotter.XY{X: 0, Y: v})
		}
		for j, p := range schema.IPCPercentiles {
			if v, ok := r.Median(p.Unit); ok && v > 0 {
				xys = append(xys, plotter.XY{X: float64(j + 1), Y: v})
			}
		}
		if err := c.line(be, xys, backendColor(be), be == "pread" || be == "osfile", i); err != nil {
			return nil, err
		}
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no percentile units in the BenchmarkIPC results with wait=%s", schema.ErrNoData, wait)
	}
	ticks := gplot.ConstantTicks{{Value: 0, Label: "batch"}}
	for j, p := range schema.IPCPercentiles {
		ticks = append(ticks, gplot.Tick{Value: float64(j + 1), Label: p.Label})
	}
	c.p.X.Tick.Marker = ticks
	c.p.X.Min, c.p.X.Max = -0.3, float64(len(schema.IPCPercentiles))+0.3
	logAxis(&c.p.Y, c.lo, c.hi, schema.FormatNanos)
	return c, nil
}

func faultsPerOp(rs *schema.Results) (*chart, error) {
	return faultChart(rs, "Page faults to map, touch and unmap a warm file",
		"minor page faults per operation (log scale)", schema.MinorFaults, true)
}

func faultCost(rs *schema.Results) (*chart, error) {
	return faultChart(rs, "Time per 4KiB page to map, touch and unmap",
		"time per page (log scale)", schema.NsecPerPage, false)
}

func faultChart(rs *schema.Results, title, ylabel string, unit schema.Unit, reference bool) (*chart, error) {
	rows := rs.Select("Fault", nil)
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkFault results", schema.ErrNoData)
	}
	c := newChart(title, "file size (bytes, log scale)", ylabel)
	i := 0
	for _, be := range schema.Values(rows, "backend") {
		for _, access := range schema.Values(rows, "access") {
			for _, pop := range schema.Values(rows, "populate") {
				var xys plotter.XYs
				for _, size := range schema.Values(rows, "size") {
					r, err := rs.Lookup("Fault", schema.Keys{"backend": be, "access": access, "size": size, "populate": pop})
					if err != nil {
						return nil, err
					}
					if v, ok := r.Median(unit); ok && v > 0 {
						xys = append(xys, plotter.XY{X: sizeX(size), Y: v})
					}
				}
				if len(xys) == 0 {
					continue
				}
				name := fmt.Sprintf("%s %s populate=%s", be, access, pop)
				if err := c.line(name, xys, faultColor(access, pop), access == "write", i); err != nil {
					return nil, err
				}
				i++
			}
		}
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no %s in the BenchmarkFault results", schema.ErrNoData, unit)
	}
	hi := c.hi
	if reference {
		var ref plotter.XYs
		for _, x := range c.xs {
			ref = append(ref, plotter.XY{X: x, Y: x / 4096})
			hi = math.Max(hi, x/4096)
		}
		if err := c.reference("one fault per 4KiB page", ref); err != nil {
			return nil, err
		}
	}
	sizeAxis(c)
	format := formatCount
	if unit == schema.NsecPerPage {
		format = schema.FormatNanos
	}
	logAxis(&c.p.Y, c.lo, hi, format)
	return c, nil
}

// faultColor: red for plain first touch, orange for MADV_POPULATE_READ/WRITE, purple for MAP_POPULATE.
func faultColor(access, populate string) color.Color {
	switch populate {
	case "none":
		return palette["mmap"]
	case "madvise":
		return palette["mmapgo"]
	}
	return palette["memfd"]
}

// openReadTime is the median one-shot time of backend at size, and
// whether there is one.
func openReadTime(rs *schema.Results, backend, size string) (float64, bool, error) {
	r, err := rs.Lookup("OpenRead", schema.Keys{"backend": backend, "size": size})
	if err != nil || r == nil {
		return 0, false, err
	}
	v, ok := r.Median(schema.NsPerOp)
	return v, ok && v > 0, nil
}

// openReadLines draws one line per BenchmarkOpenRead backend (but skip)
// with y(backend, size) against file size.
func openReadLines(rs *schema.Results, c *chart, skip string, y func(be, size string) (float64, bool, error)) error {
	rows := rs.Select("OpenRead", nil)
	for i, be := range sorted(schema.Values(rows, "backend"), ReadBackends) {
		if be == skip {
			continue
		}
		var xys plotter.XYs
		for _, size := range schema.Values(rows, "size") {
			v, ok, err := y(be, size)
			if err != nil {
				return err
			}
			if ok {
				xys = append(xys, plotter.XY{X: sizeX(size), Y: v})
			}
		}
		if err := c.line(be, xys, backendColor(be), be == "mmap" || be == "mmapgo", i); err != nil {
			return err
		}
	}
	return nil
}

// openReadRatio plots each backend's one-shot time relative to pread's:
// below 1 it is faster; the crossover is where mmap's line crosses 1.
func openReadRatio(rs *schema.Results) (*chart, error) {
	if len(rs.Select("OpenRead", schema.Keys{"backend": "pread"})) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkOpenRead results with backend=pread", schema.ErrNoData)
	}
	c := newChart("One-shot read: time relative to pread",
		"file size (bytes, log scale)", "time / pread's time (below 1: faster)")
	if err := openReadLines(rs, c, "pread", func(be, size string) (float64, bool, error) {
		base, ok1, err := openReadTime(rs, "pread", size)
		if err != nil {
			return 0, false, err
		}
		v, ok2, err := openReadTime(rs, be, size)
		return v / base, ok1 && ok2, err
	}); err != nil {
		return nil, err
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no backend to compare with pread in BenchmarkOpenRead", schema.ErrNoData)
	}
	lo, hi := c.lo, c.hi
	if err := c.reference("pread (= 1)", plotter.XYs{{X: c.xs[0], Y: 1}, {X: c.xs[len(c.xs)-1], Y: 1}}); err != nil {
		return nil, err
	}
	sizeAxis(c)
	c.p.Y.Tick.Marker = linearTicks{trimFloat}
	c.p.Y.Min, c.p.Y.Max = math.Min(lo, 1)*0.9, math.Max(hi, 1)*1.05
	return c, nil
}

// sorted returns vs in the order of list, unknown values last.
func sorted(vs, list []string) []string {
	vs = slices.Clone(vs)
	slices.SortStableFunc(vs, func(a, b string) int { return order(list, a) - order(list, b) })
	return vs
}

func order(list []string, s string) int {
	if i := slices.Index(list, s); i >= 0 {
		return i
	}
	return len(list)
}
