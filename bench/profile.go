//go:build linux

package bench

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// A profile is one set of axes for the file benchmarks; readCases,
// writeCases and readersCases expand it.
type profile struct {
	name          string
	sizes, blocks []int64
	patterns      []schema.Pattern
	caches        []schema.Cache
	advice        []schema.Advice // the first is the baseline every other is varied against
	threads       []int
	adviceBlocks  []int64 // advice other than none only at these block sizes
	adviceCold    bool    // advice other than none only for cold random reads
	threadsBlocks []int64 // threads other than 1 only at these block sizes
	syncEvery     []int
	writeBlocks   []int64
	writeCaches   []schema.Cache
	writePatterns []schema.Pattern
	writeSizes    []int64 // sizes of the write cases; all sizes when nil
	sizesGiven    bool    // -sizes replaced the profile's sizes
	// largeColdSeq, when set, restricts cold sequential reads of the sizes
	// in it to these block sizes: the quick profile's large file is there
	// for the regimes the small one cannot show (warm beyond the LLC, cold
	// beyond read-around), at the least cost.
	largeColdSeq map[int64][]int64
	// coldSizes, when set, are the only file sizes read cold: the quick
	// profile's small file is two read-ahead windows of this VM's disk,
	// which read-around covers, so its cold rows only ever printed under
	// the report's "read-around covers the file" (not used by any rule);
	// leaving them out keeps make bench within its 3 minutes.
	coldSizes []int64
	// prefetches is the read cases' prefetch axis (nil: none only).
	prefetches []schema.Prefetch
	// rotate rotates the order of the backends within each group of
	// compared cases by this many places (see groupCases).
	rotate int
	// why says, for stderr, where each default size came from.
	why []string
	// mapSlice, when set, adds the decision map's slice to the read
	// cases at the profile's largest file: zipf:0.99 4KiB reads, warm and
	// 50% resident (the hottest blocks), mmap in place and pread, random
	// advice, so that make bench keeps a partial-residency and a skewed
	// row in its 3 minutes (make bench-map has the whole grid).
	mapSlice bool
	// readAhead is the bench directory's device read-ahead window (0
	// when unknown or none): the map leaves out the rows whose
	// goroutines' read-around alone would overflow a memory limit.
	readAhead int64
}

// Quick-profile sizes come from the machine: the small file is half the
// last-level cache (warm reads of it are cache hits), the large one at least
// largeLLCFactor LLCs (warm reads come from memory) and largeReadAheadWindows
// read-ahead windows (a cold random read's read-around brings in a small
// part of it). Fallbacks where sysfs says nothing are today's typical
// values, printed as such.
const (
	largeLLCFactor        = 8
	largeReadAheadWindows = 32
	fallbackLLC           = 32 << 20
	fallbackReadAhead     = 128 << 10 // the kernel's default read_ahead_kb
	minLargeFile          = 64 << 20
)

var (
	bothPatterns = []schema.Pattern{schema.Seq, schema.Rand}
	bothCaches   = []schema.Cache{schema.Warm, schema.Cold}
)

// loadProfile expands the named profile for the machine, with sizes (a
// comma-separated list, "" for the profile's own) replacing its file sizes.
// dir is the bench directory, whose device's read-ahead sizes the large file.
func loadProfile(name, sizes, dir string) (profile, error) {
	var p profile
	switch name {
	case "quick":
		small, large, why := quickSizes(dir)
		p = profile{
			sizes: []int64{small, large}, blocks: []int64{4 << 10, 1 << 20},
			patterns: bothPatterns, caches: bothCaches,
			// MADV_RANDOM and FADV_RANDOM beside default advice where they
			// matter: cold random 4KiB reads, where a mapping's default
			// read-around reads a whole window per fault.
			advice:       []schema.Advice{schema.AdviceNone, schema.AdviceRand},
			adviceBlocks: []int64{4 << 10}, adviceCold: true,
			threads:   []int{1},
			syncEvery: []int{64}, writeBlocks: []int64{4 << 10},
			writeCaches: []schema.Cache{schema.Warm}, writePatterns: []schema.Pattern{schema.Seq},
			writeSizes: []int64{small}, largeColdSeq: map[int64][]int64{large: {1 << 20}}, why: why,
			mapSlice: true, coldSizes: []int64{large},
		}
	case "full":
		p = profile{
			sizes:    []int64{16 << 20, 1 << 30, 4 << 30},
			blocks:   []int64{64, 512, 4 << 10, 64 << 10, 512 << 10, 1 << 20, 2 << 20, 8 << 20},
			patterns: bothPatterns, caches: bothCaches,
			advice: []schema.Advice{schema.AdviceNone, schema.AdviceSeq, schema.AdviceRand,
				schema.AdviceWillNeed, schema.AdvicePopulate, schema.AdviceHugePage},
			threads:      dedup([]int{1, 2, runtime.GOMAXPROCS(0)}),
			adviceBlocks: []int64{4 << 10, 1 << 20}, threadsBlocks: []int64{4 << 10, 1 << 20},
			syncEvery: []int{1, 64}, writeBlocks: []int64{4 << 10, 1 << 20},
			writeCaches: bothCaches, writePatterns: bothPatterns,
		}
	case "map":
		// The decision map's grid (issue 14), BenchmarkRead only: the
		// quick profile's large file, beyond the LLC (warm reads come
		// from memory) and beyond read-around, where the regimes differ.
		_, large, why := quickSizes(dir)
		p = profile{
			sizes: []int64{large}, blocks: []int64{4 << 10, 64 << 10},
			patterns: []schema.Pattern{schema.Rand, schema.Zipf(schema.DefaultTheta)},
			caches: []schema.Cache{schema.Warm, schema.Partial(90), schema.Partial(50),
				schema.Pressure(2), schema.Pressure(8), schema.Cold},
			advice:  []schema.Advice{schema.AdviceNone, schema.AdviceRand},
			threads: []int{1, 16}, prefetches: []schema.Prefetch{schema.NoPrefetch, schema.Batch(schema.DefaultBatch)},
			// why's last two lines are the small file's and the large
			// one's; the small file is not in this profile.
			why: slices.Delete(why, len(why)-2, len(why)-1),
		}
		if ra, err := ReadAheadBytes(dir); err == nil && ra > 0 {
			p.readAhead = ra
		}
	case "lucene":
		// Lucene's random-read benchmark (apache/lucene#16044, #16279)
		// in our terms: 16KiB random reads, each 16 of them one of
		// Lucene's ops; the file warm, about the memory limit, and twice
		// it; 1, 4 and 16 goroutines; the strategies of lucenesCases.
		_, large, why := quickSizes(dir)
		p = profile{
			sizes: []int64{large}, blocks: []int64{16 << 10},
			patterns: []schema.Pattern{schema.Rand},
			caches:   []schema.Cache{schema.Warm, schema.Pressure(1), schema.Pressure(2)},
			advice:   []schema.Advice{schema.AdviceNone, schema.AdviceRand},
			threads:  []int{1, 4, 16}, prefetches: []schema.Prefetch{schema.NoPrefetch, schema.Batch(schema.DefaultBatch)},
			why: slices.Delete(why, len(why)-2, len(why)-1),
		}
	default:
		return p, fmt.Errorf("bench: -profile %q: want quick, full, map or lucene", name)
	}
	p.name = name
	if sizes != "" {
		p.sizes, p.writeSizes, p.largeColdSeq, p.coldSizes, p.why, p.sizesGiven = nil, nil, nil, nil, nil, true
		largest := slices.Max(append(slices.Clone(p.blocks), p.writeBlocks...))
		for _, s := range strings.Split(sizes, ",") {
			n, err := schema.ParseSize(s)
			switch {
			case err != nil:
				return p, fmt.Errorf("bench: -sizes %q: %v", sizes, err)
			case n <= 0:
				return p, fmt.Errorf("bench: -sizes %q: %q is not a positive size", sizes, s)
			case n < largest || n%largest != 0:
				return p, fmt.Errorf("bench: -sizes %q: %s is not a multiple of %s, the %s profile's largest block size: every block size must divide the file", sizes, s, schema.FormatSize(largest), name)
			}
			p.sizes = append(p.sizes, n)
		}
	}
	return p, nil
}

// quickSizes derives the quick profile's two file sizes from the machine:
// powers of two, the small one half the LLC (at least 4MiB), the large one
// at least largeLLCFactor × LLC, largeReadAheadWindows × read-ahead and
// minLargeFile. why says where they came from.
func quickSizes(dir string) (small, large int64, why []string) {
	llc, err := LLCSize()
	if err != nil {
		why = append(why, fmt.Sprintf("LLC size unknown (%v): assuming %s", err, schema.FormatSize(fallbackLLC)))
		llc = fallbackLLC
	}
	ra, err := ReadAheadBytes(dir)
	switch {
	case err != nil:
		why = append(why, fmt.Sprintf("read-ahead unknown (%v): assuming %s", err, schema.FormatSize(fallbackReadAhead)))
		ra = fallbackReadAhead
	case ra <= 0:
		ra = 0 // no block device: no read-around to outgrow
	}
	small = max(4<<20, floorPow2(llc/2))
	large = max(ceilPow2(largeLLCFactor*llc), ceilPow2(largeReadAheadWindows*ra), minLargeFile)
	why = append(why,
		fmt.Sprintf("%s: half the %s last-level cache (warm reads are cache hits)", schema.FormatSize(small), schema.FormatSize(llc)),
		fmt.Sprintf("%s: %d× the LLC (warm reads come from memory) and %d read-ahead windows of %s (cold random reads are not prefetched by read-around)",
			schema.FormatSize(large), large/llc, large/max(ra, 1), schema.FormatSize(ra)))
	return small, large, why
}

func floorPow2(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

func ceilPow2(n int64) int64 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len64(uint64(n-1))
}

func dedup(xs []int) []int {
	slices.Sort(xs)
	return slices.Compact(xs)
}

func backendNames() []string {
	var names []string
	for _, be := range impl.Backends() {
		names = append(names, be.Name)
	}
	return names
}

// mustLookup returns a backend that impl.Backends listed.
func mustLookup(name string) impl.Backend {
	be, err := impl.Lookup(name)
	if err != nil {
		panic(err) // the name came from impl.Backends
	}
	return be
}

// readCases expands the profile for reads: every backend and access mode,
// with advice and concurrency varied one at a time against the baseline
// (advice=none, threads=1), not multiplied together.
func (p profile) readCases() []schema.Case {
	switch p.name {
	case "map":
		return p.mapCases()
	case "lucene":
		return p.luceneCases()
	}
	axes := schema.Axes{
		Backends: backendNames(), Accesses: []schema.Access{schema.Copy, schema.View},
		Patterns: p.patterns, Blocks: p.blocks, Caches: p.caches, Sizes: p.sizes,
		Advice: p.advice, Threads: p.threads,
	}
	cs := axes.Product(func(c schema.Case) bool {
		be := mustLookup(c.Backend)
		cold, seq := c.Cache == schema.Cold, c.Pattern == schema.Seq
		switch {
		case c.BS > c.Size || !caseApplies(be, c):
			return false
		case cold && seq && p.largeColdSeq[c.Size] != nil && !slices.Contains(p.largeColdSeq[c.Size], c.BS):
			return false
		case cold && p.coldSizes != nil && !slices.Contains(p.coldSizes, c.Size):
			return false
		case c.Advice != schema.AdviceNone && c.Threads != 1:
			return false // one axis at a time
		case c.Advice != schema.AdviceNone:
			return slices.Contains(p.adviceBlocks, c.BS) && adviceApplies(be, c.Advice) && (!p.adviceCold || cold && !seq)
		case c.Threads != 1:
			return !cold && slices.Contains(p.threadsBlocks, c.BS)
		}
		return true
	})
	if p.mapSlice {
		slice := schema.Axes{
			Backends: []string{"mmap", "pread"}, Accesses: []schema.Access{schema.Copy, schema.View},
			Patterns: []schema.Pattern{schema.Zipf(schema.DefaultTheta)}, Blocks: []int64{4 << 10},
			Caches: []schema.Cache{schema.Warm, schema.Partial(50)}, Sizes: []int64{slices.Max(p.sizes)},
			Advice: []schema.Advice{schema.AdviceRand},
		}
		cs = append(cs, slice.Product(func(c schema.Case) bool { return (c.Backend == "mmap") == (c.Access == schema.View) })...)
	}
	return p.groupCases(cs)
}

// mapCases expands the map profile: every regime (cache state), pattern,
// prefetch, goroutine count and block size crossed, each with the
// setups a user chooses between (a mapping read in place and pread into a
// buffer, each with default and random advice), all at one file size.
// Warm rows have prefetch and 16 goroutines too: what a hint costs when
// everything is resident, and the map has no empty cell.
//
// mmap with default advice at threads=16 is left out of the cold and
// partial regimes (under memory pressure there is no state to restore): RunParallel's first stretch gives every goroutine an
// op, and 16 faults with read-around (an 8MiB window each on this VM's
// disk) bring in about half of a 256MiB file before the state is restored,
// far beyond a cold stretch's 5% or a partial one's 2 points; nor does it
// skip the row, as Run does, so the row would carry a regime it did not
// have. At threads=1 they stay in: Run sizes each stretch from the last
// one's device bytes per op and skips a row whose first read moves the
// residency by more than 2 points, with the reason; that line is the
// record.
func (p profile) mapCases() []schema.Case {
	axes := schema.Axes{
		Backends: []string{"mmap", "pread"}, Accesses: []schema.Access{schema.Copy, schema.View},
		Patterns: p.patterns, Blocks: p.blocks, Caches: p.caches, Sizes: p.sizes,
		Advice: p.advice, Threads: p.threads, Prefetches: p.prefetches,
	}
	return p.groupCases(axes.Product(func(c schema.Case) bool {
		warm := c.Cache == schema.Warm
		switch {
		case c.BS > c.Size:
			return false
		case (c.Backend == "mmap") != (c.Access == schema.View):
			return false // the mapping read in place, the descriptor with a copy
		case c.Threads != 1 && c.Backend == "mmap" && c.Advice == schema.AdviceNone && !warm && !pressed(c):
			return false // see above: the regime would not hold
		case c.Threads != 1 && c.Backend == "mmap" && c.Advice == schema.AdviceNone && p.readAroundOverflows(c):
			return false // see above: it measures its own thrash
		}
		return true
	}))
}

func pressed(c schema.Case) bool { _, ok := c.Cache.IsPressure(); return ok }

// readAroundOverflows reports whether, under memory pressure, c's
// goroutines' read-around windows (one per concurrent fault with default
// advice) are more than the limit holds: the row then measures its own
// read-around evicting itself (10 ms per 4KiB op with 16 goroutines and
// 8MiB windows under a 32MiB limit), and go test's b.N ramp, predicting
// from the first fast ops, made one 0.1s sample of it take 76 s here.
func (p profile) readAroundOverflows(c schema.Case) bool {
	n, ok := c.Cache.IsPressure()
	return ok && int64(c.Threads)*p.readAhead > c.Size/int64(n)
}

// luceneCases expands the lucene profile into Lucene's strategies: mmap
// NORMAL (advice=none) and RANDOM (advice=rand), each with and without
// batched WILLNEED (prefetch=batch16: the 16 reads' hints, then the
// reads), pread with and without fadvise(WILLNEED) batches, and O_DIRECT
// pread (access=direct), which has no page cache to prefetch into.
func (p profile) luceneCases() []schema.Case {
	axes := schema.Axes{
		Backends: []string{"mmap", "pread"}, Accesses: []schema.Access{schema.Copy, schema.View, schema.Direct},
		Patterns: p.patterns, Blocks: p.blocks, Caches: p.caches, Sizes: p.sizes,
		Advice: p.advice, Threads: p.threads, Prefetches: p.prefetches,
	}
	return p.groupCases(axes.Product(func(c schema.Case) bool {
		switch {
		case (c.Backend == "mmap") != (c.Access == schema.View):
			return false
		case c.Backend == "pread" && c.Advice != schema.AdviceNone:
			return false
		case c.Access == schema.Direct && c.Prefetch != schema.NoPrefetch:
			return false
		}
		return true
	}))
}

// writeCases expands the profile for writes, with and without Sync.
func (p profile) writeCases(withSync bool) []schema.Case {
	sizes := p.writeSizes
	if sizes == nil {
		sizes = p.sizes
	}
	syncs := []int{0}
	if withSync {
		syncs = p.syncEvery
	}
	axes := schema.Axes{
		Backends: backendNames(), Accesses: []schema.Access{schema.Copy, schema.View},
		Patterns: p.writePatterns, Blocks: p.writeBlocks, Caches: p.writeCaches, Sizes: sizes, Syncs: syncs,
	}
	return p.groupCases(axes.Product(func(c schema.Case) bool {
		return c.BS <= c.Size && caseApplies(mustLookup(c.Backend), c)
	}))
}

// readersCases lists BenchmarkReaders's cases: mmap reading in place and
// pread copying, 4KiB random reads by 1, 4 and 8 readers (full: 1, 2, 4,
// 8, 16), up to four per CPU of the 2-vCPU development machine, where
// concurrency beyond the CPUs' can only come from I/O in flight. The cold
// file is small (a cold pass costs a disk round trip per block), the warm
// one the matrix's 16MiB; -sizes replaces both.
func (p profile) readersCases() ([]schema.Case, error) {
	sizes := map[schema.Cache][]int64{schema.Warm: {16 << 20}, schema.Cold: {2 << 20}}
	advice, counts := []schema.Advice{schema.AdviceRand}, []int{1, 4, 8} // quick: 2 readers left out to keep make bench within 3 minutes
	if p.name == "full" {
		sizes = map[schema.Cache][]int64{schema.Warm: {16 << 20, 1 << 30}, schema.Cold: {2 << 20, 64 << 20}}
		advice, counts = []schema.Advice{schema.AdviceRand, schema.AdviceNone}, []int{1, 2, 4, 8, 16}
	}
	if p.sizesGiven {
		sizes = map[schema.Cache][]int64{schema.Warm: p.sizes, schema.Cold: p.sizes}
	}
	const bs = 4 << 10
	all := slices.Concat(sizes[schema.Warm], sizes[schema.Cold])
	for _, size := range all {
		if size < bs || size%bs != 0 {
			return nil, fmt.Errorf("BenchmarkReaders: size %s: want a multiple of %s", schema.FormatSize(size), schema.FormatSize(bs))
		}
	}
	axes := schema.Axes{
		Backends: []string{"mmap", "pread"}, Accesses: []schema.Access{schema.Copy, schema.View},
		Patterns: []schema.Pattern{schema.Rand}, Blocks: []int64{bs}, Caches: bothCaches,
		Sizes: slices.Compact(slices.Sorted(slices.Values(all))), Advice: advice, Threads: counts,
	}
	cs := axes.Product(func(c schema.Case) bool {
		// The mapping read in place, the descriptor with a copy: as a
		// server's goroutines would use each.
		return (c.Backend == "mmap") == (c.Access == schema.View) && slices.Contains(sizes[c.Cache], c.Size)
	})
	for i := range cs {
		cs[i].Shared = true
	}
	return p.groupCases(cs), nil
}

// groupCases orders the cases so that the rows a comparison sets side by
// side run next to each other: every warm case before any partial one and
// those before any cold one (the
// files are shared by all cases: a cold case evicts them, and a warm case
// after it would have to read up to 4GiB back from the disk first), then
// by file size, pattern, block size, advice, threads and sync, with the
// backends and access modes of one such group adjacent, in an order
// rotated by p.rotate places. On this VM the machine drifts by 10–20%
// within minutes; rows measured seconds apart share the drift, and make
// bench rotates the order between its invocations so that no backend is
// always first after a cold eviction or a file's creation.
func (p profile) groupCases(cs []schema.Case) []schema.Case {
	key := func(c schema.Case) string {
		// Warm first, then partial states by falling residency, memory
		// pressure by rising file ÷ limit, cold last (Cache.Order).
		return fmt.Sprintf("%03d/%020d/%s/%020d/%s/%04d/%04d/%s", c.Cache.Order(), c.Size, c.Pattern, c.BS, c.Advice, c.Threads, c.Sync, c.Prefetch)
	}
	slices.SortStableFunc(cs, func(a, b schema.Case) int { return strings.Compare(key(a), key(b)) })
	for start := 0; start < len(cs); {
		end := start + 1
		for end < len(cs) && key(cs[end]) == key(cs[start]) {
			end++
		}
		g := cs[start:end]
		if r := p.rotate % len(g); r > 0 {
			slices.Reverse(g[:r])
			slices.Reverse(g[r:])
			slices.Reverse(g)
		}
		start = end
	}
	return cs
}
