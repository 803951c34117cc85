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

	"github.com/mmapbench/mmapbench/oom"
)

// A Figure is one plot the report shows.
type Figure struct {
	Name    string // file name without extension: "read-warm"
	Title   string
	Caption string // what it shows, for the report
	build   func(rs *Results) (*chart, error)
}

// Figures returns every figure, in the order of the report.
func Figures() []Figure {
	return []Figure{
		{"read-warm", "Sequential reads, warm page cache",
			"Throughput against block size per backend; solid lines copy into a buffer (ReadAt), dashed lines read the mapping in place (view).",
			func(rs *Results) (*chart, error) { return readThroughput(rs, "warm") }},
		{"read-cold", "Sequential reads, cold page cache",
			"The same with the file evicted before each pass: read-ahead for pread against page faults for the mapping.",
			func(rs *Results) (*chart, error) { return readThroughput(rs, "cold") }},
		{"openread", "One-shot read of a whole warm file",
			"Time to open, read every byte once and close, against file size (BenchmarkOpenRead): mmap pays for the mapping, pread for the copy.",
			openRead},
		{"openread-ratio", "One-shot read relative to pread",
			"The same times divided by pread's at each size: the crossover is where a line crosses 1.",
			openReadRatio},
		{"ipc-spin", "IPC one-way latency, spinning waiter",
			"One-way latency between two processes sharing a record, per backend (BenchmarkIPC, wait=spin): first the batch figure (K round trips per two clock reads, ÷ 2K, median over batches), then the percentiles per round trip, raw (each carries one clock read, half of it one way); floor is two threads of one process, floor-bare the bare loop (batch only).",
			func(rs *Results) (*chart, error) { return ipcLatency(rs, "spin") }},
		{"ipc-futex", "IPC one-way latency, futex waiter",
			"The same with the waiter sleeping on a futex (wait=futex): wake-ups, not memory, set the latency.",
			func(rs *Results) (*chart, error) { return ipcLatency(rs, "futex") }},
		{"faults", "Page faults per map, touch and unmap of a whole file",
			"Minor faults per operation against file size (BenchmarkFault); the grey line is one fault per 4KiB page: fault-around and large folios map many pages per fault.",
			faultsPerOp},
		{"fault-cost", "Cost of mapping a page on first touch",
			"Time per 4KiB page of mapping, touching every page once and unmapping (BenchmarkFault), against file size.",
			faultCost},
		{"oom-rand", "Random 4KiB reads over a file larger than the memory limit",
			"Throughput per second of each run of mmapbench oom (pattern=rand), from a cold start: the page cache fills up to the cgroup's limit, then every new page evicts an old one.",
			func(rs *Results) (*chart, error) { return oomSeries(rs, "rand") }},
		{"oom-seq", "Sequential scan of a file larger than the memory limit",
			"The same for the sequential scan (pattern=seq).",
			func(rs *Results) (*chart, error) { return oomSeries(rs, "seq") }},
	}
}

// OOMSetups is the order of mmapbench oom's setups in figures and tables.
var OOMSetups = oom.SetupNames()

// oomSeries draws throughput against time, one line per setup and one
// panel per block device (a run on a disk and one on a RAM-backed device
// differ by orders of magnitude).
func oomSeries(rs *Results, pattern string) (*chart, error) {
	byDevice := map[string]map[string]plotter.XYs{}
	clock := map[[2]string]float64{} // seconds since each run started, at the end of its row
	for _, r := range rs.Series {
		if r.Pattern != pattern || r.Elapsed <= 0 {
			continue
		}
		if byDevice[r.Device] == nil {
			byDevice[r.Device] = map[string]plotter.XYs{}
		}
		run := [2]string{r.Device, r.Config}
		clock[run] += r.Elapsed
		mbs := max(float64(r.Bytes)/r.Elapsed/1e6, 0.01) // a log axis has no zero
		byDevice[r.Device][r.Config] = append(byDevice[r.Device][r.Config], plotter.XY{X: clock[run], Y: mbs})
	}
	if len(byDevice) == 0 {
		return nil, fmt.Errorf("%w: no mmapbench oom time series with pattern=%s", ErrNoData, pattern)
	}
	var top *chart
	for _, dev := range slices.Sorted(maps.Keys(byDevice)) {
		title := map[string]string{"rand": "Random reads", "seq": "Sequential scan"}[pattern] + " over a file larger than the memory limit"
		if dev != "" {
			title += ", on " + dev
		}
		c := newChart(title, "seconds since the run started (cold cache)", "MB/s")
		c.p.X.Min = 0
		bySetup := byDevice[dev]
		lo, hi := math.Inf(1), 0.0
		for _, xys := range bySetup {
			for _, xy := range xys {
				lo, hi = min(lo, xy.Y), max(hi, xy.Y)
			}
		}
		logAxis(&c.p.Y, lo, hi, formatCount)
		for i, s := range sorted(slices.Collect(maps.Keys(bySetup)), OOMSetups) {
			if err := c.line(s, bySetup[s], oomColor(s), strings.HasPrefix(s, "pread"), i); err != nil {
				return nil, err
			}
		}
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
	Err    error    // wraps ErrNoData when the results lack its benchmarks
}

// Render draws every figure the results have data for into dir, once per
// format ("svg", "png"). A figure without data is returned with an Err
// wrapping ErrNoData; any other error stops the rendering.
func Render(rs *Results, dir string, formats []string) ([]Rendered, error) {
	var out []Rendered
	for _, f := range Figures() {
		c, err := f.build(rs)
		if errors.Is(err, ErrNoData) {
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

// ReadSize picks the file size of the read figures and tables: the one with
// the most block sizes among warm sequential single-thread reads; the
// smallest on a tie.
func ReadSize(rs *Results) string { return readSizeFor(rs, "warm") }

func readSizeFor(rs *Results, cache string) string {
	rows := rs.Rows("Read", map[string]string{"pattern": "seq", "cache": cache, "threads": "1", "advice": "none"})
	best, bestN := "", 0
	for _, size := range Values(rows, "size") {
		n := len(Values(rs.Rows("Read", map[string]string{"pattern": "seq", "cache": cache, "threads": "1", "advice": "none", "size": size}), "bs"))
		if n > bestN {
			best, bestN = size, n
		}
	}
	return best
}

// ReadBackends is the order of the file backends in figures and tables:
// the system-call baseline first.
var ReadBackends = []string{"pread", "osfile", "mmap", "mmapgo", "null"}

func readThroughput(rs *Results, cache string) (*chart, error) {
	size := readSizeFor(rs, cache)
	where := map[string]string{"pattern": "seq", "cache": cache, "threads": "1", "advice": "none", "size": size}
	rows := rs.Rows("Read", where)
	if size == "" || len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkRead results with pattern=seq cache=%s threads=1 advice=none", ErrNoData, cache)
	}
	c := newChart(fmt.Sprintf("Sequential reads, %s cache, %s file", cache, size),
		"block size per read (bytes, log scale)", "throughput (GiB/s)")
	lo, hi := math.Inf(1), 0.0
	var sizes []float64
	for i, be := range ReadBackends {
		for _, access := range []string{"copy", "view"} {
			var xys plotter.XYs
			for _, bs := range Values(rows, "bs") {
				w := clone(where)
				w["backend"], w["access"], w["bs"] = be, access, bs
				rs := rs.Rows("Read", w)
				if len(rs) == 0 {
					continue
				}
				mbs, ok := rs[0].Median("MB/s")
				if !ok || mbs <= 0 {
					continue
				}
				n, _ := ParseSize(bs)
				x, y := float64(n), mbs*1e6/(1<<30)
				xys = append(xys, plotter.XY{X: x, Y: y})
				lo, hi = math.Min(lo, y), math.Max(hi, y)
				if !slices.Contains(sizes, x) {
					sizes = append(sizes, x)
				}
			}
			if len(xys) == 0 {
				continue
			}
			if err := c.line(be+" "+access, xys, backendColor(be), access == "view", i); err != nil {
				return nil, err
			}
		}
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no MB/s in the BenchmarkRead results with cache=%s", ErrNoData, cache)
	}
	slices.Sort(sizes)
	sizeAxis(c, sizes)
	logAxis(&c.p.Y, lo, hi, formatGiBs)
	return c, nil
}

func sizeAxis(c *chart, sizes []float64) {
	c.p.X.Scale = gplot.LogScale{}
	c.p.X.Tick.Marker = sizeTicks(sizes)
	c.p.X.Min, c.p.X.Max = sizes[0]/1.5, sizes[len(sizes)-1]*1.5
}

func openRead(rs *Results) (*chart, error) {
	rows := rs.Rows("OpenRead", nil)
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkOpenRead results", ErrNoData)
	}
	c := newChart("One-shot read of a warm file: open, read all, close",
		"file size (bytes, log scale)", "time per one-shot read (log scale)")
	xs, lo, hi, err := openReadLines(rs, c, "", func(be, size string) (float64, bool) {
		return openReadTime(rs, be, size)
	})
	if err != nil {
		return nil, err
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no ns/op in the BenchmarkOpenRead results", ErrNoData)
	}
	sizeAxis(c, xs)
	logAxis(&c.p.Y, lo, hi, FormatNanos)
	return c, nil
}

// Percentiles are the IPC latency units in the order of the x axis.
var Percentiles = []struct{ Unit, Label string }{
	{"p50-nsec", "p50"}, {"p90-nsec", "p90"}, {"p99-nsec", "p99"}, {"p99.9-nsec", "p99.9"}, {"max-nsec", "max"},
}

// IPCBackends is the order of the IPC backends: the floor rows first (the
// bare loop, then the harness's), the system-call backends last.
var IPCBackends = []string{"floor-bare", "floor", "mmap", "mmapgo", "posixshm", "memfd", "sysv", "pread", "osfile"}

func ipcLatency(rs *Results, wait string) (*chart, error) {
	rows := rs.Rows("IPC", map[string]string{"wait": wait})
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkIPC results with wait=%s", ErrNoData, wait)
	}
	c := newChart(fmt.Sprintf("IPC one-way latency, wait=%s", wait),
		"batch one-way latency, then percentiles per round trip (raw; max: the largest of all round trips)", "one-way latency (log scale)")
	// x = 0 is the batch figure (ns/op, in rows that have batches), the
	// percentiles follow from x = 1.
	lo, hi := math.Inf(1), 0.0
	for i, be := range sorted(Values(rows, "backend"), IPCBackends) {
		r := rs.Row("IPC", map[string]string{"backend": be, "wait": wait})
		if r == nil {
			continue // a row with more keys (writeback): not in this figure
		}
		var xys plotter.XYs
		if v, ok := r.Median("ns/op"); ok && v > 0 && len(r.Samples("rt/batch")) > 0 {
			xys = append(xys, plotter.XY{X: 0, Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for j, p := range Percentiles {
			if v, ok := r.Median(p.Unit); ok && v > 0 {
				xys = append(xys, plotter.XY{X: float64(j + 1), Y: v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if len(xys) == 0 {
			continue
		}
		if err := c.line(be, xys, backendColor(be), be == "pread" || be == "osfile", i); err != nil {
			return nil, err
		}
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no percentile units in the BenchmarkIPC results with wait=%s", ErrNoData, wait)
	}
	ticks := gplot.ConstantTicks{{Value: 0, Label: "batch"}}
	for j, p := range Percentiles {
		ticks = append(ticks, gplot.Tick{Value: float64(j + 1), Label: p.Label})
	}
	c.p.X.Tick.Marker = ticks
	c.p.X.Min, c.p.X.Max = -0.3, float64(len(Percentiles))+0.3
	logAxis(&c.p.Y, lo, hi, FormatNanos)
	return c, nil
}

func faultRows(rs *Results) ([]*Row, error) {
	rows := rs.Rows("Fault", nil)
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkFault results", ErrNoData)
	}
	return rows, nil
}

func faultsPerOp(rs *Results) (*chart, error) {
	return faultChart(rs, "Page faults to map, touch and unmap a warm file",
		"minor page faults per operation (log scale)", "minflt/op", true)
}

func faultCost(rs *Results) (*chart, error) {
	return faultChart(rs, "Time per 4KiB page to map, touch and unmap",
		"time per page (log scale)", "nsec/page", false)
}

func faultChart(rs *Results, title, ylabel, unit string, reference bool) (*chart, error) {
	rows, err := faultRows(rs)
	if err != nil {
		return nil, err
	}
	c := newChart(title, "file size (bytes, log scale)", ylabel)
	lo, hi := math.Inf(1), 0.0
	var xs []float64
	i := 0
	for _, be := range Values(rows, "backend") {
		for _, access := range Values(rows, "access") {
			for _, pop := range Values(rows, "populate") {
				var xys plotter.XYs
				for _, size := range Values(rows, "size") {
					r := rs.Row("Fault", map[string]string{"backend": be, "access": access, "size": size, "populate": pop})
					if r == nil {
						continue
					}
					v, ok := r.Median(unit)
					if !ok || v <= 0 {
						continue
					}
					n, _ := ParseSize(size)
					xys = append(xys, plotter.XY{X: float64(n), Y: v})
					lo, hi = math.Min(lo, v), math.Max(hi, v)
					if !slices.Contains(xs, float64(n)) {
						xs = append(xs, float64(n))
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
		return nil, fmt.Errorf("%w: no %s in the BenchmarkFault results", ErrNoData, unit)
	}
	slices.Sort(xs)
	if reference {
		var ref plotter.XYs
		for _, x := range xs {
			ref = append(ref, plotter.XY{X: x, Y: x / 4096})
			hi = math.Max(hi, x/4096)
		}
		if err := c.reference("one fault per 4KiB page", ref); err != nil {
			return nil, err
		}
	}
	sizeAxis(c, xs)
	logAxis(&c.p.Y, lo, hi, formatCount)
	if unit == "nsec/page" {
		logAxis(&c.p.Y, lo, hi, FormatNanos)
	}
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

func openReadTime(rs *Results, backend, size string) (float64, bool) {
	r := rs.Row("OpenRead", map[string]string{"backend": backend, "size": size})
	if r == nil {
		return 0, false
	}
	v, ok := r.Median("ns/op")
	return v, ok && v > 0
}

// openReadLines draws one line per BenchmarkOpenRead backend (but skip)
// with y(backend, size) against file size, and returns the sizes drawn
// (sorted) and the range of y.
func openReadLines(rs *Results, c *chart, skip string, y func(be, size string) (float64, bool)) (xs []float64, lo, hi float64, err error) {
	rows := rs.Rows("OpenRead", nil)
	sizes := Values(rows, "size")
	lo, hi = math.Inf(1), 0.0
	for i, be := range sorted(Values(rows, "backend"), ReadBackends) {
		if be == skip {
			continue
		}
		var xys plotter.XYs
		for _, size := range sizes {
			v, ok := y(be, size)
			if !ok {
				continue
			}
			n, _ := ParseSize(size)
			xys = append(xys, plotter.XY{X: float64(n), Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			if !slices.Contains(xs, float64(n)) {
				xs = append(xs, float64(n))
			}
		}
		if len(xys) == 0 {
			continue
		}
		if err := c.line(be, xys, backendColor(be), be == "mmap" || be == "mmapgo", i); err != nil {
			return nil, 0, 0, err
		}
	}
	slices.Sort(xs)
	return xs, lo, hi, nil
}

// openReadRatio plots each backend's one-shot time relative to pread's:
// below 1 it is faster; the crossover is where mmap's line crosses 1.
func openReadRatio(rs *Results) (*chart, error) {
	rows := rs.Rows("OpenRead", map[string]string{"backend": "pread"})
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no BenchmarkOpenRead results with backend=pread", ErrNoData)
	}
	c := newChart("One-shot read: time relative to pread",
		"file size (bytes, log scale)", "time / pread's time (below 1: faster)")
	xs, lo, hi, err := openReadLines(rs, c, "pread", func(be, size string) (float64, bool) {
		base, ok1 := openReadTime(rs, "pread", size)
		v, ok2 := openReadTime(rs, be, size)
		return v / base, ok1 && ok2
	})
	if err != nil {
		return nil, err
	}
	if len(c.names) == 0 {
		return nil, fmt.Errorf("%w: no backend to compare with pread in BenchmarkOpenRead", ErrNoData)
	}
	if err := c.reference("pread (= 1)", plotter.XYs{{X: xs[0], Y: 1}, {X: xs[len(xs)-1], Y: 1}}); err != nil {
		return nil, err
	}
	sizeAxis(c, xs)
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

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+3)
	for k, v := range m {
		out[k] = v
	}
	return out
}
