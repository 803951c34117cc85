package bench

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// TB is what the harness needs of its caller to set a case up and to fail
// or skip it. *testing.T and *testing.B have all of it; a program that
// runs the harness itself (the oom child) supplies its own.
type TB interface {
	Helper()
	Cleanup(func())
	Error(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Skipf(format string, args ...any)
	Log(args ...any)
}

// B is what the timed loops need: *testing.B has all of it. A loop calls
// Loop until it returns false, stops the timer around work that is not
// the case's (eviction), and reports its metrics per op.
type B interface {
	TB
	Loop() bool
	StartTimer()
	StopTimer()
	ResetTimer()
	ReportMetric(n float64, unit string)
	SetBytes(n int64)
	ReportAllocs()
	Elapsed() time.Duration
}

// A Harness is one run's shared state: the directory its files live in,
// how it makes a cache cold, and the filled files and in-memory stores
// that every case of a size shares, so that every backend reads the same
// bytes and no case pays for making them.
type Harness struct {
	Dir string // where shared files are made; the caller removes it
	// ColdSkip, when not "", is why cold cases cannot run in Dir (its
	// pages are never evicted: tmpfs, ramfs): they are skipped with it.
	ColdSkip string
	// DropCaches: making a cache cold also writes 1 to
	// /proc/sys/vm/drop_caches (needs root).
	DropCaches bool
	// Progress, when not nil, is told what is being prepared.
	Progress io.Writer

	mu    sync.Mutex
	files map[int64]string
	mems  map[memKey]impl.Store
	// pressure is the memory-pressure case in progress (cache=mem:N):
	// the process is inside its cgroup until ReleasePressure.
	pressure *pressure
	closed   bool // Close was called: no new memory cgroup is made
}

type memKey struct {
	backend string
	size    int64
}

// SharedFile returns the path of the run's filled file of size bytes,
// making it on first use. Write benchmarks use it too: they write the
// pattern it already holds.
func (h *Harness) SharedFile(tb TB, size int64) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.files[size]; ok {
		return p
	}
	if h.files == nil {
		h.files = map[int64]string{}
	}
	if h.Progress != nil {
		fmt.Fprintf(h.Progress, "bench: preparing a %s file in %s\n", schema.FormatSize(size), h.Dir)
	}
	p := FillNew(tb, filepath.Join(h.Dir, "shared-"+schema.FormatSize(size)), size)
	h.files[size] = p
	return p
}

// newFile makes a new filled file of size bytes in Dir for one case (see
// FillNew), removed when the case ends.
func (h *Harness) newFile(tb TB, name string, size int64) string {
	tb.Helper()
	path := filepath.Join(h.Dir, fmt.Sprintf("%s-%d", name, fileSeq.Add(1)))
	tb.Cleanup(func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			tb.Error(err)
		}
	})
	return FillNew(tb, path, size)
}

var fileSeq atomic.Int64

// sharedMemStore returns the run's filled store of size bytes for be, a
// backend without a file (null): making and filling a 4GiB buffer for
// every case would cost more than the case. They live until the process
// ends.
func (h *Harness) sharedMemStore(tb TB, be impl.Backend, size int64) impl.Store {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := memKey{be.Name, size}
	if s, ok := h.mems[key]; ok {
		return s
	}
	s, err := be.Open("", impl.Options{Size: size}) // no file to take a size from
	if err != nil {
		tb.Fatal(err)
	}
	p, err := impl.View(s, 0, int(size))
	if err != nil {
		tb.Fatal(err)
	}
	fillPattern(p)
	if h.mems == nil {
		h.mems = map[memKey]impl.Store{}
	}
	h.mems[key] = s
	return s
}

// FillNew makes a file of size bytes at path, filled with the non-zero
// pattern and synced (so that reads cannot be served from fallocated
// zeros), and returns path. The file outlives the case that asked for it.
func FillNew(tb TB, path string, size int64) string {
	s, err := impl.Open("pread", path, impl.Options{Create: true, Size: size})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	fill(tb, s)
	// Read it back once: the first read of pages just written costs about
	// 2.7× the later ones here (their first access after the write moves
	// them on the LRU lists), and warm cases skip reading a file mincore
	// shows resident, so whichever case came first would pay it timed.
	if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, size)); err != nil {
		tb.Fatal(err)
	}
	return path
}

// fill writes the non-zero pattern over all of s and syncs it.
func fill(tb TB, s impl.Store) {
	chunk := make([]byte, 1<<20)
	fillPattern(chunk)
	for off := int64(0); off < s.Size(); off += int64(len(chunk)) {
		if _, err := s.WriteAt(chunk[:min(int64(len(chunk)), s.Size()-off)], off); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		tb.Fatal(err)
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

// prefault touches every page of a fresh buffer, so that the first passes of
// a timed loop do not pay the kernel's first-touch faults for it.
func prefault(buf []byte) {
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
}

// backendOf returns the case's backend; a case names only backends that
// impl has, so an unknown one is the caller's bug.
func backendOf(tb TB, c schema.Case) impl.Backend {
	be, err := impl.Lookup(c.Backend)
	if err != nil {
		tb.Fatal(err)
	}
	return be
}

// Open opens the run's shared file of c.Size with c's backend (or its
// shared in-memory store, for a backend without a file), applies lasting
// advice, and establishes a warm cache (verified with mincore) for warm
// cases; cold cases are evicted by the loop right before timing. view is
// the store's Viewer for access=view, nil for access=copy.
func (h *Harness) Open(tb TB, c schema.Case) (s impl.Store, view impl.Viewer) {
	tb.Helper()
	be := backendOf(tb, c)
	if !be.Has(impl.CapPersistent) {
		s := h.sharedMemStore(tb, be, c.Size)
		return s, viewOf(tb, c, s)
	}
	// access=direct: O_DIRECT reads into the worker's aligned buffer.
	s, err := be.Open(h.SharedFile(tb, c.Size), impl.Options{Direct: c.Access == schema.Direct})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	view = prepare(tb, c, s)
	// O_DIRECT reads never fill the page cache, so a direct store cannot
	// make its file warm: its reads go to the device whatever the cache
	// holds, and its cache key is the state of the rows it is compared
	// with (the shared file is warm after the warm rows before it).
	if c.Cache == schema.Warm && c.Access != schema.Direct {
		makeWarm(tb, s)
	}
	return s, view
}

// prepare returns s's Viewer for access=view (viewOf) after giving s c's
// lasting advice; one-shot advice is given by the timed loop.
func prepare(tb TB, c schema.Case, s impl.Store) impl.Viewer {
	view := viewOf(tb, c, s)
	if c.Advice != schema.AdviceNone && !c.Advice.OneShot() {
		advise(tb, s, c.Advice)
	}
	return view
}

// viewOf returns s's Viewer for access=view cases, nil for access=copy.
func viewOf(tb TB, c schema.Case, s impl.Store) impl.Viewer {
	if c.Access != schema.View {
		return nil
	}
	v, ok := s.(impl.Viewer)
	if !ok {
		tb.Skipf("access=view does not apply: %s has no zero-copy view", c.Backend)
	}
	return v
}

// implAdvice is the impl.Advice that a case's advice gives.
var implAdvice = map[schema.Advice]impl.Advice{
	schema.AdviceSeq:      impl.AdviceSequential,
	schema.AdviceRand:     impl.AdviceRandom,
	schema.AdviceWillNeed: impl.AdviceWillNeed,
	schema.AdvicePopulate: impl.AdvicePopulate,
	schema.AdviceHugePage: impl.AdviceHugePage,
}

// advise applies a hint; a hint the kernel refuses fails the case with
// the kernel's reason rather than reporting a run without it. hugepage on
// a file mapping depends on the kernel's file THP support: such a refusal
// is reported and the case skipped, so the run goes on.
func advise(tb TB, s impl.Store, a schema.Advice) {
	ia, ok := implAdvice[a]
	if !ok {
		tb.Fatalf("advice=%v: no kernel hint by that name", a)
	}
	adv, ok := s.(impl.Advisor)
	if !ok {
		tb.Skipf("advice=%v does not apply: %v takes no advice", a, s)
	}
	if err := adv.Advise(ia); err != nil {
		if ia == impl.AdviceHugePage {
			tb.Skipf("advice=hugepage unsupported here: %v", err)
		}
		tb.Fatal(err)
	}
}

// makeWarm reads the whole store, unless mincore shows it all resident
// already, and checks every page is resident. A mapping then also has its
// page tables filled, so that warm means no fault at all in the timed loop.
// Pages can go while the read runs (reclaim, another process's eviction):
// the read is retried before the case fails.
func makeWarm(tb TB, s impl.Store) {
	ev, ok := s.(impl.Evicter)
	if !ok {
		if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, s.Size())); err != nil {
			tb.Fatal(err)
		}
		return
	}
	const attempts = 3
	for attempt := 0; ; attempt++ {
		pages, total, err := ev.Resident()
		if err != nil {
			tb.Fatal(err)
		}
		if pages == total {
			if _, mapped := s.(impl.Viewer); mapped {
				advise(tb, s, schema.AdvicePopulate)
			}
			return
		}
		if attempt == attempts {
			tb.Fatalf("cache=warm: only %d of %d pages of %v are resident after reading it all %d times (is memory short?)", pages, total, s, attempts)
		}
		if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, s.Size())); err != nil {
			tb.Fatal(err)
		}
	}
}

// coldSlack is the share of pages that may stay resident in a cold start:
// the kernel keeps pages under writeback or mapped elsewhere.
const coldSlack = 0.01

// MakeCold evicts the store's file and checks with mincore that (almost)
// nothing is resident; a run whose cold state cannot be established fails.
// Read-ahead that the last pass started may still be in flight, and pages
// under I/O cannot be dropped: such a miss is retried after a short wait.
// Where Dir's pages cannot be evicted, the case is skipped with ColdSkip.
func (h *Harness) MakeCold(tb TB, s impl.Store) {
	if h.ColdSkip != "" {
		tb.Skip(h.ColdSkip)
	}
	ev, ok := s.(impl.Evicter)
	if !ok {
		tb.Fatalf("cache=cold: %v cannot evict its pages", s)
	}
	const attempts = 5
	for attempt := 1; ; attempt++ {
		if err := ev.Evict(); err != nil {
			tb.Fatal(err)
		}
		if h.DropCaches {
			if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0); err != nil {
				tb.Fatalf("cache=cold with -dropcaches: %v (root is needed)", err)
			}
		}
		pages, total, err := ev.Resident()
		if err != nil {
			tb.Fatal(err)
		}
		if float64(pages) <= coldSlack*float64(total) {
			return
		}
		if attempt == attempts {
			tb.Fatalf("cache=cold: %d of %d pages of %v still resident after %d evictions", pages, total, s, attempts)
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}
