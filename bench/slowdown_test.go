//go:build linux

package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aclements/go-moremath/stats"
	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// slowdownEnv is the test-only knob that calibrates the regression gate
// (mmapbench regress, scripts/calibrate-gate.sh, docs/gate.md): a known
// slowdown it must catch. MMAPBENCH_INJECT_SLOWDOWN=mmap:5% makes every
// operation of a single-goroutine case on the mmap backend take 5% longer
// than with mmap:0%, measured the way the case's loop times it: the whole
// iteration of Harness.Run's loop (the call, Consume, the loop's own
// bookkeeping, the hook), because the knob is the hook that loop runs
// after each op ([opHook]). Several backends are separated by commas
// (mmap:5%,pread:3%). mmap:0% installs the hook and never waits; unset,
// the hook is nil and the loop pays one nil check an op. Cases with
// threads>1 run another loop and are never slowed.
//
// The hook itself costs the op something (a call that spills the loop's
// registers, a counter, a clock read every 64 ops): about 2% of the gated
// mmap 4KiB row in one process (BenchmarkInjectedSlowdown's hook-%, 1.9%
// to 2.2%), and more across processes (+4.3% [+2.1%, +7.4%] in one gate
// run of that row, mmap:0% against no knob). A knob that takes its own
// cost off its waits cannot be exact when that cost is not known to a
// tenth of a nanosecond, and cannot realise less than it. So a
// calibration compares the knob at frac with the knob at 0% (the base
// binary gets mmap:0%): the difference is the waits alone, frac of the
// loop's time. The first knob sized a wait from the store's call alone and
// moved the row by 9.6% for 5%; the second, a Store wrapper, cost 3.6% of
// the op by itself and realised 4.6% for 3%.
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
			return nil, fmt.Errorf("%s=%q: %q: want backend:percent with a file backend, such as mmap:5%%", slowdownEnv, spec, part)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
		if err != nil || !strings.HasSuffix(pct, "%") || v < 0 || v > 1000 {
			return nil, fmt.Errorf("%s=%q: %q: want a percentage in [0%%, 1000%%]", slowdownEnv, spec, pct)
		}
		m[name] = v / 100
	}
	return m, nil
}

// opHook returns what Harness.Run's single-goroutine loop runs after
// each operation: nil (nothing, not even a call) unless the knob names the
// case's backend, or a delayer that makes the loop's iterations, as the
// loop times them, frac slower than with the hook at 0%.
func opHook(b *testing.B, c schema.Case) func() {
	m, err := slowdowns()
	if err != nil {
		b.Fatal(err)
	}
	frac, ok := m[c.Backend]
	if !ok || !backendOf(b, c).Has(impl.CapPersistent) {
		return nil
	}
	return newHook(frac, int(c.BS))
}

// newHook is the knob's hook for ops of n bytes: what opHook gives
// Harness.Run, and what BenchmarkInjectedSlowdown measures.
func newHook(frac float64, n int) func() {
	d := newDelayer(frac, monotonic, spin, spinRate())
	return func() { d.call(n) }
}

// A delayer makes a loop of calls frac slower, as the loop times itself.
//
// The calls come in windows of [window] calls. At the end of a window it
// reads the clock: the window's time is the loop's own, from the end of
// the last wait to this call (the store's calls, Consume, the loop around
// them, the hook's call and counter), and it then busy-waits frac of that time,
// until a deadline on the clock. The clock is read once a window, never
// around a call: a read costs about a tenth of a 4KiB copy from a mapping.
// A wait that ends late (the busy loop runs in chunks) is owed back by the
// next one, so over a benchmark the loop's time is (1 + frac) times its
// own. A window much longer than is typical (the timer stopped around a
// cold case's eviction, a preemption) counts as [outlier] typical windows,
// so that a pause outside the timed loop is not stretched into it.
//
// The wait is one stretch a window rather than a little after every call:
// the gate looks at each sample's mean time per op, which is the same
// either way, and a wait per call would need a clock read per call.
//
// The counters are plain fields: the gated rows read from one goroutine,
// and an atomic add per call would cost a measurable share of the op. With
// several goroutines on one store (threads>1 cases) a lost increment only
// moves a window's end, so the slowdown is approximate there.
type delayer struct {
	frac  float64
	now   func() int64 // nanoseconds, monotonic
	spin  func(int) uint64
	rate  float64 // spin's iterations per nanosecond, as measured before the run: sizes the chunks
	n     int     // the call length the window is for
	calls int     // calls in this window
	first bool    // this window began with the first call of its length: it includes what came before

	start   int64   // this window's start: the end of the last wait
	typical float64 // a window's usual duration, a moving average
	owed    float64 // ns of wait still to do: a late wait makes it negative
}

const (
	window  = 64 // calls between clock reads
	outlier = 4  // a window counts for at most this many typical ones
)

func newDelayer(frac float64, now func() int64, spin func(int) uint64, rate float64) *delayer {
	return &delayer{frac: frac, now: now, spin: spin, rate: rate, n: -1}
}

// call is run after each op of length n. The usual case is small enough
// to be inlined into the hook.
func (d *delayer) call(n int) {
	if n == d.n && d.calls < window-1 {
		d.calls++
		return
	}
	d.other(n)
}

// other is call's unusual case: a new length, or a window's last call.
func (d *delayer) other(n int) {
	if n != d.n {
		// Calls of another length start over: the warm-up read of
		// the whole file and the timed loop use different lengths.
		d.n, d.calls, d.first, d.typical, d.owed = n, 0, true, 0, 0
		d.start = d.now()
		return
	}
	if d.calls++; d.calls == window {
		d.endWindow()
	}
}

// endWindow waits frac of the window that ended, and starts the next.
func (d *delayer) endWindow() {
	t := d.now()
	own := float64(t - d.start)
	d.calls = 0
	if d.first {
		d.first, d.start = false, t
		return
	}
	if d.typical == 0 {
		d.typical = own
	}
	own = math.Min(own, outlier*d.typical)
	d.typical += (own - d.typical) / 16
	d.owed += d.frac * own
	end := t
	for d.owed > float64(end-t) {
		// Spin most of what is left, then look at the clock again:
		// the chunks shrink, and the last overshoot is small.
		left := d.owed - float64(end-t)
		d.spin(max(1, int(0.8*left*d.rate)))
		end = d.now()
	}
	d.owed -= float64(end - t)
	d.start = end
}

var clockStart = time.Now()

// monotonic is nanoseconds on the monotonic clock.
func monotonic() int64 { return int64(time.Since(clockStart)) }

// spinRate is the busy loop's iterations per nanosecond, measured once.
// It is only the delayer's first guess: its gain corrects it.
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
	if m, err := parseSlowdowns("mmap:0%"); err != nil || m["mmap"] != 0 || len(m) != 1 {
		t.Errorf("parseSlowdowns(mmap:0%%) = %v, %v; want map[mmap:0], nil (the hook alone)", m, err)
	}
	if m, err := parseSlowdowns(""); m != nil || err != nil {
		t.Errorf(`parseSlowdowns("") = %v, %v; want nil, nil`, m, err)
	}
	for _, bad := range []string{"mmap", "mmap:10", "mmap:-5%", "nosuch:10%", "null:10%", "mmap:x%", "mmap:1001%"} {
		if _, err := parseSlowdowns(bad); err == nil {
			t.Errorf("parseSlowdowns(%q) = nil error, want an error", bad)
		}
	}
}

// calibrateEnv lists the slowdowns BenchmarkInjectedSlowdown measures, as
// backend:percent separated by commas; unset, mmap at 3%, 5% and 10%.
const calibrateEnv = "MMAPBENCH_CALIBRATE_SLOWDOWNS"

// BenchmarkInjectedSlowdown measures the shift the knob really makes on
// the regression gate's row of a backend (warm sequential 4KiB copy reads,
// the smallest size): it runs the row's own timed loop (Harness.Run, as
// BenchmarkRead does) with AfterOp nil, with the knob's hook at 0% and at
// frac, in stretches of [stretchOps] ops (about 2ms here), three
// stretches an iteration in an order that rotates. Each stretch is a Run
// of its own, with a [stretchB] in place of the testing.B: the store
// opened and warmed outside the stretch's time, a new worker, a new
// delayer (as in each sample of a gate run). Neighbouring stretches share
// the machine's drift, which between two invocations is 10% and more
// here, so their ratios isolate the knob. It reports the median ratio
// frac ÷ 0% minus one as realised-%, with its 95% interval (order
// statistics) as lo-% and hi-%: the shift a calibration injects (its base
// runs mmap:0%). The first window of 64 ops of a stretch has no wait, so
// frac loses 0.4% of itself (3% would be 2.99% if nothing else moved;
// docs/gate.md has what it measures). hook-% is the median ratio 0% ÷ nil
// minus one, the hook's own cost. scripts/calibrate-gate.sh runs it with
// -benchtime 500x.
func BenchmarkInjectedSlowdown(b *testing.B) {
	if os.Getenv(slowdownEnv) != "" {
		b.Skipf("%s is set: the gated loop would be slowed already", slowdownEnv)
	}
	spec := os.Getenv(calibrateEnv)
	if spec == "" {
		spec = "mmap:3%,mmap:5%,mmap:10%"
	}
	for _, part := range strings.Split(spec, ",") {
		m, err := parseSlowdowns(part)
		if err != nil {
			b.Fatalf("%s: %v", calibrateEnv, err)
		}
		for name, frac := range m {
			c, ok := gatedCase(b, name)
			if !ok {
				b.Fatalf("%s: %s: the profile has no warm sequential 4KiB copy read of %s", calibrateEnv, part, name)
			}
			b.Run(fmt.Sprintf("backend=%s/frac=%g%%", name, 100*frac), func(b *testing.B) { realise(b, c, frac) })
		}
	}
}

// stretchOps is the length of one of BenchmarkInjectedSlowdown's
// stretches: 256 of the delayer's windows.
const stretchOps = 256 * window

// gatedCase is the gate's row of a backend in the current profile.
func gatedCase(b *testing.B, backend string) (schema.Case, bool) {
	for _, c := range currentProfile(b).readCases() {
		if c.Backend == backend && c.Access == schema.Copy && c.Pattern == schema.Seq && c.BS == 4096 &&
			c.Cache == schema.Warm && c.Advice == schema.AdviceNone && c.Threads == 1 {
			return c, true
		}
	}
	return schema.Case{}, false
}

func realise(b *testing.B, c schema.Case, frac float64) {
	stretch := func(hook func()) time.Duration {
		sb := &stretchB{B: b, ops: stretchOps}
		harness.Run(sb, c, OpRead, Options{AfterOp: hook})
		sb.cleanup()
		if sb.n != sb.ops {
			b.Fatalf("the loop stopped after %d of %d ops", sb.n, sb.ops)
		}
		return sb.elapsed
	}
	var realised, hook []float64 // log ratios frac/0% and 0%/nil
	for i := 0; b.Loop(); i++ {
		var t [3]time.Duration // nil, 0%, frac
		for k := range 3 {
			switch j := (i + k) % 3; j {
			case 0:
				t[j] = stretch(nil)
			case 1:
				t[j] = stretch(newHook(0, int(c.BS)))
			case 2:
				t[j] = stretch(newHook(frac, int(c.BS)))
			}
		}
		realised = append(realised, math.Log(float64(t[2])/float64(t[1])))
		hook = append(hook, math.Log(float64(t[1])/float64(t[0])))
	}
	slices.Sort(realised)
	ci := stats.QuantileCI(len(realised), 0.5, 0.95)
	med, lo, hi := ci.SampleCI(stats.Sample{Xs: realised, Sorted: true})
	b.ReportMetric(100*(math.Exp(med)-1), "realised-%")
	b.ReportMetric(100*(math.Exp(lo)-1), "lo-%")
	b.ReportMetric(100*(math.Exp(hi)-1), "hi-%")
	slices.Sort(hook)
	b.ReportMetric(100*(math.Exp(stats.Sample{Xs: hook, Sorted: true}.Quantile(0.5))-1), "hook-%")
	b.ReportMetric(0, "ns/op") // three stretches: not a figure
}

// A stretchB is the B that BenchmarkInjectedSlowdown gives Harness.Run:
// its Loop runs ops iterations and times them, from the first call to
// the last, as testing.B's Loop times a sample (its first call resets the
// timer). The case's metrics are dropped (they would be the outer
// benchmark's), and its cleanups (the store's Close) run when the
// stretch is over, not when the benchmark is. A warm case never stops
// the timer, so the timer calls are not needed either.
type stretchB struct {
	*testing.B // Helper, Fatal, Skip, Log, ...
	ops, n     int
	start      time.Time
	elapsed    time.Duration
	cleanups   []func()
}

func (s *stretchB) Loop() bool {
	if s.n == 0 {
		s.start = time.Now()
	}
	if s.n == s.ops {
		s.elapsed = time.Since(s.start)
		return false
	}
	s.n++
	return true
}

func (s *stretchB) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *stretchB) cleanup() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

func (s *stretchB) Elapsed() time.Duration       { return time.Since(s.start) }
func (s *stretchB) StartTimer()                  {}
func (s *stretchB) StopTimer()                   {}
func (s *stretchB) ResetTimer()                  {}
func (s *stretchB) ReportMetric(float64, string) {}
func (s *stretchB) SetBytes(int64)               {}
func (s *stretchB) ReportAllocs()                {}

// TestDelayerRealisesFrac runs the delayer on a simulated loop and clock:
// an op of 200ns with ±20% noise that becomes 300ns halfway through, a
// pause of 10ms outside the loop's work (a stopped timer), and a busy
// loop 30% slower than its measured rate. The loop's time must grow by
// frac of its own work, within a tenth of a point; 0% must not wait.
func TestDelayerRealisesFrac(t *testing.T) {
	for _, frac := range []float64{0, 0.03, 0.05, 0.10} {
		rng := rand.New(rand.NewPCG(1, 2))
		var clock, own float64 // simulated ns: all, and the loop's own work
		const rate = 2.0       // iterations per ns, as measured
		d := newDelayer(frac, func() int64 { return int64(clock) },
			func(n int) uint64 { clock += float64(n) / (0.7 * rate); return 0 }, rate)
		const calls = 200_000
		for i := range calls {
			op := 200.0
			if i >= calls/2 {
				op = 300
			}
			op *= 0.8 + 0.4*rng.Float64()
			clock += op
			own += op
			if i == calls/4 {
				clock += 10e6
			}
			d.call(4096)
		}
		got := (clock-10e6)/own - 1
		if math.Abs(got-frac) > 0.001 || frac == 0 && math.Abs(got) > 1e-9 {
			t.Errorf("mmap:%g%%: the loop took %+.3f%% longer than its own work, want %+.2f%% ± 0.1", 100*frac, 100*got, 100*frac)
		}
	}
}
