package bench

import (
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/impl"
)

// BenchmarkRead reads every backend's view of the same file. access=copy
// reads with ReadAt into a reused buffer; access=view reads the mapping in
// place. Both consume every byte with Consume, so the difference between
// them is the copy and nothing else.
func BenchmarkRead(b *testing.B) {
	runCases(b, currentProfile(b).readCases(), opRead)
}

// BenchmarkWrite writes blocks of the pattern the file already holds:
// WriteAt from a buffer (copy) or a copy into the mapping (view).
func BenchmarkWrite(b *testing.B) {
	runCases(b, currentProfile(b).writeCases(false), opWrite)
}

// BenchmarkWriteSync is BenchmarkWrite with a Sync (msync or fdatasync)
// after every sync=N writes: the cost of durability, not of visibility.
func BenchmarkWriteSync(b *testing.B) {
	runCases(b, currentProfile(b).writeCases(true), opWrite)
}

type op int

const (
	opRead op = iota
	opWrite
)

// runCase prepares the store and its cache state outside the timer, then
// times c.threads goroutines doing the operations.
func runCase(b *testing.B, c rwCase, o op) {
	s, view := openCase(b, c)
	b.SetBytes(c.bs)
	b.ReportAllocs()
	if c.threads > 1 {
		runParallel(b, s, view, c, o)
		return
	}
	w := newWorker(s, view, c, o, 0)
	hook := opHook(b, c) // nil unless the gate's test-only knob is set: see slowdown_test.go
	var m meter
	cold := c.cache == "cold"
	st := newColdStretch(c)
	if cold {
		makeCold(b, s)
	}
	m.resume(b)
	for b.Loop() {
		passOver := w.i == w.blocks
		if passOver {
			w.i = 0
		}
		if cold && (passOver || st.over()) {
			d := m.pause(b)
			b.StopTimer()
			st.next(d)
			makeCold(b, s)
			b.StartTimer()
			m.resume(b)
		}
		if w.i == 0 {
			// Inside the loop, so that the first pass gets its advice
			// too and inside the timer (b.Loop resets the timer on its
			// first call): a sample shorter than a pass (4KiB blocks of
			// a 1GiB file) is all first pass.
			w.passStart(b)
		}
		if err := w.step(); err != nil {
			b.Fatal(err)
		}
		if hook != nil {
			hook()
		}
		st.done++
	}
	m.pause(b)
	m.total.Report(b, b.N)
	if st.bounded {
		b.ReportMetric(float64(b.N)/float64(st.stretches), UnitOpsPerColdStretch)
	}
}

// coldBudget is the share of a cold file that a measured stretch may bring
// into the page cache before the file is evicted again, so that every read
// of a cold random case finds at least 1−coldBudget of the file not
// resident. Without it the label depends on -benchtime: a mapping's fault
// with default advice reads a whole read-ahead window (8MiB on the
// development VM), so after size/window faults the "cold" file is warm.
const coldBudget = 0.05

// coldStretch bounds a cold random case's measured stretches: after each
// one the file is evicted again (timer stopped), and the next stretch is
// as long as the device bytes per op of the last one allow within
// coldBudget (at least one op). Sequential cases and one-shot advice
// (willneed, populate: a prefetch of the whole file is their point) keep
// one eviction per pass.
type coldStretch struct {
	bounded   bool
	budget    float64 // bytes a stretch may bring in
	limit     uint64  // ops in this stretch
	done      uint64  // ops done in it
	stretches int     // measured stretches started, for the metric
}

func newColdStretch(c rwCase) coldStretch {
	st := coldStretch{stretches: 1, limit: 1}
	st.bounded = c.cache == "cold" && c.pattern == "rand" && c.advice != "willneed" && c.advice != "populate"
	st.budget = coldBudget * float64(c.size)
	return st
}

func (st *coldStretch) over() bool { return st.bounded && st.done >= st.limit }

// next starts a stretch after one whose counters were d.
func (st *coldStretch) next(d Counters) {
	if st.bounded && st.done > 0 {
		perOp := float64(d.DevRead) / float64(st.done)
		st.limit = 1 << 62
		if perOp > 0 {
			st.limit = max(1, uint64(st.budget/perOp))
		}
	}
	st.done = 0
	st.stretches++
}

// runParallel splits b.N operations over c.threads goroutines, each with
// its own buffer and its own share of the file. Only warm cases get here:
// evicting under concurrent readers would measure the eviction's races.
func runParallel(b *testing.B, s impl.Store, view impl.Viewer, c rwCase, o op) {
	workers := make([]*worker, c.threads)
	for t := range workers {
		workers[t] = newWorker(s, view, c, o, t)
	}
	var m meter
	var wg sync.WaitGroup
	errs := make([]error, c.threads)
	m.resume(b)
	b.ResetTimer()
	for t, w := range workers {
		n := b.N / c.threads
		if t < b.N%c.threads {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if w.i == w.blocks {
					w.i = 0
				}
				if err := w.step(); err != nil {
					errs[t] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	m.pause(b)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	m.total.Report(b, b.N)
}

// worker does one goroutine's operations: block i of a pass of blocks
// blocks, in sequence or in a fixed pseudo-random order.
type worker struct {
	s      impl.Store
	view   impl.Viewer // nil for access=copy
	buf    []byte
	write  bool
	bs     int64
	blocks uint64 // blocks per pass: size/bs
	rand   bool
	order  Order  // pattern=rand's order of the blocks
	first  uint64 // this worker's starting block
	i      uint64 // operations done in this pass
	sum    uint64 // checksum of what was read; keeps the reads alive
	c      rwCase
	writes int // writes since the last Sync
}

func newWorker(s impl.Store, view impl.Viewer, c rwCase, o op, t int) *worker {
	w := &worker{s: s, view: view, write: o == opWrite, bs: c.bs, blocks: uint64(c.size / c.bs), rand: c.pattern == "rand", c: c}
	w.first = uint64(t) * w.blocks / uint64(c.threads)
	w.order = DefaultOrder(w.blocks)
	if w.view == nil || w.write {
		// A write copies from buf; a copy read copies into it.
		w.buf = impl.AlignedBuffer(int(c.bs))
		fillPattern(w.buf)
		prefault(w.buf)
	}
	return w
}

// block returns the block of the pass's i-th operation: the worker's share
// of the pass starts at step first, and for rand the step is mapped through
// the project's one random order (DefaultOrder): every block once per pass,
// not a stride, with no table to allocate or to pollute the cache.
func (w *worker) block() uint64 {
	k := w.first + w.i
	if k >= w.blocks {
		k -= w.blocks
	}
	if w.rand {
		k = w.order.Block(k)
	}
	return k
}

// step does one operation: read or write one block.
func (w *worker) step() error {
	off := int64(w.block()) * w.bs
	w.i++
	switch {
	case w.write && w.view != nil:
		p, err := w.view.View(off, int(w.bs))
		if err != nil {
			return err
		}
		copy(p, w.buf)
	case w.write:
		if _, err := w.s.WriteAt(w.buf, off); err != nil {
			return err
		}
	case w.view != nil:
		p, err := w.view.View(off, int(w.bs))
		if err != nil {
			return err
		}
		if !w.c.noConsume {
			w.sum += Consume(p)
		}
		return nil
	default:
		if _, err := w.s.ReadAt(w.buf, off); err != nil && err != io.EOF {
			return err
		}
		if !w.c.noConsume {
			w.sum += Consume(w.buf)
		}
		return nil
	}
	if w.c.sync > 0 {
		if w.writes++; w.writes == w.c.sync {
			w.writes = 0
			return w.s.Sync()
		}
	}
	return nil
}

// passStart applies a one-shot hint (willneed, populate) at the start of
// each pass, the first included, inside the timer: its cost is part of
// reading with it.
func (w *worker) passStart(b *testing.B) {
	switch w.c.advice {
	case "willneed", "populate":
		advise(b, w.s, w.c.advice)
	}
}

// openCase opens the run's shared file of c.size with c.backend, applies
// lasting advice, and establishes a warm cache (verified with mincore);
// cold cases are evicted by the caller right before timing.
func openCase(b *testing.B, c rwCase) (impl.Store, impl.Viewer) {
	b.Helper()
	if !c.backend.Has(impl.CapPersistent) {
		s := sharedMemStore(b, c.backend, c.size)
		return s, viewOf(b, c, s)
	}
	s, err := c.backend.Open(sharedFile(b, c.size), impl.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	view := viewOf(b, c, s)
	switch c.advice {
	case "none", "willneed", "populate":
	default:
		advise(b, s, c.advice)
	}
	if c.cache == "warm" {
		makeWarm(b, s)
	}
	return s, view
}

// viewOf returns s's Viewer for access=view cases, nil for access=copy.
func viewOf(b *testing.B, c rwCase, s impl.Store) impl.Viewer {
	if c.access != "view" {
		return nil
	}
	v, ok := s.(impl.Viewer)
	if !ok {
		b.Skipf("access=view does not apply: %s has no zero-copy view", c.backend.Name)
	}
	return v
}

// advise applies a hint; a hint the kernel refuses fails the case with
// the kernel's reason rather than reporting a run without it. hugepage on
// a file mapping depends on the kernel's file THP support: such a refusal
// is reported and the case skipped, so the run goes on.
func advise(b *testing.B, s impl.Store, name string) {
	a, err := impl.ParseAdvice(name)
	if err != nil {
		b.Fatal(err)
	}
	adv, ok := s.(impl.Advisor)
	if !ok {
		b.Skipf("advice=%s does not apply: %v takes no advice", name, s)
	}
	if err := adv.Advise(a); err != nil {
		if a == impl.AdviceHugePage {
			b.Skipf("advice=hugepage unsupported here: %v", err)
		}
		b.Fatal(err)
	}
}

// makeWarm reads the whole store, unless mincore shows it all resident
// already, and checks every page is resident. A mapping then also has its
// page tables filled, so that warm means no fault at all in the timed loop.
// Pages can go while the read runs (reclaim, another process's eviction):
// the read is retried before the case fails.
func makeWarm(b *testing.B, s impl.Store) {
	ev, ok := s.(impl.Evicter)
	if !ok {
		if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, s.Size())); err != nil {
			b.Fatal(err)
		}
		return
	}
	const attempts = 3
	for attempt := 0; ; attempt++ {
		pages, total, err := ev.Resident()
		if err != nil {
			b.Fatal(err)
		}
		if pages == total {
			if _, mapped := s.(impl.Viewer); mapped {
				advise(b, s, impl.AdvicePopulate.String())
			}
			return
		}
		if attempt == attempts {
			b.Fatalf("cache=warm: only %d of %d pages of %v are resident after reading it all %d times (is memory short?)", pages, total, s, attempts)
		}
		if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, s.Size())); err != nil {
			b.Fatal(err)
		}
	}
}

// coldSlack is the share of pages that may stay resident in a cold start:
// the kernel keeps pages under writeback or mapped elsewhere.
const coldSlack = 0.01

// makeCold evicts the store's file and checks with mincore that (almost)
// nothing is resident; a run whose cold state cannot be established fails.
// Read-ahead that the last pass started may still be in flight, and pages
// under I/O cannot be dropped: such a miss is retried after a short wait.
func makeCold(b *testing.B, s impl.Store) {
	skipUnlessEvictable(b) // tmpfs, ramfs: every case that gets here is cold
	ev, ok := s.(impl.Evicter)
	if !ok {
		b.Fatalf("cache=cold: %v cannot evict its pages", s)
	}
	const attempts = 5
	for attempt := 1; ; attempt++ {
		if err := ev.Evict(); err != nil {
			b.Fatal(err)
		}
		if *dropCaches {
			if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0); err != nil {
				b.Fatalf("cache=cold with -dropcaches: %v (root is needed)", err)
			}
		}
		pages, total, err := ev.Resident()
		if err != nil {
			b.Fatal(err)
		}
		if float64(pages) <= coldSlack*float64(total) {
			return
		}
		if attempt == attempts {
			b.Fatalf("cache=cold: %d of %d pages of %v still resident after %d evictions", pages, total, s, attempts)
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}

// patternPeriod is the period of the non-zero pattern the files hold.
const patternPeriod = 1 << 20

// fillPattern writes the non-zero pattern that fill uses: one period by
// hand, then copies of what is written, doubling, so that a 4GiB null store
// fills at memory speed.
func fillPattern(p []byte) {
	n := min(len(p), patternPeriod)
	for i := range n {
		p[i] = byte(i*7 + 1)
	}
	for n < len(p) {
		n += copy(p[n:], p[:n])
	}
}

// meter accumulates OS counters over the timed stretches of a benchmark,
// leaving out work done with the timer stopped (eviction).
type meter struct {
	total, start Counters
}

func (m *meter) resume(b *testing.B) {
	if err := ReadCounters(&m.start); err != nil {
		b.Fatal(err)
	}
}

// pause ends a measured stretch and returns its counters.
func (m *meter) pause(b *testing.B) Counters {
	var now Counters
	if err := ReadCounters(&now); err != nil {
		b.Fatal(err)
	}
	d := now.Sub(m.start)
	m.total = m.total.Add(d)
	return d
}
