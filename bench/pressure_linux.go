package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/internal/memcg"
	"github.com/mmapbench/mmapbench/schema"
)

// Memory pressure (cache=mem:N): the process runs the case inside a memory
// cgroup whose limit is the file's size ÷ N, so that the kernel, not the
// harness, chooses which pages stay, as it does for a database whose file
// outgrows its container. The row measures the steady state: the file is
// evicted, the process joins the cgroup, a limit's worth of the file is
// read in (fillUnderLimit; a mapping's resident pages are then also
// mapped, as in a mapping's steady state), and a skewed pattern's own
// accesses run unmeasured for a while (pressureWarmup), so that its hot
// blocks are what the LRU holds. Before timing, the cgroup must be
// charged at least pressureFull of its limit or be within pressureGap of
// it (else there is no pressure), and mincore must show no more of the
// file resident than the limit can hold; otherwise the row is skipped with
// the reason. The state is kept for the repeated calls
// go test makes of a b.N benchmark (RunParallel) and released by
// ReleasePressure when the case ends.

// PressurePrefix begins the name of every memory cgroup the harness makes,
// followed by the process's pid: RemoveStale finds a killed run's.
const PressurePrefix = "mmapbench-bench"

const (
	// pressureFull: the share of its limit the cgroup must be charged
	// after the fill, or the limit does not press; within pressureGap of
	// the limit is enough for a small one: the kernel reclaims in folio-
	// and batch-sized steps, and a 16MiB cgroup settled at 14.25MiB (89%)
	// after 17.6MiB were read into it, its peak at the limit.
	pressureFull = 0.9
	pressureGap  = 4 << 20
	// pressureSlack: mincore may show this much more of the file
	// resident than the limit holds (pages charged before the join that
	// eviction could not drop).
	pressureSlack = 0.02
	// pressureWarmup bounds the unmeasured accesses after the fill of a
	// skewed pattern: at most a limit's worth of blocks, at most this
	// long, so that its hot blocks, which come in with their first
	// misses, are what the LRU holds. A uniform pattern (rand, seq) has
	// none: its hit rate does not depend on which blocks the fill left.
	pressureWarmup = 100 * time.Millisecond
)

// pressure is the state of the case now running under a limit.
type pressure struct {
	c    schema.Case
	cg   *memcg.Cgroup
	s    impl.Store
	view impl.Viewer
}

var pressureSeq atomic.Int64

// openCase opens c's store in its cache state: Open, or, for a
// memory-pressure case, openPressure.
func (h *Harness) openCase(tb TB, c schema.Case, o Op) (impl.Store, impl.Viewer) {
	if _, ok := c.Cache.IsPressure(); ok {
		return h.openPressure(tb, c, o)
	}
	if err := h.ReleasePressure(); err != nil {
		tb.Fatal(err)
	}
	return h.Open(tb, c)
}

// openPressure returns c's store under its memory limit, in the steady
// state, making it unless the last call made it for the same case.
func (h *Harness) openPressure(tb TB, c schema.Case, o Op) (impl.Store, impl.Viewer) {
	tb.Helper()
	h.mu.Lock()
	p := h.pressure
	h.mu.Unlock()
	if p != nil && p.c == c {
		return p.s, p.view
	}
	if err := h.ReleasePressure(); err != nil {
		tb.Fatal(err)
	}
	n, _ := c.Cache.IsPressure()
	if h.ColdSkip != "" {
		tb.Skipf("cache=%v: the kernel must be able to evict the file's pages under the limit: %s", c.Cache, h.ColdSkip)
	}
	be := backendOf(tb, c)
	limit := c.Size / int64(n) &^ int64(pageSize-1)
	s, err := be.Open(h.SharedFile(tb, c.Size), impl.Options{Direct: c.Access == schema.Direct})
	if err != nil {
		tb.Fatal(err)
	}
	p = &pressure{c: c, s: s}
	h.mu.Lock()
	h.pressure = p // from here on ReleasePressure undoes it, whatever fails below
	h.mu.Unlock()
	p.view = prepare(tb, c, s)
	// Under the lock that Close takes: a run stopped by a signal while a
	// case is being set up leaves no cgroup made after Close released
	// the last one.
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		tb.Skip("the run is ending")
	}
	p.cg, err = memcg.New(fmt.Sprintf("%s-%d-%d", PressurePrefix, os.Getpid(), pressureSeq.Add(1)), limit)
	h.mu.Unlock()
	if errors.Is(err, memcg.ErrNoLimit) {
		tb.Skipf("cache=%v needs a memory cgroup limit: %v", c.Cache, err)
	} else if err != nil {
		tb.Fatal(err)
	}
	// Evicted before joining: pages charged elsewhere would not count
	// against the limit.
	h.MakeCold(tb, s)
	if err := p.cg.Join(os.Getpid()); err != nil {
		tb.Fatal(err)
	}
	if in, err := p.cg.Contains(os.Getpid()); err != nil || !in {
		tb.Fatalf("cache=%v: not inside %s after joining it (%v): refusing to measure without the limit", c.Cache, p.cg.Dir, err)
	}
	if c.Access == schema.Direct {
		// O_DIRECT reads leave nothing in the page cache: there is no
		// state to fill; the row is pressure's neighbour for comparison.
		return s, p.view
	}
	fillUnderLimit(tb, h.SharedFile(tb, c.Size), s, p.cg.Limit)
	w := NewWorker(s, p.view, c, o, 0)
	deadline := time.Now().Add(pressureWarmup)
	for i := int64(0); !c.Pattern.Passes() && i < limit/c.BS && time.Now().Before(deadline); i++ {
		if err := w.Step(); err != nil {
			tb.Fatal(err)
		}
	}
	usage, err := p.cg.Usage()
	if err != nil {
		tb.Fatal(err)
	}
	if full := min(pressureFull*float64(p.cg.Limit), float64(p.cg.Limit-pressureGap)); float64(usage) < full {
		tb.Skipf("cache=%v: after reading %s of the %s file in, the cgroup is charged %s of its %s limit: the limit does not press (is the file's memory charged elsewhere?)",
			c.Cache, schema.FormatSize(min(c.Size, p.cg.Limit)), schema.FormatSize(c.Size), schema.FormatSize(usage), schema.FormatSize(p.cg.Limit))
	}
	if frac := residentFrac(tb, s); frac > float64(p.cg.Limit)/float64(c.Size)+pressureSlack {
		tb.Skipf("cache=%v: %.1f%% of the file is resident under a limit of %.1f%% of it: the limit does not hold the file's pages",
			c.Cache, 100*frac, 100*float64(p.cg.Limit)/float64(c.Size))
	}
	return s, p.view
}

// fillUnderLimit brings the first limit bytes of the file into the cache
// under the limit, fast: with sequential reads of a descriptor of its own
// (default advice, so read-ahead helps even when the case's advice is
// random: with MADV_RANDOM the same fill took 2.5–5 s of 256MiB here,
// one fault or read per block), then, for a mapping, MADV_POPULATE_READ
// of the last nine tenths of that range, which maps what is resident
// without I/O, so that its resident pages are also mapped, as in a
// mapping's steady state. Not the first tenth: the cgroup is full by
// then, the page tables' charge makes the kernel evict the oldest pages,
// the range's start, and populating from the start re-read every page of
// it in turn, each read evicting the next (3.5 s of 128MiB with random
// advice). What stays is then up to the kernel.
func fillUnderLimit(tb TB, path string, s impl.Store, limit int64) {
	n := min(s.Size(), limit)
	f, err := impl.Open("pread", path, impl.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, io.NewSectionReader(f, 0, n)); err != nil {
		tb.Fatal(err)
	}
	if _, mapped := s.(impl.Viewer); !mapped {
		return
	}
	ra, ok := s.(impl.RangeAdvisor)
	if !ok {
		tb.Fatalf("cache=mem: %v cannot populate ranges", s)
	}
	skip := n / 10 &^ int64(pageSize-1)
	if err := ra.AdviseRange(impl.AdvicePopulate, skip, n-skip); err != nil {
		tb.Fatal(err)
	}
}

// residentFrac is the share of s's file that mincore shows resident.
func residentFrac(tb TB, s impl.Store) float64 {
	ev, ok := s.(impl.Evicter)
	if !ok {
		tb.Fatalf("%v cannot report its resident pages", s)
	}
	pages, total, err := ev.Resident()
	if err != nil {
		tb.Fatal(err)
	}
	return float64(pages) / float64(total)
}

// reportPressure reports, at the end of a pressure row, the share of the
// file resident (mincore): about 1/N when the limit held it.
func reportPressure(b B, c schema.Case, s impl.Store) {
	if _, ok := c.Cache.IsPressure(); ok {
		b.ReportMetric(residentFrac(b, s), UnitResidentFrac)
	}
}

// ReleasePressure ends the memory-pressure case in progress, if any: the
// process leaves the cgroup (its charges go to the parent when the cgroup
// is removed), the cgroup is removed and the store closed. Every case
// that is not the same pressure case calls it first; runners call it when
// a case ends, and the process before it exits.
func (h *Harness) ReleasePressure() error {
	h.mu.Lock()
	p := h.pressure
	h.pressure = nil
	h.mu.Unlock()
	if p == nil {
		return nil
	}
	var errs []error
	if p.cg != nil {
		if err := p.cg.Leave(os.Getpid()); err != nil {
			errs = append(errs, err)
		} else if err := p.cg.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.s.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close ends the run's use of memory cgroups: the case in progress is
// released (ReleasePressure) and no new one is made. A signal handler
// calls it before the process exits.
func (h *Harness) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	return h.ReleasePressure()
}

// RemoveStalePressure removes the memory cgroups of runs killed with
// SIGKILL while a pressure case ran (their process is gone), saying so on
// w.
func RemoveStalePressure(w io.Writer) error {
	removed, err := memcg.RemoveStale(PressurePrefix)
	for _, d := range removed {
		fmt.Fprintf(w, "bench: removed %s, a memory cgroup left by a run that was killed\n", d)
	}
	return err
}
