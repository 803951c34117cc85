package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
	"github.com/mmapbench/mmapbench/schema"
)

// The decision map (issue 14): for each block size, goroutine count,
// memory regime and access pattern × prefetch, is the fastest way to read
// through a mapping faster than the fastest way to read with pread? A
// user picks the backend and the advice, so each side of a cell is its
// fastest setup (the advice variant with the lowest median time), and the
// two are compared by decide, the report's one test.

// mapSetup is one side of a cell: the row of its fastest setup.
type mapSetup struct {
	row *schema.Row
	c   schema.Case
	ns  float64 // median ns/op
}

// name is the setup a user would choose: "mmap/rand", "pread/none", with
// "+batch16" when withPrefetch (the "Which to use" workloads choose the
// prefetch too; a map cell's row fixes it).
func (s *mapSetup) name(withPrefetch bool) string {
	n := s.c.Backend + "/" + s.c.Advice.String()
	if withPrefetch && s.c.Prefetch != schema.NoPrefetch {
		n += "+" + s.c.Prefetch.String()
	}
	if s.leftRegime() {
		n += leftMark
	}
	return n
}

// leftMark marks a setup whose row left its regime during a measured
// stretch (leftRegime); the section's footnote says what it means.
const leftMark = "‡"

// intakeLimit is the share of the file one measured stretch may read from
// the device before the row is no longer in its regime (the meaning of
// schema.StretchIntake): 2 points for a partial state, whose residency
// moves by what is read; 5% for cold. Warm rows read nothing.
func intakeLimit(c schema.Cache) float64 {
	switch {
	case c.IsPartial():
		return 0.02
	case c == schema.Cold:
		return 0.05
	}
	return math.Inf(1)
}

// leftRegime reports whether a stretch of any sample of the setup's row
// read more of the file than its regime allows.
func (s *mapSetup) leftRegime() bool {
	xs := s.row.Samples(schema.StretchIntake)
	return len(xs) > 0 && slices.Max(xs) > intakeLimit(s.c.Cache)
}

// p99 is the median of the setup's p99-nsec samples, "–" when its row
// has none (warm rows are not timed per op).
func (s *mapSetup) p99() string {
	if v, ok := s.row.Median(schema.IPCP99); ok {
		return schema.FormatNanos(v)
	}
	return "–"
}

// faster returns the faster of two setups (a nil one loses).
func faster(a, b *mapSetup) *mapSetup {
	if a == nil || (b != nil && b.ns < a.ns) {
		return b
	}
	return a
}

// A mapCell is one grid point: each side's fastest setup (nil: no row) and
// the decision between them.
type mapCell struct {
	mmap, pread *mapSetup
	cmp         Comparison
}

func newMapCell(mmap, pread *mapSetup) mapCell {
	c := mapCell{mmap: mmap, pread: pread}
	if mmap != nil && pread != nil {
		c.cmp = decide(measured(mmap.row, pread.row))
	}
	return c
}

// measured returns the ns/op samples of a and b that measured something
// (measuredAt). When the two rows have as many samples, the i-th of each
// come from the same invocation (decide pairs them), so a pair is dropped
// whole; otherwise each side is filtered alone.
func measured(a, b *schema.Row) (as, bs []float64) {
	xa, xb := a.Samples(schema.NsPerOp), b.Samples(schema.NsPerOp)
	if len(xa) != len(xb) {
		return measuredSamples(a), measuredSamples(b)
	}
	for i := range xa {
		if measuredAt(a, i) && measuredAt(b, i) {
			as, bs = append(as, xa[i]), append(bs, xb[i])
		}
	}
	return as, bs
}

// measuredAt reports whether a row's i-th ns/op sample measured
// something: go test prints a case skipped in one invocation (here, a
// partial state that a stretch overran) as 0 iterations and NaN ns/op.
func measuredAt(r *schema.Row, i int) bool {
	x := r.Samples(schema.NsPerOp)[i]
	return !math.IsNaN(x) && !math.IsInf(x, 0) && (i >= len(r.Iters) || r.Iters[i] > 0)
}

func measuredSamples(r *schema.Row) []float64 {
	var xs []float64
	for i, x := range r.Samples(schema.NsPerOp) {
		if measuredAt(r, i) {
			xs = append(xs, x)
		}
	}
	return xs
}

// medianMeasured is the median of a row's measured ns/op samples; false
// when none measured anything (the case was skipped in every invocation).
func medianMeasured(r *schema.Row) (float64, bool) {
	xs := measuredSamples(r)
	if len(xs) == 0 {
		return 0, false
	}
	return schema.Center(xs), true
}

// missing says which side has no row, "" when both have one.
func (c mapCell) missing() string {
	switch {
	case c.mmap == nil && c.pread == nil:
		return "no mmap or pread row"
	case c.mmap == nil:
		return "no mmap row"
	case c.pread == nil:
		return "no pread row"
	}
	return ""
}

// text is the cell in a table: "×0.42 (p=0.008) mmap/rand vs pread/none;
// p99 1.20ms vs 80.0µs", "level (×0.97, p=0.31) …", or the missing side
// with the setup that was run.
func (c mapCell) text(withPrefetch bool) string {
	switch {
	case c.mmap == nil && c.pread == nil:
		return c.missing()
	case c.mmap == nil:
		return fmt.Sprintf("no mmap row (%s %s)", c.pread.name(withPrefetch), schema.FormatNanos(c.pread.ns))
	case c.pread == nil:
		return fmt.Sprintf("no pread row (%s %s)", c.mmap.name(withPrefetch), schema.FormatNanos(c.mmap.ns))
	}
	head := fmt.Sprintf("×%.2f (%s)", c.cmp.Ratio, pWords(c.cmp.P))
	if c.cmp.Outcome == level {
		head = fmt.Sprintf("level (×%.2f, %s)", c.cmp.Ratio, pWords(c.cmp.P))
	}
	s := fmt.Sprintf("%s %s vs %s", head, c.mmap.name(withPrefetch), c.pread.name(withPrefetch))
	if pm, pp := c.mmap.p99(), c.pread.p99(); pm != "–" || pp != "–" {
		s += fmt.Sprintf("; p99 %s vs %s", pm, pp)
	}
	return s
}

// pWords is a p-value as a cell shows it: "p=0.031", "p<0.001".
func pWords(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return fmt.Sprintf("p=%.3f", p)
}

func (c mapCell) plotCell() plot.MapCell {
	if c.mmap == nil && c.pread == nil {
		return plot.MapCell{Ratio: math.NaN(), Missing: "no row"} // short enough for the cell; the table says why
	}
	if m := c.missing(); m != "" {
		return plot.MapCell{Ratio: math.NaN(), Missing: m}
	}
	return plot.MapCell{Ratio: c.cmp.Ratio, Level: c.cmp.Outcome == level, LeftRegime: c.mmap.leftRegime() || c.pread.leftRegime()}
}

// A mapRow is a row of the map: an access pattern with a prefetch.
type mapRow struct {
	pattern  schema.Pattern
	prefetch schema.Prefetch
}

func (r mapRow) String() string {
	if r.prefetch == schema.NoPrefetch {
		return r.pattern.String()
	}
	return r.pattern.String() + " + " + r.prefetch.String()
}

// mapPoint is a grid point's coordinates.
type mapPoint struct {
	bs      int64
	threads int
	cache   schema.Cache
	row     mapRow
}

// decisionMap is the grid of one file size.
type decisionMap struct {
	size    int64
	blocks  []int64
	threads []int
	caches  []schema.Cache // most resident first
	rows    []mapRow
	// setups holds each grid point's fastest setup per backend.
	setups map[mapPoint]map[string]*mapSetup
	// resident holds the median resident-frac of every row of a pressure
	// state that reports it (what the kernel left resident).
	resident map[schema.Cache][]float64
}

// mapBackends are the two sides of the map: the mapping read in place and
// pread into a buffer, the choice the map is about.
var mapBackends = []mapBackend{{"mmap", schema.View}, {"pread", schema.Copy}}

type mapBackend struct {
	name   string
	access schema.Access
}

// mapPressures are the file ÷ limit ratios the map has columns
// for (cache=mem:2 and mem:8, make bench-map). A file without their rows
// (no root or no memory controller: the harness skips them with the
// reason) names them as not measured; it never leaves them out silently.
var mapPressures = []int{2, 8}

// missingPressures are the map's pressure states with no row in m.
func (m *decisionMap) missingPressures() []schema.Cache {
	var out []schema.Cache
	for _, n := range mapPressures {
		if c := schema.Pressure(n); !slices.Contains(m.caches, c) {
			out = append(out, c)
		}
	}
	return out
}

// pressureMissing names the map's pressure states without rows, why they
// are empty and what makes them: "mem:2 and mem:8 (the file 2× and 8× a
// memory cgroup's limit): no rows in this file; …"; "" when none is
// missing.
func pressureMissing(cs []schema.Cache) string {
	if len(cs) == 0 {
		return ""
	}
	var names, ns []string
	for _, c := range cs {
		n, _ := c.IsPressure()
		names, ns = append(names, c.String()), append(ns, fmt.Sprintf("%d×", n))
	}
	verb, them := "runs them", "them"
	if len(cs) == 1 {
		verb, them = "runs it", "it"
	}
	return fmt.Sprintf("%s (the file %s a memory cgroup's limit): no rows in this file; make bench-map %s where it can place a memory cgroup's limit (root and the cgroup v2 memory controller) and otherwise skips %s with the reason",
		strings.Join(names, " and "), strings.Join(ns, " and "), verb, them)
}

// mapOf builds the decision map from the BenchmarkRead rows of the file
// size that was read in a partial or memory-pressure cache state (the map
// profile's regimes; the largest such size when there are several),
// random and skewed patterns only; nil when no row has such a cache.
func mapOf(rs *results) *decisionMap {
	var size int64
	for _, r := range rs.Select("Read", nil) {
		if c, ok := r.Case(); ok && (c.Cache.IsPartial() || isPressure(c.Cache)) {
			size = max(size, c.Size)
		}
	}
	if size == 0 {
		return nil
	}
	m := &decisionMap{size: size, setups: map[mapPoint]map[string]*mapSetup{}, resident: map[schema.Cache][]float64{}}
	for _, r := range rs.Select("Read", schema.Keys{"size": schema.FormatSize(size)}) {
		c, ok := r.Case()
		if !ok || c.Pattern == schema.Seq || c.Sync != 0 || c.Shared || !slices.Contains(mapBackends, mapBackend{c.Backend, c.Access}) {
			continue
		}
		ns, ok := medianMeasured(r)
		if !ok {
			continue // skipped in every invocation: no row
		}
		if v, ok := r.Median(schema.ResidentFrac); ok && isPressure(c.Cache) {
			m.resident[c.Cache] = append(m.resident[c.Cache], v)
		}
		row := mapRow{c.Pattern, c.Prefetch}
		addOnce(&m.blocks, c.BS)
		addOnce(&m.threads, c.Threads)
		addOnce(&m.caches, c.Cache)
		addOnce(&m.rows, row)
		pt := mapPoint{c.BS, c.Threads, c.Cache, row}
		if m.setups[pt] == nil {
			m.setups[pt] = map[string]*mapSetup{}
		}
		m.setups[pt][c.Backend] = faster(m.setups[pt][c.Backend], &mapSetup{row: r, c: c, ns: ns})
	}
	if len(m.setups) == 0 {
		return nil
	}
	slices.Sort(m.blocks)
	slices.Sort(m.threads)
	// Order, not Resident: mem:2 keeps at most half the file, as part:50
	// does, but it is a different regime and comes after the partial ones.
	slices.SortStableFunc(m.caches, func(a, b schema.Cache) int { return cmp.Compare(a.Order(), b.Order()) })
	// Rows keep the order the harness ran the patterns in; within a
	// pattern, no prefetch comes first, then the batches by length.
	var patterns []schema.Pattern
	for _, r := range m.rows {
		addOnce(&patterns, r.pattern)
	}
	slices.SortStableFunc(m.rows, func(a, b mapRow) int {
		return cmp.Or(cmp.Compare(slices.Index(patterns, a.pattern), slices.Index(patterns, b.pattern)),
			cmp.Compare(a.prefetch.BatchLen(), b.prefetch.BatchLen()))
	})
	return m
}

func isPressure(c schema.Cache) bool {
	_, ok := c.IsPressure()
	return ok
}

func addOnce[T comparable](xs *[]T, x T) {
	if !slices.Contains(*xs, x) {
		*xs = append(*xs, x)
	}
}

func (m *decisionMap) cell(pt mapPoint) mapCell {
	s := m.setups[pt]
	return newMapCell(s["mmap"], s["pread"])
}

// unholdable says why no row can hold a partial state at pt, "" when
// one can: a parallel row's shortest stretch has every goroutine read
// once, and with batched prefetch each of them first hints its whole
// batch, so it brings in threads × batch × block × the share not
// resident at least; more than the state's intakeLimit, and bench skips
// every setup.
func (m *decisionMap) unholdable(pt mapPoint) string {
	if !pt.cache.IsPartial() || pt.threads == 1 {
		return ""
	}
	batch := max(1, pt.row.prefetch.BatchLen())
	floor := float64(pt.threads*batch) * float64(pt.bs) * (1 - pt.cache.Resident())
	drift := intakeLimit(pt.cache)
	if floor <= drift*float64(m.size) {
		return ""
	}
	return fmt.Sprintf("not measurable at this size: the shortest stretch, %d goroutines × %d blocks of %s × %.0f%% not resident, reads %s, %.1f%% of the file, more than the %.0f points a partial state may move",
		pt.threads, batch, schema.FormatSize(pt.bs), 100*(1-pt.cache.Resident()), schema.FormatBytes(floor), 100*floor/float64(m.size), 100*drift)
}

// regimeWords names a column: "part:90, 90% of the blocks of a 256MiB
// file resident (…)", "mem:2, the file 2× a memory cgroup's limit (256MiB
// file, 128MiB limit), steady state; median resident-frac 0.49", or the
// machine's words for warm and cold ("warm, file 8× the LLC (256MiB)").
func (m *decisionMap) regimeWords(mach machine, c schema.Cache) string {
	w := mach.words(c.String(), m.size)
	switch {
	case c.IsPartial():
		w += " (the hottest under a skewed pattern, a random subset under rand)"
	case isPressure(c):
		w += m.residentWords(c)
	}
	return w
}

// residentWords is what the pressure rows of state c measured resident
// (resident-frac, mincore at the end of each row): "; median
// resident-frac 0.49 (rows 0.47–0.51, 40 rows)". Under pressure the
// kernel chooses, so the share is a measurement, not the state's 1/N.
func (m *decisionMap) residentWords(c schema.Cache) string {
	meds := m.resident[c]
	if len(meds) == 0 {
		return "; its rows report no resident-frac"
	}
	return fmt.Sprintf("; median resident-frac %.2f (rows %.2f–%.2f, %d rows)", schema.Center(meds), slices.Min(meds), slices.Max(meds), len(meds))
}

func threadsWords(n int) string {
	if n == 1 {
		return "1 goroutine"
	}
	return fmt.Sprintf("%d goroutines", n)
}

// mapFigureName is the figure of one block size's map.
func mapFigureName(bs int64) string { return "map-" + schema.FormatSize(bs) }

// Heatmaps is the decision map as figures, one per block size with a panel
// per goroutine count (plot.RenderMaps draws them; mmapbench plot renders
// them beside plot.Figures). Columns are the regimes in schema.Cache's
// Order (warm, partial, pressure, cold), the map's pressure states without
// rows drawn as "not measured" in their place; nil when the results have
// no map rows (or are nil).
func Heatmaps(rs *schema.Results) []plot.Map {
	if rs == nil {
		return nil
	}
	m := mapOf(newResults(rs))
	if m == nil {
		return nil
	}
	// The columns in Order: warm, partial, pressure, cold, with the map's
	// pressure states that have no rows as placeholders in their place.
	type column struct {
		cache    schema.Cache
		measured bool
	}
	var order []column
	for _, c := range m.caches {
		order = append(order, column{c, true})
	}
	for _, c := range m.missingPressures() {
		order = append(order, column{c, false})
	}
	slices.SortStableFunc(order, func(a, b column) int { return cmp.Compare(a.cache.Order(), b.cache.Order()) })
	var cols, rows []string
	for _, c := range order {
		cols = append(cols, c.cache.String())
	}
	for _, r := range m.rows {
		rows = append(rows, r.String())
	}
	var maps []plot.Map
	for _, bs := range m.blocks {
		pm := plot.Map{
			Name:  mapFigureName(bs),
			Title: fmt.Sprintf("Fastest mmap ÷ fastest pread, %s random reads of a %s file", schema.FormatSize(bs), schema.FormatBytes(float64(m.size))),
			Caption: fmt.Sprintf("Each cell: the fastest mmap setup's median time ÷ the fastest pread setup's (over their advice variants), at %s blocks; red: mmap faster, blue: pread faster, on a log scale; level unless the test separates them (p < %.2g) and the ratio is beyond the %.0f%% tie; dashed where a side has no row or the regime has no rows in this file; ‡: a side's row read more of the file in one stretch than its regime allows.",
				schema.FormatSize(bs), Alpha, 100*Tie),
			Columns: cols, Rows: rows,
		}
		for _, th := range m.threads {
			pn := plot.MapPanel{Title: threadsWords(th)}
			for _, r := range m.rows {
				var line []plot.MapCell
				for _, c := range order {
					if !c.measured {
						line = append(line, plot.MapCell{Ratio: math.NaN(), Missing: "not measured"})
						continue
					}
					line = append(line, m.cell(mapPoint{bs, th, c.cache, r}).plotCell())
				}
				pn.Cells = append(pn.Cells, line)
			}
			pm.Panels = append(pm.Panels, pn)
		}
		maps = append(maps, pm)
	}
	return maps
}

// MapFigureNames are the names of the decision map's figures for these
// results (none without map rows), for linking them into the report.
func MapFigureNames(rs *schema.Results) []string {
	var names []string
	for _, m := range Heatmaps(rs) {
		names = append(names, m.Name)
	}
	return names
}

// writeMap writes the decision map's tables and the "Which to use"
// section, when the map's results (in.Map) have map rows.
func writeMap(p printer, in Input) {
	if in.Map == nil {
		return
	}
	rs := newResults(in.Map)
	m := mapOf(rs)
	if m == nil {
		return
	}
	mach := machineOf(rs)
	p("## The decision map: mmap or pread, by regime\n\n")
	p("BenchmarkRead rows of the %s file, random and skewed patterns. Each cell compares the fastest mmap setup (access=view, the advice variant with the lowest median time) with the fastest pread setup (access=copy, likewise): the ratio of their median times, mmap ÷ pread, below 1 where mmap is faster; **level** unless %s and the ratio is beyond the %.0f%% tie; the p99 of each setup's per-op latency where its row reports one (every state but warm is timed per op). A side with no row is named, never left blank. Regimes: %s.\n\n",
		schema.FormatBytes(float64(m.size)), testWords, 100*Tie, regimeList(m, mach))
	for _, bs := range m.blocks {
		if link, ok := in.Figures[mapFigureName(bs)]; ok {
			p("![decision map, %s](%s.png)\n\n*Fastest mmap ÷ fastest pread at %s blocks: red mmap faster, blue pread faster, grey level, dashed missing.* ([SVG](%s.svg))\n\n", schema.FormatSize(bs), link, schema.FormatSize(bs), link)
		} else {
			p("*Figure %s not rendered: run `make plots`.*\n\n", mapFigureName(bs))
		}
		for _, th := range m.threads {
			t := (&Table{}).Left("pattern × prefetch")
			for _, c := range m.caches {
				t.Left(c.String())
			}
			for _, r := range m.rows {
				cells := []string{r.String()}
				for _, c := range m.caches {
					pt := mapPoint{bs, th, c, r}
					text := m.cell(pt).text(false)
					if why := m.unholdable(pt); why != "" && m.cell(pt).mmap == nil && m.cell(pt).pread == nil {
						text += " (" + why + ")"
					}
					cells = append(cells, text)
				}
				t.Row(cells...)
			}
			p("### %s blocks, %s\n\n%s\n", schema.FormatSize(bs), threadsWords(th), t)
		}
	}
	writeWhichToUse(p, m, mach)
	if m.anyLeft() {
		p("%s after a setup: a measured stretch of its row read more of the file from the device than its regime allows (max-intake-frac above %.0f%% for a partial state, %.0f%% for cold), so part of its time was not in the regime its column names.\n\n",
			leftMark, 100*intakeLimit(schema.Partial(50)), 100*intakeLimit(schema.Cold))
	}
}

// anyLeft reports whether any setup of the map left its regime.
func (m *decisionMap) anyLeft() bool {
	for _, s := range m.setups {
		for _, st := range s {
			if st.leftRegime() {
				return true
			}
		}
	}
	return false
}

func regimeList(m *decisionMap, mach machine) string {
	var ws []string
	for _, c := range m.caches {
		ws = append(ws, m.regimeWords(mach, c))
	}
	if w := pressureMissing(m.missingPressures()); w != "" {
		ws = append(ws, w)
	}
	return strings.Join(ws, "; ")
}

// A workload is what a user cannot choose: block size, goroutines, access
// pattern. The setup (backend, advice, prefetch) is the choice.
type workload struct {
	bs      int64
	threads int
	pattern schema.Pattern
}

func (w workload) String() string {
	return fmt.Sprintf("%s %s, %s", schema.FormatSize(w.bs), w.pattern, threadsWords(w.threads))
}

// writeWhichToUse writes, per regime, which backend's fastest setup wins
// each workload (the prefetch now part of the setup), with a sentence
// counting them and naming the largest margin, and a table of the
// workloads.
func writeWhichToUse(p printer, m *decisionMap, mach machine) {
	p("## Which to use\n\nPer regime and workload (block size, pattern, goroutines), the fastest mmap setup (advice and prefetch) against the fastest pread setup, decided as in the map. Generated from the map's rows; the sentences change with them.\n\n")
	for _, c := range m.caches {
		var works []workload
		for _, bs := range m.blocks {
			for _, th := range m.threads {
				for _, r := range m.rows {
					addOnce(&works, workload{bs, th, r.pattern})
				}
			}
		}
		t := (&Table{}).Left("workload", "choose", "median time", "p99", "the other side's best", "median time", "p99", "by")
		var nm, np, nl, nOne, nNone int
		var best mapCell
		var bestW workload
		margin := 0.0
		for _, w := range works {
			var mm, pr *mapSetup
			for _, r := range m.rows {
				if r.pattern != w.pattern {
					continue
				}
				s := m.setups[mapPoint{w.bs, w.threads, c, r}]
				mm, pr = faster(mm, s["mmap"]), faster(pr, s["pread"])
			}
			cell := newMapCell(mm, pr)
			if miss := cell.missing(); miss != "" {
				// The side that ran is shown; the other is named missing.
				if cell.mmap == nil && cell.pread == nil {
					nNone++
				} else {
					nOne++
				}
				cells := []string{w.String(), "–", "–", "–"}
				if ran := faster(cell.mmap, cell.pread); ran != nil {
					cells = []string{w.String(), ran.name(true), schema.FormatNanos(ran.ns), ran.p99()}
				}
				t.Row(append(cells, miss, "–", "–", "–")...)
				continue
			}
			chosen, other := cell.mmap, cell.pread
			by := "level"
			switch cell.cmp.Outcome {
			case win:
				nm++
				by = fmt.Sprintf("%.2f× faster", 1/cell.cmp.Ratio)
			case lose:
				np++
				chosen, other = other, chosen
				by = fmt.Sprintf("%.2f× faster", cell.cmp.Ratio)
			default:
				nl++
				if cell.cmp.Ratio > 1 {
					chosen, other = other, chosen
				}
				by = fmt.Sprintf("level (×%.2f, %s)", cell.cmp.Ratio, pWords(cell.cmp.P))
			}
			if cell.cmp.Outcome != level {
				if mg := math.Abs(math.Log(cell.cmp.Ratio)); mg > margin {
					margin, best, bestW = mg, cell, w
				}
			}
			t.Row(w.String(), chosen.name(true), schema.FormatNanos(chosen.ns), chosen.p99(), other.name(true), schema.FormatNanos(other.ns), other.p99(), by)
		}
		p("**%s.** %s\n\n%s\n", m.regimeWords(mach, c), whichSentence(len(works), nm, np, nl, nOne, nNone, best, bestW, margin > 0), t)
	}
	if w := pressureMissing(m.missingPressures()); w != "" {
		p("**%s.**\n\n", w)
	}
}

// whichSentence is a regime's sentence: how many workloads each backend
// wins, and the largest margin with both setups and their p99.
func whichSentence(n, nm, np, nl, nOne, nNone int, best mapCell, w workload, hasBest bool) string {
	var parts []string
	count := func(k int, what string) {
		if k > 0 {
			parts = append(parts, fmt.Sprintf("%s in %d", what, k))
		}
	}
	count(nm, "mmap is faster")
	count(np, "pread is faster")
	count(nl, "the two are level")
	count(nOne, "one side has no row")
	count(nNone, "neither side was run")
	noun := "workloads"
	if n == 1 {
		noun = "workload"
	}
	s := fmt.Sprintf("Of %d %s, %s.", n, noun, strings.Join(parts, ", "))
	if hasBest {
		p99 := func(a, b *mapSetup) string {
			if a.p99() == "–" && b.p99() == "–" {
				return "" // warm rows are not timed per op
			}
			return fmt.Sprintf("; p99 %s against %s", a.p99(), b.p99())
		}
		chosen, other, ratio := best.mmap, best.pread, 1/best.cmp.Ratio
		if best.cmp.Outcome == lose {
			chosen, other, ratio = other, chosen, best.cmp.Ratio
		}
		s += fmt.Sprintf(" The largest margin: %s is %.2f× faster than %s at %s (%s against %s%s).",
			chosen.name(true), ratio, other.name(true), w, schema.FormatNanos(chosen.ns), schema.FormatNanos(other.ns), p99(chosen, other))
	}
	return s
}
