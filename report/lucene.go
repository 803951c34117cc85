package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
)

// The Lucene comparison (issue 14, "A real-world check"): Lucene's
// random-read benchmark (apache/lucene issue 16044, pull request 16279)
// in our terms, from -profile lucene's rows (make bench-lucene), on two
// devices, with its strategies ordered by throughput beside the ordering
// Lucene's authors published.

// LuceneDevices are the devices the comparison runs on, each with its own
// results file (LuceneSibling): the bench dir on the virtio disk, and on
// ext4 on a zram device (a fast device, as their NVMe).
var LuceneDevices = []string{"disk", "zram"}

// LuceneSibling is the Lucene comparison's results file for device beside
// bench: <stem>-lucene-disk.txt, <stem>-lucene-zram.txt.
func LuceneSibling(bench, device string) string {
	return strings.TrimSuffix(bench, ".txt") + "-lucene-" + device + ".txt"
}

// A LuceneRun is one device's results of -profile lucene, loaded apart
// from every other file (its rows must not pool with another run's).
type LuceneRun struct {
	Device  string          // "disk" or "zram" (LuceneDevices)
	File    string          // its path, named when it is missing
	Results *schema.Results // nil: the file is missing
}

// lucenePaths are the files of the runs that were there, for the
// report's heading.
func lucenePaths(runs []LuceneRun) []string {
	var ps []string
	for _, r := range runs {
		if r.Results != nil {
			ps = append(ps, r.File)
		}
	}
	return ps
}

// readsPerLuceneOp is how many reads one op of Lucene's benchmark makes
// (readsPerOp=16 in RandomReadIOBenchmark); one of our ops is one read.
const readsPerLuceneOp = 16

// luceneReadSize is the size of each of those reads (readSize=16384).
const luceneReadSize = 16 << 10

// luceneOpsPerMs converts our time per read (ns/op) into Lucene's unit:
// ops/ms with op = 16 reads. Our ns/op under RunParallel is wall time per
// op over all goroutines, i.e. total throughput, as JMH's ops/ms is.
func luceneOpsPerMs(nsPerRead float64) float64 {
	return 1e6 / (readsPerLuceneOp * nsPerRead)
}

// A luceneStrategy is one of Lucene's read strategies as one of our
// setups (the mapping is fixed in the lucene profile: bench/profile).
type luceneStrategy struct {
	name     string
	backend  string
	access   schema.Access
	advice   schema.Advice
	prefetch schema.Prefetch
}

var (
	mmapNormal      = luceneStrategy{"mmap NORMAL", "mmap", schema.View, schema.AdviceNone, schema.NoPrefetch}
	mmapRandom      = luceneStrategy{"mmap RANDOM", "mmap", schema.View, schema.AdviceRand, schema.NoPrefetch}
	mmapNormalBatch = luceneStrategy{"mmap NORMAL + batched WILLNEED", "mmap", schema.View, schema.AdviceNone, schema.Batch(readsPerLuceneOp)}
	mmapRandomBatch = luceneStrategy{"mmap RANDOM + batched WILLNEED", "mmap", schema.View, schema.AdviceRand, schema.Batch(readsPerLuceneOp)}
	preadPlain      = luceneStrategy{"pread", "pread", schema.Copy, schema.AdviceNone, schema.NoPrefetch}
	preadBatch      = luceneStrategy{"pread + batched WILLNEED", "pread", schema.Copy, schema.AdviceNone, schema.Batch(readsPerLuceneOp)}
	oDirect         = luceneStrategy{"O_DIRECT pread", "pread", schema.Direct, schema.AdviceNone, schema.NoPrefetch}
)

// luceneStrategies are listed in the order a tie keeps.
var luceneStrategies = []luceneStrategy{mmapNormal, mmapRandom, mmapNormalBatch, mmapRandomBatch, preadPlain, preadBatch, oDirect}

func (s luceneStrategy) matches(c schema.Case) bool {
	return c.Backend == s.backend && c.Access == s.access && c.Advice == s.advice && c.Prefetch == s.prefetch
}

// luceneRegimes are the comparison's memory regimes, Lucene's names for
// them: warm (file fits, pre-warmed), memory pressure (file ≈ memory),
// many cold (file 2× memory).
var luceneRegimes = []struct {
	cache  schema.Cache
	lucene string
}{
	{schema.Warm, "warm"},
	{schema.Pressure(1), "memory pressure (file ≈ memory)"},
	{schema.Pressure(2), "many cold (file 2× memory)"},
}

// A publishedFigure is one figure Lucene's authors published: a
// strategy's throughput in ops/ms (op = 16 random 16KiB reads) on their
// platform, in a regime, at a thread count. These are quoted literature
// values, not our measurements; the report labels them so.
type publishedFigure struct {
	regime   schema.Cache
	platform string
	threads  int
	strategy luceneStrategy
	opsPerMs float64
	source   string
}

const (
	// neoremind's comment of 2026-06-29 on apache/lucene#16044, the rerun
	// after the WILLNEED alignment fix (PR 16279 at 7d52748): CASE 1,
	// warm (16G file, 32G RAM, pre-warmed with cat), T01 and T08.
	srcWarmFixed = "https://github.com/apache/lucene/issues/16044 (neoremind, 2026-06-29, rerun after the WILLNEED alignment fix, PR 16279 at 7d52748)"
	// neoremind's first results on apache/lucene#16044 (the only table
	// found with O_DIRECT beside mmap and pread in one run): 16G file
	// fits in memory, c5.4xlarge, io2 EBS.
	srcFirst = "https://github.com/apache/lucene/issues/16044#issuecomment-4422435972 (neoremind, first JMH results; mirrored at https://mid.mail-archive.com/issues@lucene.apache.org/msg95092.html)"
	// The memory-pressure figures at 16 threads as ../shared/notes/regimes.md
	// quotes them from apache/lucene#16044 and PR 16279 (the thread's
	// pressure tables were not retrievable here); the note does not name
	// the platform. 7.2 matches PR 16145's EBS figure for RANDOM + batched
	// prefetch under pressure at T16 (7.16, https://github.com/apache/lucene/pull/16145).
	srcPressure = "../shared/notes/regimes.md, quoting https://github.com/apache/lucene/issues/16044 and https://github.com/apache/lucene/pull/16279"
)

const (
	ebs             = "EBS io2 (EC2 c5.4xlarge)"
	nvme            = "NVMe SSD (EC2 c6id.4xlarge)"
	unnamedPlatform = "platform not named in the note"
)

var publishedFigures = []publishedFigure{
	{schema.Warm, ebs, 1, mmapNormal, 37, srcWarmFixed},
	{schema.Warm, ebs, 1, mmapRandom, 37, srcWarmFixed},
	{schema.Warm, ebs, 1, mmapNormalBatch, 25, srcWarmFixed},
	{schema.Warm, ebs, 1, mmapRandomBatch, 25, srcWarmFixed},
	{schema.Warm, ebs, 1, preadPlain, 22, srcWarmFixed},
	{schema.Warm, ebs, 8, mmapNormal, 259, srcWarmFixed},
	{schema.Warm, ebs, 8, mmapRandom, 261, srcWarmFixed},
	{schema.Warm, ebs, 8, mmapNormalBatch, 117, srcWarmFixed},
	{schema.Warm, ebs, 8, mmapRandomBatch, 117, srcWarmFixed},
	{schema.Warm, ebs, 8, preadPlain, 134, srcWarmFixed},
	{schema.Warm, nvme, 1, mmapNormal, 47, srcWarmFixed},
	{schema.Warm, nvme, 1, mmapRandom, 46, srcWarmFixed},
	{schema.Warm, nvme, 1, mmapNormalBatch, 35, srcWarmFixed},
	{schema.Warm, nvme, 1, mmapRandomBatch, 35, srcWarmFixed},
	{schema.Warm, nvme, 1, preadPlain, 32, srcWarmFixed},
	{schema.Warm, nvme, 8, mmapNormal, 320, srcWarmFixed},
	{schema.Warm, nvme, 8, mmapRandom, 320, srcWarmFixed},
	{schema.Warm, nvme, 8, mmapNormalBatch, 162, srcWarmFixed},
	{schema.Warm, nvme, 8, mmapRandomBatch, 166, srcWarmFixed},
	{schema.Warm, nvme, 8, preadPlain, 206, srcWarmFixed},
	// The first run's "mmap" is MemorySegment.copy out of a mapping with no
	// madvise: the kernel's default advice, NORMAL.
	{schema.Warm, ebs + ", first run", 1, mmapNormal, 38.2, srcFirst},
	{schema.Warm, ebs + ", first run", 1, preadPlain, 24.7, srcFirst},
	{schema.Warm, ebs + ", first run", 1, oDirect, 0.15, srcFirst},
	{schema.Warm, ebs + ", first run", 4, mmapNormal, 144.9, srcFirst},
	{schema.Warm, ebs + ", first run", 4, preadPlain, 86.8, srcFirst},
	{schema.Warm, ebs + ", first run", 4, oDirect, 0.60, srcFirst},
	{schema.Pressure(1), unnamedPlatform, 16, mmapRandomBatch, 7.2, srcPressure},
	{schema.Pressure(1), unnamedPlatform, 16, preadPlain, 5.2, srcPressure},
	{schema.Pressure(1), unnamedPlatform, 16, mmapRandom, 3.4, srcPressure},
}

// publishedPressure is how far their pressure cases' files exceeded the
// memory available for the page cache, as the author described them: the
// memory-pressure case "32G file > ~29G available RAM (JVM takes 2G)"
// (neoremind, 2026-06-29, on apache/lucene#16044); the three files of
// 16, 32 and 64 GiB against "the ~30G available for page cache"
// (neoremind's first results on the same issue) for the 64G case.
var publishedPressure = []struct {
	regime schema.Cache
	words  string
	ratio  float64 // file ÷ memory available
	source string
}{
	{schema.Pressure(1), "a 32G file against about 29G of available memory", 32.0 / 29, "https://github.com/apache/lucene/issues/16044, 2026-06-29"},
	{schema.Pressure(2), "a 64GiB file against about 30G available for the page cache", 64.0 / 30, "https://github.com/apache/lucene/issues/16044#issuecomment-4422435972"},
}

// publishedLatency is their devices' 4KiB random-read latency at queue
// depth 1 by fio, as the PR's author measured it (neoremind's comment of
// 2026-07-08 on https://github.com/apache/lucene/pull/16279).
var publishedLatency = []struct {
	platform string
	nanos    float64
}{{ebs, 334e3}, {nvme, 103e3}}

const srcLatency = "https://github.com/apache/lucene/pull/16279 (neoremind, 2026-07-08: fio, 4KiB random reads, QD=1)"

// A publishedSet is the figures of one platform, regime and thread count:
// one ordering of their strategies.
type publishedSet struct {
	regime   schema.Cache
	platform string
	threads  int
	source   string
	figures  []publishedFigure // fastest first
}

func publishedSets(regime schema.Cache) []publishedSet {
	var sets []publishedSet
	for _, f := range publishedFigures {
		if f.regime != regime {
			continue
		}
		i := slices.IndexFunc(sets, func(s publishedSet) bool { return s.platform == f.platform && s.threads == f.threads })
		if i < 0 {
			sets = append(sets, publishedSet{regime: f.regime, platform: f.platform, threads: f.threads, source: f.source})
			i = len(sets) - 1
		}
		sets[i].figures = append(sets[i].figures, f)
	}
	for i := range sets {
		slices.SortStableFunc(sets[i].figures, func(a, b publishedFigure) int { return cmp.Compare(b.opsPerMs, a.opsPerMs) })
	}
	return sets
}

// label names the set in a sentence: "their EBS io2 (EC2 c5.4xlarge)".
func (s publishedSet) label() string {
	if s.platform == unnamedPlatform {
		return "their figures in the note (platform not named)"
	}
	return "their " + s.platform
}

// ordering is a set's strategies fastest first with their figures:
// "mmap NORMAL 37 ≈ mmap RANDOM 37 > … > pread 22", ≈ where two neighbours
// are within the tie.
func (s publishedSet) ordering() string {
	var b strings.Builder
	for i, f := range s.figures {
		if i > 0 {
			if s.figures[i-1].opsPerMs/f.opsPerMs <= 1+Tie {
				b.WriteString(" ≈ ")
			} else {
				b.WriteString(" > ")
			}
		}
		fmt.Fprintf(&b, "%s %s", f.strategy.name, trim(f.opsPerMs))
	}
	return b.String()
}

// A luceneEntry is one strategy's row in one device × regime × threads.
type luceneEntry struct {
	strategy luceneStrategy
	row      *schema.Row
	ns       float64 // median time per read
}

// A luceneGrid is one device's rows, by regime and goroutines.
type luceneGrid struct {
	run     LuceneRun
	size    int64
	threads []int
	caches  []schema.Cache
	entries map[luceneKey]map[string]*luceneEntry // by strategy name
}

type luceneKey struct {
	cache   schema.Cache
	threads int
}

// luceneGridOf gathers a run's 16KiB random BenchmarkRead rows of the
// largest file (the profile has one), by strategy; nil without such rows.
func luceneGridOf(run LuceneRun) *luceneGrid {
	g := &luceneGrid{run: run, entries: map[luceneKey]map[string]*luceneEntry{}}
	rows := run.Results.Select("Read", schema.Keys{"pattern": "rand", "bs": schema.FormatSize(luceneReadSize)})
	for _, r := range rows {
		if c, ok := r.Case(); ok {
			g.size = max(g.size, c.Size)
		}
	}
	for _, r := range rows {
		c, ok := r.Case()
		if !ok || c.Size != g.size || c.Shared || c.Sync != 0 {
			continue
		}
		i := slices.IndexFunc(luceneStrategies, func(s luceneStrategy) bool { return s.matches(c) })
		if i < 0 {
			continue
		}
		ns, ok := medianMeasured(r)
		if !ok {
			continue // skipped in every invocation: no row
		}
		k := luceneKey{c.Cache, c.Threads}
		if g.entries[k] == nil {
			g.entries[k] = map[string]*luceneEntry{}
		}
		g.entries[k][luceneStrategies[i].name] = &luceneEntry{strategy: luceneStrategies[i], row: r, ns: ns}
		addOnce(&g.threads, c.Threads)
		addOnce(&g.caches, c.Cache)
	}
	if len(g.entries) == 0 {
		return nil
	}
	slices.Sort(g.threads)
	slices.SortFunc(g.caches, func(a, b schema.Cache) int { return cmp.Compare(a.Order(), b.Order()) })
	return g
}

// ranked is a grid point's strategies, the fastest (highest ops/ms) first.
func (g *luceneGrid) ranked(k luceneKey) []*luceneEntry {
	var es []*luceneEntry
	for _, s := range luceneStrategies {
		if e := g.entries[k][s.name]; e != nil {
			es = append(es, e)
		}
	}
	slices.SortStableFunc(es, func(a, b *luceneEntry) int { return cmp.Compare(a.ns, b.ns) })
	return es
}

// versus decides a against b (a's time ÷ b's, decide's rule).
func versus(a, b *luceneEntry) Comparison { return decide(measured(a.row, b.row)) }

// throughputWords is a's throughput against pread's: "1.52× (p<0.001)",
// "level (0.97×, p=0.412)"; "–" for pread itself or without a pread row.
func throughputWords(e, pread *luceneEntry) string {
	if pread == nil || e == pread {
		return "–"
	}
	c := versus(e, pread)
	if c.Outcome == level {
		return fmt.Sprintf("level (%.2f×, %s)", 1/c.Ratio, pWords(c.P))
	}
	return fmt.Sprintf("%.2f× (%s)", 1/c.Ratio, pWords(c.P))
}

// deviceName is a run's device as its config lines say (bench-dir-device,
// bench-dir-fs), or its file's suffix.
func (g *luceneGrid) deviceName() string {
	dev, fs := g.run.Results.ConfigValue("bench-dir-device"), g.run.Results.ConfigValue("bench-dir-fs")
	switch {
	case dev != "" && fs != "":
		return fmt.Sprintf("%s (%s on %s)", g.run.Device, fs, dev)
	case dev != "":
		return fmt.Sprintf("%s (%s)", g.run.Device, dev)
	}
	return g.run.Device
}

func luceneRegimeName(c schema.Cache) string {
	for _, r := range luceneRegimes {
		if r.cache == c {
			return r.lucene
		}
	}
	return c.String()
}

// luceneRegimeLabel is a regime with Lucene's name for it when that
// differs: "mem:1 (memory pressure (file ≈ memory))", "warm".
func luceneRegimeLabel(c schema.Cache) string {
	if n := luceneRegimeName(c); n != c.String() {
		return fmt.Sprintf("%s (Lucene's %s)", c, n)
	}
	return c.String()
}

// writeLucene writes the Lucene comparison when the report looked for its
// files (in.Lucene not nil): a missing file is named with the command
// that makes it.
func writeLucene(p printer, in Input) {
	if in.Lucene == nil {
		return
	}
	p("## A real-world check: Lucene's random-read benchmark\n\n")
	p("Lucene's RandomReadIOBenchmark (apache/lucene issue 16044, pull request 16279) in our terms: one of its ops is %d random %s reads, one of ours is one read, so Lucene's ops/ms = 10⁶ ÷ (%d × our ns per read) (our ns/op under RunParallel is wall time per op over all goroutines: total throughput, as JMH's ops/ms). Strategies: mmap NORMAL = backend=mmap/access=view/advice=none; mmap RANDOM = advice=rand; each + batched WILLNEED = prefetch=batch%d (madvise WILLNEED on the next %d reads' pages, then the reads: Lucene's batched prefetch); pread = backend=pread/access=copy/advice=none, + batched WILLNEED = posix_fadvise WILLNEED on the next %d ranges first; O_DIRECT pread = access=direct. Regimes: warm, mem:1 (the file ≈ a memory cgroup's limit: Lucene's memory pressure), mem:2 (the file 2× the limit: Lucene's many cold). Each strategy's throughput ÷ pread's is decided as the map's cells are: %s and the ratio is beyond the %.0f%% tie, else **level**. p99 is per read.\n\n",
		readsPerLuceneOp, schema.FormatBytes(luceneReadSize), readsPerLuceneOp, readsPerLuceneOp, readsPerLuceneOp, readsPerLuceneOp, testWords, 100*Tie)
	var grids []*luceneGrid
	for _, run := range in.Lucene {
		if run.Results == nil {
			p("**%s:** no %s: this device's half is not measured (`make bench-lucene` writes it).\n\n", run.Device, run.File)
			continue
		}
		g := luceneGridOf(run)
		if g == nil {
			p("**%s:** %s has no 16KiB random BenchmarkRead rows of the lucene profile (`make bench-lucene` writes them).\n\n", run.Device, run.File)
			continue
		}
		grids = append(grids, g)
	}
	for _, g := range grids {
		writeLuceneGrid(p, g)
	}
	writePublished(p, grids)
}

// writeLuceneGrid writes one device's tables, one per regime, and what
// its own rows say about the device.
func writeLuceneGrid(p printer, g *luceneGrid) {
	p("### %s: %s file\n\n", g.deviceName(), schema.FormatBytes(float64(g.size)))
	p("%s\n\n", deviceLatencyWords(g))
	for _, reg := range luceneRegimes {
		if !slices.Contains(g.caches, reg.cache) {
			p("**%s, %s:** no rows in %s", g.run.Device, reg.cache, g.run.File)
			if isPressure(reg.cache) {
				p(" (a pressure row is skipped, with the reason on the run's stderr, where the harness cannot place the limit or the limit does not press: no root, no memory controller, a limit the file's pages escape)")
			}
			p(".\n\n")
		}
	}
	for _, c := range g.caches {
		t := (&Table{}).Right("goroutines", "#").Left("strategy").Right("Lucene ops/ms", "time per read").Left("throughput ÷ pread's").Right("p99 per read", "device bytes per read")
		for _, th := range g.threads {
			k := luceneKey{c, th}
			es := g.ranked(k)
			pread := g.entries[k][preadPlain.name]
			for i, e := range es {
				t.Row(fmt.Sprint(th), fmt.Sprint(i+1), e.strategy.name, threeDigits(luceneOpsPerMs(e.ns)), schema.FormatNanos(e.ns), throughputWords(e, pread),
					metric(e.row, schema.IPCP99, schema.FormatNanos), metric(e.row, schema.DeviceBytes, schema.FormatBytes))
			}
			for _, s := range luceneStrategies {
				if g.entries[k][s.name] == nil {
					t.Row(fmt.Sprint(th), "–", s.name, "not run", "–", "–", "–", "–")
				}
			}
		}
		p("**%s, %s:** %s. %s\n\n%s\n", g.run.Device, luceneRegimeLabel(c), g.regimeWords(c), luceneSentences(g, c), t)
	}
}

// regimeWords describes a regime of the grid as the map does, with what
// the pressure rows measured resident.
func (g *luceneGrid) regimeWords(c schema.Cache) string {
	w := machineOf(newResults(g.run.Results)).words(c.String(), g.size)
	if med, lo, hi, ok := g.resident(c); ok {
		w += fmt.Sprintf("; median resident-frac %.2f (rows %.2f–%.2f, O_DIRECT's left out)", med, lo, hi)
	}
	return w
}

// resident is the median, least and most of the median resident-frac of
// the pressure rows of state c. O_DIRECT reads bypass the page cache:
// what its rows leave resident says nothing about the regime.
func (g *luceneGrid) resident(c schema.Cache) (med, lo, hi float64, ok bool) {
	if !isPressure(c) {
		return 0, 0, 0, false
	}
	var meds []float64
	for k, es := range g.entries {
		if k.cache != c {
			continue
		}
		for _, e := range es {
			if v, ok := e.row.Median(schema.ResidentFrac); ok && e.strategy != oDirect {
				meds = append(meds, v)
			}
		}
	}
	if len(meds) == 0 {
		return 0, 0, 0, false
	}
	return schema.Center(meds), slices.Min(meds), slices.Max(meds), true
}

// luceneSentences say, per goroutine count, the order's head and what
// batched WILLNEED did to mmap RANDOM and pread, from the rows.
func luceneSentences(g *luceneGrid, c schema.Cache) string {
	var ss []string
	for _, th := range g.threads {
		k := luceneKey{c, th}
		es := g.ranked(k)
		if len(es) == 0 {
			continue
		}
		s := fmt.Sprintf("At %s the fastest is %s (%s ops/ms)", threadsWords(th), es[0].strategy.name, threeDigits(luceneOpsPerMs(es[0].ns)))
		if len(es) > 1 {
			cmp := versus(es[0], es[1])
			if cmp.Outcome == level {
				s += fmt.Sprintf(", level with %s (%s)", es[1].strategy.name, cmpWords(cmp))
			} else {
				s += fmt.Sprintf(", %.2f× the next, %s (%s)", 1/cmp.Ratio, es[1].strategy.name, cmpWords(cmp))
			}
		}
		for _, pair := range [][2]luceneStrategy{{mmapRandomBatch, mmapRandom}, {preadBatch, preadPlain}} {
			a, b := g.entries[k][pair[0].name], g.entries[k][pair[1].name]
			if a == nil || b == nil {
				continue
			}
			cmp := versus(a, b)
			s += fmt.Sprintf("; batched WILLNEED makes %s %s", pair[1].name, batchWords(cmp))
		}
		ss = append(ss, s+".")
	}
	return strings.Join(ss, " ")
}

// batchWords says what a batch did: "1.80× faster (×0.56, p=0.001)".
func batchWords(c Comparison) string {
	switch c.Outcome {
	case win:
		return fmt.Sprintf("%.2f× faster (%s)", 1/c.Ratio, cmpWords(c))
	case lose:
		return fmt.Sprintf("%.2f× slower (%s)", c.Ratio, cmpWords(c))
	}
	return fmt.Sprintf("neither faster nor slower: level (%s)", cmpWords(c))
}

// cmpWords is a decision's time ratio and p-value: "×0.56, p=0.001".
func cmpWords(c Comparison) string { return fmt.Sprintf("×%.2f, %s", c.Ratio, pWords(c.P)) }

// threadWords counts their threads: "1 thread", "8 threads".
func threadWords(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", n)
}

// deviceLatencyWords is the device's time per 16KiB read with nothing in
// the page cache and one read in flight: the O_DIRECT row at the fewest
// goroutines (its p50 where the row is timed per op, else its median
// ns/op), beside their devices' published latency.
func deviceLatencyWords(g *luceneGrid) string {
	lat, th, what, row := deviceLatency(g)
	if row == nil {
		return "No O_DIRECT row: the device's own latency per read is not measured here."
	}
	var theirs []string
	for _, l := range publishedLatency {
		theirs = append(theirs, fmt.Sprintf("%s %s (%s× ours)", l.platform, schema.FormatNanos(l.nanos), trim(l.nanos/lat)))
	}
	s := fmt.Sprintf("The device's latency per %s read, bypassing the page cache: %s (O_DIRECT pread, %s, %s, %s). Lucene's devices, quoted (fio, 4KiB reads at queue depth 1, %s): %s.",
		schema.FormatBytes(luceneReadSize), schema.FormatNanos(lat), what, threadsWords(th), row.Key("cache"), srcLatency, strings.Join(theirs, ", "))
	if par, many, ok := deviceParallelism(g, row); ok {
		s += fmt.Sprintf(" With %s its O_DIRECT reads take %s each in total throughput against %s with one: the device serves about %s reads at once.",
			threadsWords(many), schema.FormatNanos(par.ns), schema.FormatNanos(par.one), trim(par.one/par.ns))
	}
	return s
}

// parallelReads is an O_DIRECT row's time per read at one goroutine and
// at the most goroutines, in the same regime.
type parallelReads struct{ one, ns float64 }

// deviceParallelism compares the O_DIRECT rows of row's regime at 1 and
// at the most goroutines: how many reads the device serves at once.
func deviceParallelism(g *luceneGrid, row *schema.Row) (parallelReads, int, bool) {
	c, _ := row.Case()
	one := g.entries[luceneKey{c.Cache, 1}][oDirect.name]
	many := g.threads[len(g.threads)-1]
	e := g.entries[luceneKey{c.Cache, many}][oDirect.name]
	if one == nil || e == nil || many == 1 {
		return parallelReads{}, 0, false
	}
	return parallelReads{one: one.ns, ns: e.ns}, many, true
}

func hasMedian(r *schema.Row, u schema.Unit) bool {
	_, ok := r.Median(u)
	return ok
}

// nearestThreads is the goroutine count of ours closest to theirs on a
// log scale, the larger on a tie (their T08 is compared with our 16: both
// are beyond this machine's CPUs).
func nearestThreads(ours []int, theirs int) int {
	best := 0
	for _, th := range ours {
		d := math.Abs(math.Log2(float64(th)) - math.Log2(float64(theirs)))
		if bd := math.Abs(math.Log2(float64(best)) - math.Log2(float64(theirs))); best == 0 || d < bd || (d == bd && th > best) {
			best = th
		}
	}
	return best
}

// A pairVerdict is how one pair of strategies compares there and here.
type pairVerdict struct {
	faster, slower luceneStrategy // as they published them (faster first)
	theirRatio     float64        // their ops/ms ratio, faster ÷ slower
	levelThere     bool           // their figures within the tie
	ours           Comparison     // faster's time ÷ slower's, here
}

func (v pairVerdict) agrees() bool   { return !v.levelThere && v.ours.Outcome == win }
func (v pairVerdict) reversed() bool { return !v.levelThere && v.ours.Outcome == lose }

// comparePublished sets a published ordering against our rows at the
// nearest goroutine count: each pair of strategies both measured.
func comparePublished(g *luceneGrid, s publishedSet) (th int, vs []pairVerdict, missing []string) {
	th = nearestThreads(g.threads, s.threads)
	k := luceneKey{s.regime, th}
	for _, f := range s.figures {
		if g.entries[k][f.strategy.name] == nil {
			missing = append(missing, f.strategy.name)
		}
	}
	for i, a := range s.figures {
		for _, b := range s.figures[i+1:] {
			ea, eb := g.entries[k][a.strategy.name], g.entries[k][b.strategy.name]
			if ea == nil || eb == nil {
				continue
			}
			vs = append(vs, pairVerdict{faster: a.strategy, slower: b.strategy, theirRatio: a.opsPerMs / b.opsPerMs,
				levelThere: a.opsPerMs/b.opsPerMs <= 1+Tie, ours: versus(ea, eb)})
		}
	}
	return th, vs, missing
}

// writePublished writes Lucene's published orderings, labelled as
// quoted, and per regime and device how ours agrees, with the device
// facts from our rows that bear on a difference.
func writePublished(p printer, grids []*luceneGrid) {
	if len(grids) > 0 {
		p("### Lucene's published orderings beside ours\n\n")
	} else {
		p("### Lucene's published orderings (none of ours to set beside them)\n\n")
	}
	p("The figures below are **quoted from Lucene's authors, not measured here** (ops/ms, op = 16 random 16KiB reads, JMH; their platforms: 16 vCPUs, 32G RAM, files of 16G, 32G and 64G). ≈ joins figures within the %.0f%% tie.\n\n", 100*Tie)
	t := (&Table{}).Left("regime", "their platform").Right("threads").Left("their ordering (ops/ms)", "source")
	for _, reg := range luceneRegimes {
		sets := publishedSets(reg.cache)
		if len(sets) == 0 {
			t.Row(luceneRegimeLabel(reg.cache), "–", "–", "no published figures found in a source we could cite", "–")
		}
		for _, s := range sets {
			t.Row(luceneRegimeLabel(reg.cache), s.platform, fmt.Sprint(s.threads), s.ordering(), s.source)
		}
	}
	p("%s\n", t)
	for _, reg := range luceneRegimes {
		sets := publishedSets(reg.cache)
		for _, g := range grids {
			if !slices.Contains(g.caches, reg.cache) {
				continue
			}
			if len(sets) == 0 {
				p("**%s, %s.** No published ordering to compare with: ours stands alone (the table above). %s\n\n", g.run.Device, reg.cache, explainWords(g, reg.cache))
				continue
			}
			var ss []string
			for _, s := range sets {
				ss = append(ss, agreementWords(g, s))
			}
			ss = append(ss, pressedInstead(g, reg.cache, sets)...)
			p("**%s, %s.** %s %s\n\n", g.run.Device, reg.cache, strings.Join(ss, " "), explainWords(g, reg.cache))
		}
		if w := crossDeviceWords(grids, reg.cache); w != "" {
			p("%s\n\n", w)
		}
	}
}

// unpressed is the share resident at or above which a pressure state did
// not press: the limit held (almost) the whole file.
const unpressed = 0.98

// pressedInstead: their pressure case had a file 1.1× the memory left by
// the JVM and the OS; our mem:1 puts the file at the limit with nothing
// else using it, and when the limit held (almost) all of it the rows are
// warm ones under another name. Then their pressure figures are also set
// beside our next pressure state that evicts (mem:2), saying why.
func pressedInstead(g *luceneGrid, c schema.Cache, sets []publishedSet) []string {
	med, _, _, ok := g.resident(c)
	if n, pressed := c.IsPressure(); !pressed || n != 1 || !ok || med < unpressed {
		return nil
	}
	next := schema.Pressure(2)
	if med2, _, _, ok := g.resident(next); !ok || med2 >= unpressed {
		return nil
	}
	ss := []string{fmt.Sprintf("Our %v held %.0f%% of the file (the limit did not press: nothing else used the memory, where their JVM and system did), so their pressure figures are also set beside our %v, where it evicts:", c, 100*med, next)}
	for _, s := range sets {
		s.regime = next
		w := agreementWords(g, s)
		ss = append(ss, strings.ToLower(w[:1])+w[1:])
	}
	return ss
}

// agreementWords is one published set against our rows: how many pairs
// agree, which are reversed, which are level here.
func agreementWords(g *luceneGrid, s publishedSet) string {
	th, vs, missing := comparePublished(g, s)
	head := fmt.Sprintf("Against %s at %s, our %s:", s.label(), threadWords(s.threads), threadsWords(th))
	if len(vs) == 0 {
		return fmt.Sprintf("%s no pair of their strategies has both rows here (missing: %s).", head, joinOr(missing, "none"))
	}
	var agree, rev, levelHere, levelThere int
	var revs, lvls []string
	for _, v := range vs {
		switch {
		case v.agrees():
			agree++
		case v.reversed():
			rev++
			revs = append(revs, fmt.Sprintf("%s ahead of %s there (%.2f×), behind it here (%s)", v.faster.name, v.slower.name, v.theirRatio, cmpWords(v.ours)))
		case v.levelThere:
			levelThere++
		default:
			levelHere++
			lvls = append(lvls, fmt.Sprintf("%s and %s (%.2f× there)", v.faster.name, v.slower.name, v.theirRatio))
		}
	}
	noun := "pairs"
	if len(vs) == 1 {
		noun = "pair"
	}
	s2 := fmt.Sprintf("%s of %d %s, %d in the same order", head, len(vs), noun, agree)
	if rev > 0 {
		s2 += fmt.Sprintf(", %d reversed (%s)", rev, strings.Join(revs, "; "))
	}
	if levelHere > 0 {
		s2 += fmt.Sprintf(", %d level here but apart there (%s)", levelHere, strings.Join(lvls, "; "))
	}
	if levelThere > 0 {
		s2 += fmt.Sprintf(", %d within the tie there", levelThere)
	}
	s2 += "."
	if len(missing) > 0 {
		s2 += fmt.Sprintf(" Not run here: %s.", strings.Join(missing, ", "))
	}
	return s2
}

// explainWords are the facts of our rows that bear on a difference from
// theirs in regime c: how many bytes each strategy reads from the device
// per read (read-around, a batch's hints), and the other device's
// fastest strategy when both devices ran it.
func explainWords(g *luceneGrid, c schema.Cache) string {
	var ss []string
	th := g.threads[len(g.threads)-1]
	var dev []string
	for _, e := range g.ranked(luceneKey{c, th}) {
		if v, ok := e.row.Median(schema.DeviceBytes); ok {
			dev = append(dev, fmt.Sprintf("%s %s", e.strategy.name, schema.FormatBytes(v)))
		}
	}
	if len(dev) > 0 {
		ss = append(ss, fmt.Sprintf("Device bytes per %s read at %s here (dev-B/op; more than %s is read-around or read-ahead the strategy did not ask for): %s.",
			schema.FormatBytes(luceneReadSize), threadsWords(th), schema.FormatBytes(luceneReadSize), strings.Join(dev, ", ")))
	}
	if med, _, _, ok := g.resident(c); ok {
		w := fmt.Sprintf("The limit held a median %.0f%% of the file (resident-frac), so the file was %s× what stayed resident", 100*med, trim(1/med))
		if pr := g.entries[luceneKey{c, th}][preadPlain.name]; pr != nil {
			if v, ok := pr.row.Median(schema.DeviceBytes); ok {
				w += fmt.Sprintf(", and pread at %s read %.0f%% of the bytes it returned from the device", threadsWords(th), 100*v/luceneReadSize)
			}
		}
		for _, pp := range publishedPressure {
			if pp.regime == c {
				w += fmt.Sprintf("; their case was %s (quoted, %s): %s× what memory holds", pp.words, pp.source, trim(pp.ratio))
			}
		}
		ss = append(ss, w+".")
	}
	return strings.Join(ss, " ")
}

// deviceLatency is the grid's O_DIRECT time per read with one read in
// flight (deviceLatencyWords' figure), and the row it comes from; a nil
// row without an O_DIRECT row.
func deviceLatency(g *luceneGrid) (nanos float64, threads int, what string, row *schema.Row) {
	var best *luceneEntry
	for _, c := range g.caches {
		for _, th := range g.threads {
			e := g.entries[luceneKey{c, th}][oDirect.name]
			if e == nil {
				continue
			}
			// The fewest goroutines, then a row timed per op (p50).
			if best == nil || th < threads || (th == threads && hasMedian(e.row, schema.IPCP50) && !hasMedian(best.row, schema.IPCP50)) {
				best, threads = e, th
			}
		}
	}
	if best == nil {
		return 0, 0, "", nil
	}
	if v, ok := best.row.Median(schema.IPCP50); ok {
		return v, threads, "p50", best.row
	}
	return best.ns, threads, "median time per read", best.row
}

// crossDeviceWords sets the devices side by side in regime c: their
// latency per read and each one's fastest strategy at the most
// goroutines both ran.
func crossDeviceWords(grids []*luceneGrid, c schema.Cache) string {
	var have []*luceneGrid
	for _, g := range grids {
		if slices.Contains(g.caches, c) {
			have = append(have, g)
		}
	}
	if len(have) < 2 {
		return ""
	}
	var lat, par, fastest []string
	th := 0
	for _, t := range have[0].threads {
		if slices.Contains(have[1].threads, t) {
			th = t
		}
	}
	for _, g := range have {
		if v, _, _, row := deviceLatency(g); row != nil {
			lat = append(lat, fmt.Sprintf("%s %s", g.run.Device, schema.FormatNanos(v)))
			if pr, _, ok := deviceParallelism(g, row); ok {
				par = append(par, fmt.Sprintf("%s %s", g.run.Device, trim(pr.one/pr.ns)))
			}
		}
		if es := g.ranked(luceneKey{c, th}); len(es) > 0 && th > 0 {
			fastest = append(fastest, fmt.Sprintf("%s %s (%s ops/ms)", g.run.Device, es[0].strategy.name, threeDigits(luceneOpsPerMs(es[0].ns))))
		}
	}
	s := fmt.Sprintf("**Between the devices, %s.**", c)
	if len(lat) == 2 {
		s += fmt.Sprintf(" Latency per read bypassing the cache: %s.", strings.Join(lat, ", "))
	}
	if len(par) == 2 {
		s += fmt.Sprintf(" O_DIRECT reads served at once: %s.", strings.Join(par, ", "))
	}
	if len(fastest) == 2 {
		s += fmt.Sprintf(" Fastest at %s: %s.", threadsWords(th), strings.Join(fastest, "; "))
	}
	return s
}
