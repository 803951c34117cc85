//go:build linux

package bench

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// Options are a run's settings that are not keys of its case.
type Options struct {
	// NoConsume skips Consume after a read, for BenchmarkNoConsume only:
	// fio never looks at the bytes it reads, and the cross-check compares
	// like with like. The matrix's reads all consume.
	NoConsume bool
	// AfterOp, when not nil, runs after every operation of a
	// single-goroutine case, inside the timer: the regression gate's
	// injected slowdown (bench's test-only knob). Nil costs one compare.
	AfterOp func()
	// NoLatency turns the per-op latency histogram off where Run would
	// keep one (every cache state but warm): BenchmarkTimingCost runs the
	// same rows with and without it.
	NoLatency bool
}

// Run times c's operations on the run's store of c, one goroutine, with
// b.Loop: the store and its cache state are prepared outside the timer,
// one-shot advice is given at the start of every pass inside it, and cold
// cases are re-evicted (timer stopped, counters paused) after every pass
// and, for cold random reads, after every stretch that brought in
// coldBudget of the file. It reports the OS counters per op, and for the
// rows whose ops wait for the device (every cache state but warm) the
// latency of every op (p50-nsec, p99-nsec, p99.9-nsec, max-nsec): one
// clock read per op, each op's time running from the previous op's end.
// That costs about 40 ns an op here (BenchmarkClock: 75 ns for two
// time.Now reads, BenchmarkRecord: 2 ns), under 0.1% of a cold 4KiB read
// (45-70 µs); warm ops (0.1-1 µs) are not timed, where it would be 4-40%.
func (h *Harness) Run(b B, c schema.Case, o Op, opt Options) {
	if c.Threads != 1 {
		b.Fatalf("%s: Run is one goroutine; use RunParallel for threads=%d", c.Name(), c.Threads)
	}
	s, view := h.openCase(b, c, o)
	b.SetBytes(c.BS)
	b.ReportAllocs()
	w := NewWorker(s, view, c, o, 0)
	w.consume = !opt.NoConsume
	hook := opt.AfterOp
	var m meter
	// Cold and partial states are restored after every stretch: cold
	// below means "restore the state", by eviction or re-establishing.
	keep := h.keepCache(b, c, s)
	cold := keep != nil
	st := &coldStretch{} // warm: one unbounded stretch
	if cold {
		st = &keep.st
	}
	var hist *LatencyHist
	if c.Cache != schema.Warm && !opt.NoLatency {
		hist = new(LatencyHist) // before the loop: its allocation is not timed
	}
	var last time.Time // the end of the last timed op
	restart := true    // the clock starts over: the first op, or after an eviction
	evict := func() {
		d := m.pause(b)
		b.StopTimer()
		keep.restore(b, d)
		b.StartTimer()
		m.resume(b)
		restart = true
	}
	oneShot := c.Advice.OneShot()
	m.resume(b)
	n := 0 // b.N, which B does not have
	fast := !cold && hist == nil && hook == nil && !oneShot
	if fast {
		// The warm rows' loop: nothing but the op, so that the harness
		// adds as little as it can to the cheapest ones
		// (BenchmarkHarnessOverhead).
		for b.Loop() {
			if err := w.Step(); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	for !fast && b.Loop() { // b.Loop must not be called again once it is over
		n++
		if w.PassStart() {
			if cold && n > 1 {
				evict()
			}
			if oneShot {
				// Inside the loop, so that the first pass gets its
				// advice too and inside the timer (b.Loop resets the
				// timer on its first call): a sample shorter than a
				// pass (4KiB blocks of a 1GiB file) is all first pass.
				// Its cost is part of reading with it.
				advise(b, s, c.Advice)
			}
		} else if cold && st.over() {
			evict()
		}
		if hist != nil && restart {
			last, restart = time.Now(), false
		}
		if err := w.Step(); err != nil {
			b.Fatal(err)
		}
		if hist != nil {
			now := time.Now()
			hist.Record(int64(now.Sub(last)))
			last = now
		}
		if hook != nil {
			hook()
		}
		st.done++
	}
	tail := m.pause(b)
	m.total.Report(b, n)
	keep.report(b, n, tail)
	if hist != nil {
		reportLatency(b, hist)
	}
	reportPressure(b, c, s)
}

// A cacheKeeper holds a cold or partial case's cache state between its
// measured stretches, cold by evicting and partial by re-establishing the
// resident set (verified before every stretch), and sizes the stretches
// (coldStretch). A nil keeper (warm) has nothing to keep.
type cacheKeeper struct {
	h        *Harness
	s        impl.Store
	c        schema.Case
	st       coldStretch
	res      *residency // partial states only
	resident float64    // partial: sum of the verified fractions, one per stretch
	intake   int64      // the most device bytes one stretch read
}

// keepCache sets c's cold or partial state on s and returns its keeper;
// nil for a warm case, which Open made warm, and a memory-pressure one,
// whose state the kernel keeps.
func (h *Harness) keepCache(tb TB, c schema.Case, s impl.Store) *cacheKeeper {
	if _, pressed := c.Cache.IsPressure(); pressed || c.Cache == schema.Warm {
		return nil // warm: Open made it; pressure: the kernel keeps it (openPressure)
	}
	k := &cacheKeeper{h: h, s: s, c: c, st: newColdStretch(c)}
	if c.Cache.IsPartial() {
		if h.ColdSkip != "" {
			tb.Skipf("cache=%v: %s", c.Cache, h.ColdSkip)
		}
		k.res = newResidency(tb, s, h.SharedFile(tb, c.Size), c.BS, residentSet(c))
		k.res.establish(tb)
		k.resident += k.res.verify(tb)
	} else {
		h.MakeCold(tb, s)
	}
	return k
}

// endStretch takes in a measured stretch's counters d: the most one
// stretch read, and for a partial state the refusal of a row that left
// it. A stretch that read more than partialDrift of the file moved the
// state by more than that within it (read-around of a single op, the
// read-ahead of a prefetch batch, the one op per goroutine of a parallel
// row, or a stretch the sizing overshot): the row is skipped with the
// reason as soon as that happens rather than printed under a state it did
// not have.
func (k *cacheKeeper) endStretch(tb TB, d Counters) {
	k.intake = max(k.intake, d.DevRead)
	if frac := float64(d.DevRead) / float64(k.c.Size); k.res != nil && frac > partialDrift {
		tb.Skipf("cache=%v: a measured stretch of %d ops read %s, %.1f%% of the file, from the device: the state moved by more than %.0f points within it (give advice=rand, or shorter stretches)",
			k.c.Cache, k.st.done, schema.FormatSize(d.DevRead), 100*frac, 100*partialDrift)
	}
}

// restore ends a stretch whose counters were d (timer stopped): it checks
// the stretch (endStretch), sizes the next one and puts the state back.
func (k *cacheKeeper) restore(tb TB, d Counters) {
	k.endStretch(tb, d)
	k.st.next(d)
	if k.res != nil {
		k.res.establish(tb)
		k.resident += k.res.verify(tb)
	} else {
		k.h.MakeCold(tb, k.s)
	}
}

// report checks the row's last stretch, whose counters are last (no
// restore saw it), and reports the stretches of a row of n ops: their
// length, the most one brought in, and for a partial state the share
// resident before them.
func (k *cacheKeeper) report(b B, n int, last Counters) {
	if k == nil {
		return
	}
	if k.st.bounded {
		k.endStretch(b, last)
		b.ReportMetric(float64(k.intake)/float64(k.c.Size), string(schema.StretchIntake))
	}
	switch {
	case k.res != nil:
		b.ReportMetric(float64(n)/float64(k.st.stretches), UnitOpsPerPartialStretch)
		b.ReportMetric(k.resident/float64(k.st.stretches), UnitResidentFrac)
	case k.st.bounded:
		b.ReportMetric(float64(n)/float64(k.st.stretches), UnitOpsPerColdStretch)
	}
}

// coldBudget is the share of a cold file that a measured stretch may bring
// into the page cache before the file is evicted again, so that every read
// of a cold random case finds at least 1−coldBudget of the file not
// resident. Without it the label depends on -benchtime: a mapping's fault
// with default advice reads a whole read-ahead window (8MiB on the
// development VM), so after size/window faults the "cold" file is warm.
const coldBudget = 0.05

// partialBudget is coldBudget for a partial state: a stretch brings in at
// most this share of the file, so that the share resident moves by less
// than partialDrift (issue 14's 2 points) before the state is restored.
const (
	partialBudget = 0.015
	partialDrift  = 0.02
)

// coldStretch bounds a cold random case's measured stretches: after each
// one the file is evicted again (timer stopped), and the next stretch is
// as long as the device bytes per op of the last one allow within
// coldBudget (at least one op). Sequential cases and one-shot advice
// (willneed, populate: a prefetch of the whole file is their point) keep
// one eviction per pass.
type coldStretch struct {
	bounded   bool
	budget    float64 // bytes a stretch may bring in
	block     float64 // bytes of one op: the unit of the rate's bound
	limit     uint64  // ops in this stretch
	done      uint64  // ops done in it
	stretches int     // measured stretches started, for the metric
	// The device bytes and ops of all stretches so far: the next
	// stretch is sized from their mean, not from the last stretch alone.
	devSum, opsSum float64
}

func newColdStretch(c schema.Case) coldStretch {
	st := coldStretch{stretches: 1, limit: 1, block: float64(c.BS)}
	st.bounded = c.Cache == schema.Cold && c.Pattern != schema.Seq && !c.Advice.OneShot()
	st.budget = coldBudget * float64(c.Size)
	if c.Cache.IsPartial() {
		st.bounded, st.budget = true, partialBudget*float64(c.Size)
	}
	return st
}

func (st *coldStretch) over() bool { return st.bounded && st.done >= st.limit }

// next starts a stretch after one whose counters were d. Its length is
// the budget over a pessimistic rate of device bytes per op: the bytes
// of all stretches so far, counted in blocks m, raised to about three
// standard deviations of a Poisson count above it (m + 3√(m+1) + 1), over
// all their ops. Sized from the last stretch's mean alone, a lucky sample
// (2 misses in 50 ops) sized a stretch of 983 ops of a 64KiB part:90 row
// that read 2.3% of the file; sized from the pessimistic rate, a stretch
// exceeds the budget by chance about as often as a 3σ count does, and
// grows as the row's ops accumulate (a hot set's all-hit stretches
// included: m = 0 still bounds it).
func (st *coldStretch) next(d Counters) {
	if st.bounded && st.done > 0 {
		st.devSum += float64(d.DevRead)
		st.opsSum += float64(st.done)
		m := st.devSum / st.block
		upper := m + 3*math.Sqrt(m+1) + 1
		st.limit = max(1, uint64(st.budget/(upper*st.block/st.opsSum)))
	}
	st.done = 0
	st.stretches++
}

// RunParallel splits n operations over c.Threads goroutines, each with its
// own worker (buffer and share of the file): n is the benchmark's b.N (a
// loop of known length, not b.Loop, whose calls cannot be shared by
// goroutines). A warm case is timed as one stretch. A cold or partial case
// with a non-sequential pattern runs in bounded stretches as Run's do,
// every goroutine stopped at the stretch's end before the state is restored
// (timer stopped): restoring under running readers would measure the
// restore's races. Those rows also report per-op latency (each goroutine
// its own histogram, merged) and the process's OS threads at the end: a
// goroutine blocked in pread holds a thread of its own, one in a page
// fault keeps its P (erigontech/erigon#23815).
func (h *Harness) RunParallel(b B, n int, c schema.Case, o Op) {
	if c.Cache != schema.Warm && c.Pattern == schema.Seq {
		b.Fatalf("%s: a cold or partial sequential case has one eviction per pass, which goroutines with their own shares do not share: want threads=1", c.Name())
	}
	s, view := h.openCase(b, c, o)
	b.SetBytes(c.BS)
	b.ReportAllocs()
	pool := newStretchPool(s, view, c, o, c.Cache != schema.Warm)
	defer pool.close()
	keep := h.keepCache(b, c, s)
	st := &coldStretch{} // warm: one unbounded stretch
	if keep != nil {
		st = &keep.st
	}
	// The first stretch gives every goroutine one op; later ones are
	// sized from its device bytes, as Run's are.
	st.limit = uint64(c.Threads)
	var m meter
	m.resume(b)
	b.ResetTimer()
	for left := uint64(n); left > 0; {
		k := left
		if st.bounded {
			k = min(left, max(st.limit, uint64(c.Threads)))
		}
		if err := pool.run(k); err != nil {
			b.Fatal(err)
		}
		left -= k
		st.done = k
		if left == 0 || !st.bounded {
			continue
		}
		d := m.pause(b)
		b.StopTimer()
		keep.restore(b, d)
		b.StartTimer()
		m.resume(b)
	}
	b.StopTimer()
	tail := m.pause(b)
	m.total.Report(b, n)
	if pool.hists != nil {
		var all LatencyHist
		for i := range pool.hists {
			all.Merge(&pool.hists[i])
		}
		reportLatency(b, &all)
		if t, err := osThreads(); err == nil {
			b.ReportMetric(float64(t), string(schema.OSThreads))
		}
	}
	keep.report(b, n, tail)
	reportPressure(b, c, s)
}

// stretchPool is c.Threads goroutines, each stepping its own worker, that
// live for a whole case: run hands each its share of a stretch's ops over
// a channel, so that a timed stretch starts no goroutine and allocates
// nothing.
type stretchPool struct {
	workers []*Worker
	hists   []LatencyHist // per goroutine when timed, else nil
	start   []chan uint64
	errs    []error
	done    sync.WaitGroup
}

func newStretchPool(s impl.Store, view impl.Viewer, c schema.Case, o Op, timed bool) *stretchPool {
	p := &stretchPool{errs: make([]error, c.Threads)}
	if timed {
		p.hists = make([]LatencyHist, c.Threads)
	}
	for t := range c.Threads {
		p.workers = append(p.workers, NewWorker(s, view, c, o, t))
		p.start = append(p.start, make(chan uint64, 1))
	}
	for t := range p.workers {
		go p.loop(t)
	}
	return p
}

// loop is goroutine t: k ops per message on its start channel.
func (p *stretchPool) loop(t int) {
	w := p.workers[t]
	var h *LatencyHist
	if p.hists != nil {
		h = &p.hists[t]
	}
	for k := range p.start[t] {
		last := time.Now()
		for range k {
			if err := w.Step(); err != nil {
				p.errs[t] = err
				break
			}
			if h != nil {
				now := time.Now()
				h.Record(int64(now.Sub(last)))
				last = now
			}
		}
		p.done.Done()
	}
}

// run has the goroutines do k ops between them (the first k mod T one more
// than the rest) and returns when all have.
func (p *stretchPool) run(k uint64) error {
	t := uint64(len(p.workers))
	p.done.Add(len(p.workers))
	for i, ch := range p.start {
		share := k / t
		if uint64(i) < k%t {
			share++
		}
		ch <- share
	}
	p.done.Wait()
	return errors.Join(p.errs...)
}

func (p *stretchPool) close() {
	for _, ch := range p.start {
		close(ch)
	}
}

// meter accumulates OS counters over the timed stretches of a benchmark,
// leaving out work done with the timer stopped (eviction).
type meter struct {
	total, start Counters
}

func (m *meter) resume(tb TB) {
	if err := ReadCounters(&m.start); err != nil {
		tb.Fatal(err)
	}
}

// pause ends a measured stretch and returns its counters.
func (m *meter) pause(tb TB) Counters {
	var now Counters
	if err := ReadCounters(&now); err != nil {
		tb.Fatal(err)
	}
	d := now.Sub(m.start)
	m.total = m.total.Add(d)
	return d
}

// caseApplies leaves out the cases a backend cannot run: a view without
// a Viewer, O_DIRECT without a descriptor that takes it, any cache state
// but warm without a page cache.
func caseApplies(be impl.Backend, c schema.Case) bool {
	return (c.Access != schema.View || be.Has(impl.CapView)) && (c.Access != schema.Direct || be.Has(impl.CapDirect)) &&
		(c.Cache == schema.Warm || be.Has(impl.CapPersistent))
}

// adviceApplies: populate and hugepage are hints for mappings.
func adviceApplies(be impl.Backend, a schema.Advice) bool {
	if !be.Has(impl.CapPersistent) {
		return false // null has no kernel to advise
	}
	return be.Has(impl.CapMapped) || (a != schema.AdvicePopulate && a != schema.AdviceHugePage)
}

// reportLatency reports the per-op latency percentiles in the units the
// IPC rows use.
func reportLatency(b B, h *LatencyHist) {
	if h.Count() == 0 {
		return
	}
	for _, p := range []struct {
		q    float64
		unit schema.Unit
	}{{0.5, schema.IPCP50}, {0.99, schema.IPCP99}, {0.999, schema.IPCP999}} {
		b.ReportMetric(float64(h.Quantile(p.q)), string(p.unit))
	}
	b.ReportMetric(float64(h.Max()), string(schema.IPCMax))
}
