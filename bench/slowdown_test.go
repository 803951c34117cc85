package bench

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/impl"
)

// slowdownEnv is the test-only knob that calibrates the regression gate
// (mmapbench regress, scripts/calibrate-gate.sh): a known slowdown it must
// catch. MMAPBENCH_INJECT_SLOWDOWN=mmap:10% makes each ReadAt, WriteAt and
// View of the mmap backend's stores take 10% longer than the backend's own
// time for it; several backends are separated by commas (mmap:10%,pread:5%).
// The time around the call (Consume, the loop) is not stretched, so a case's
// ns/op grows by less than the percentage: by 10% of the share of the op
// spent in the store. Unset, stores are not wrapped at all. The null
// backend's stores are shared between cases and are never wrapped.
const slowdownEnv = "MMAPBENCH_INJECT_SLOWDOWN"

var slowdowns = sync.OnceValues(func() (map[string]float64, error) {
	return parseSlowdowns(os.Getenv(slowdownEnv))
})

// parseSlowdowns parses "backend:percent[,backend:percent]".
func parseSlowdowns(spec string) (map[string]float64, error) {
	if spec == "" {
		return nil, nil
	}
	m := map[string]float64{}
	for _, part := range strings.Split(spec, ",") {
		name, pct, ok := strings.Cut(part, ":")
		be, err := impl.Lookup(name)
		if !ok || err != nil || !be.Has(impl.CapPersistent) {
			return nil, fmt.Errorf("%s=%q: %q: want backend:percent with a file backend, such as mmap:10%%", slowdownEnv, spec, part)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
		if err != nil || !strings.HasSuffix(pct, "%") || v <= 0 || v > 1000 {
			return nil, fmt.Errorf("%s=%q: %q: want a percentage in (0%%, 1000%%]", slowdownEnv, spec, pct)
		}
		m[name] = v / 100
	}
	return m, nil
}

// injectSlowdown returns s, or s wrapped to be slower when the knob names
// its backend.
func injectSlowdown(b *testing.B, backend string, s impl.Store) impl.Store {
	m, err := slowdowns()
	if err != nil {
		b.Fatal(err)
	}
	frac, ok := m[backend]
	if !ok {
		return s
	}
	return wrapSlow(s, frac)
}

// wrapSlow keeps the optional interfaces of s: code that asks a store for
// its Viewer, Advisor or Evicter must find them on the wrapper too.
func wrapSlow(s impl.Store, frac float64) impl.Store {
	w := &slowStore{Store: s, d: newDelayer(frac)}
	v, isV := s.(impl.Viewer)
	sv := slowView{v, w.d}
	a, isA := s.(impl.Advisor)
	e, isE := s.(impl.Evicter)
	switch {
	case isV && isA && isE:
		return struct {
			*slowStore
			slowView
			impl.Advisor
			impl.Evicter
		}{w, sv, a, e}
	case isV && isA:
		return struct {
			*slowStore
			slowView
			impl.Advisor
		}{w, sv, a}
	case isV && isE:
		return struct {
			*slowStore
			slowView
			impl.Evicter
		}{w, sv, e}
	case isA && isE:
		return struct {
			*slowStore
			impl.Advisor
			impl.Evicter
		}{w, a, e}
	case isV:
		return struct {
			*slowStore
			slowView
		}{w, sv}
	case isA:
		return struct {
			*slowStore
			impl.Advisor
		}{w, a}
	case isE:
		return struct {
			*slowStore
			impl.Evicter
		}{w, e}
	}
	return w
}

type slowStore struct {
	impl.Store
	d *delayer
}

func (s *slowStore) ReadAt(p []byte, off int64) (int, error) {
	t := s.d.start(len(p))
	n, err := s.Store.ReadAt(p, off)
	s.d.done(t)
	return n, err
}

func (s *slowStore) WriteAt(p []byte, off int64) (int, error) {
	t := s.d.start(len(p))
	n, err := s.Store.WriteAt(p, off)
	s.d.done(t)
	return n, err
}

func (s *slowStore) String() string {
	return fmt.Sprintf("%v (%s +%g%%)", s.Store, slowdownEnv, 100*s.d.frac)
}

type slowView struct {
	v impl.Viewer
	d *delayer
}

func (s slowView) View(off int64, n int) ([]byte, error) {
	t := s.d.start(n)
	p, err := s.v.View(off, n)
	s.d.done(t)
	return p, err
}

// A delayer adds frac of a call's mean duration after each call, as a
// calibrated busy loop. Reading the clock around every call would itself
// cost more than 10% of a 4KiB copy from a mapping, so it times the first
// call of each length and then one call in sampleEvery, and keeps a moving
// average. Safe for concurrent use.
type delayer struct {
	frac  float64
	rate  float64       // spinRate()
	n     atomic.Int64  // the length the estimate is for
	est   atomic.Uint64 // math.Float64bits of the mean duration in ns; 0: none yet
	calls atomic.Uint64
}

const sampleEvery = 64

func newDelayer(frac float64) *delayer {
	return &delayer{frac: frac, rate: spinRate()} // calibrated before the timed loop
}

// start returns the call's start time when this call is to be timed.
func (d *delayer) start(n int) time.Time {
	if d.n.Load() != int64(n) {
		d.n.Store(int64(n))
		d.est.Store(0)
	}
	if d.est.Load() == 0 || d.calls.Add(1)%sampleEvery == 0 {
		return time.Now()
	}
	return time.Time{}
}

// done updates the estimate with a timed call, then spins.
func (d *delayer) done(t time.Time) {
	est := math.Float64frombits(d.est.Load())
	if !t.IsZero() {
		el := float64(time.Since(t).Nanoseconds())
		if est == 0 {
			est = math.Max(el, 1)
		} else {
			est += (el - est) / 8
		}
		d.est.Store(math.Float64bits(est))
	}
	spin(int(d.frac*est*d.rate + 0.5))
}

// spinRate is the busy loop's iterations per nanosecond, measured once:
// the fastest of a few runs, so that a spin is not longer than asked.
var spinRate = sync.OnceValue(func() float64 {
	const iters = 1 << 20
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t := time.Now()
		spin(iters)
		best = min(best, time.Since(t))
	}
	return iters / float64(max(best.Nanoseconds(), 1))
})

// spin runs a dependent chain of n multiply-adds that the compiler cannot
// remove.
//
//go:noinline
func spin(n int) uint64 {
	x := uint64(n)
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func TestParseSlowdowns(t *testing.T) {
	m, err := parseSlowdowns("mmap:10%,pread:2.5%")
	if err != nil || m["mmap"] != 0.10 || m["pread"] != 0.025 || len(m) != 2 {
		t.Errorf("parseSlowdowns(mmap:10%%,pread:2.5%%) = %v, %v; want map[mmap:0.1 pread:0.025], nil", m, err)
	}
	if m, err := parseSlowdowns(""); m != nil || err != nil {
		t.Errorf(`parseSlowdowns("") = %v, %v; want nil, nil`, m, err)
	}
	for _, bad := range []string{"mmap", "mmap:10", "mmap:-5%", "nosuch:10%", "null:10%", "mmap:x%"} {
		if _, err := parseSlowdowns(bad); err == nil {
			t.Errorf("parseSlowdowns(%q) = nil error, want an error", bad)
		}
	}
}

// TestSlowStoreKeepsInterfaces checks that the wrapper keeps each
// backend's optional interfaces and passes reads through unchanged.
func TestSlowStoreKeepsInterfaces(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s, err := be.Open(t.TempDir()+"/f", impl.Options{Create: true, Size: 1 << 16})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			w := wrapSlow(s, 0.1)
			for _, c := range []struct {
				name     string
				in, outK bool
			}{
				{"Viewer", is[impl.Viewer](s), is[impl.Viewer](w)},
				{"Advisor", is[impl.Advisor](s), is[impl.Advisor](w)},
				{"Evicter", is[impl.Evicter](s), is[impl.Evicter](w)},
			} {
				if c.in != c.outK {
					t.Errorf("%s: store is %s: %v, wrapper: %v", be.Name, c.name, c.in, c.outK)
				}
			}
			want := []byte("slow but same")
			if _, err := w.WriteAt(want, 100); err != nil {
				t.Fatalf("WriteAt: %v", err)
			}
			got := make([]byte, len(want))
			if n, err := w.ReadAt(got, 100); n != len(want) || err != nil || string(got) != string(want) {
				t.Fatalf("ReadAt(%d, 100) = %d, %v, %q; want %d, nil, %q", len(got), n, err, got, len(want), want)
			}
			if v, ok := w.(impl.Viewer); ok {
				if p, err := v.View(100, len(want)); err != nil || string(p) != string(want) {
					t.Fatalf("View(100, %d) = %q, %v; want %q, nil", len(want), p, err, want)
				}
			}
		})
	}
}

func is[T any](s impl.Store) bool {
	_, ok := s.(T)
	return ok
}
