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
// (mmapbench regress, scripts/calibrate-gate.sh): a known slowdown it must
// catch. MMAPBENCH_INJECT_SLOWDOWN=mmap:5% makes every operation of a
// single-goroutine case on the mmap backend take 5% longer, measured the
// way the case's loop times it: the whole iteration of runCase's loop
// (the call, Consume, the loop's own bookkeeping), because the knob is a
// hook that loop runs after each op ([opHook]). Several backends are
// separated by commas (mmap:5%,pread:3%). mmap:0% installs the hook and
// never waits: the hook's own cost, which a calibration measures
// (BenchmarkInjectedSlowdown). Unset, the hook is nil and the loop pays one
// nil check an op. Cases with threads>1 run another loop and are never
// slowed.
//
// The knob is a feedback loop ([delayer]) because a fixed wait sized from
// the store's call alone (the first knob) moved the gated row by 9.6% for
// 5%: the call is only part of the op, and the busy loop's speed is not
// the clock's. The second knob, a Store wrapper, realised 4.6% for 3%: the
// wrapper's own calls cost 3.6% of a 140ns op, more than it could pay
// back out of the wait.
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

// opHook returns what runCase's single-goroutine loop runs after each
// operation: nil (nothing, not even a call) unless the knob names the
// case's backend, or a delayer that makes the loop's iterations, as the
// loop times them, frac slower.
func opHook(b *testing.B, c schema.Case) func() {
	m, err := slowdowns()
	if err != nil {
		b.Fatal(err)
	}
	frac, ok := m[c.Backend]
	if !ok || !backendOf(b, c).Has(impl.CapPersistent) {
		return nil
	}
	costs, err := hookCosts()
	if err != nil {
		b.Fatal(err)
	}
	hook, _ := newHook(frac, costs[c.Backend], int(c.BS))
	return hook
}

// newHook is the knob's hook for ops of n bytes and the delayer it runs:
// what opHook gives runCase, and what BenchmarkInjectedSlowdown measures.
func newHook(frac, cost float64, n int) (func(), *delayer) {
	d := newDelayer(frac, monotonic, spin, spinRate())
	d.cost = cost
	return func() { d.call(n) }, d
}

// costEnv tells the knob what its hook costs an op, in ns, as
// BenchmarkInjectedSlowdown at 0% measures it (its hook-ns):
// MMAPBENCH_INJECT_COST=mmap:0.8ns. The knob waits that much less, so that
// the slowdown includes its own cost. Unset, the cost is taken as 0 and
// the row slows by frac plus the hook's cost. The cost is measured outside
// the gate's runs because measuring it inside each one would take longer
// than the run's samples to reach a tenth of a nanosecond.
const costEnv = "MMAPBENCH_INJECT_COST"

var hookCosts = sync.OnceValues(func() (map[string]float64, error) {
	return parseCosts(os.Getenv(costEnv))
})

// parseCosts parses "backend:<ns>ns[,backend:<ns>ns]".
func parseCosts(spec string) (map[string]float64, error) {
	m := map[string]float64{}
	if spec == "" {
		return m, nil
	}
	for _, part := range strings.Split(spec, ",") {
		name, ns, ok := strings.Cut(part, ":")
		v, err := strconv.ParseFloat(strings.TrimSuffix(ns, "ns"), 64)
		if _, lerr := impl.Lookup(name); !ok || lerr != nil || err != nil || !strings.HasSuffix(ns, "ns") || v < 0 || v > 1000 {
			return nil, fmt.Errorf("%s=%q: %q: want backend:<ns>ns with ns in [0, 1000], such as mmap:6.1ns", costEnv, spec, part)
		}
		m[name] = v
	}
	return m, nil
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

	cost float64 // ns the hook adds to an op, as BenchmarkInjectedSlowdown measures it

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
// to be inlined into the hook: the hook's cost is part of what the knob
// adds.
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
	// own is window·(op + cost); the loop without the hook would
	// take own - window·cost, and should take (1+frac) times that.
	d.owed += d.frac*own - (1+d.frac)*window*d.cost
	d.owed = math.Max(d.owed, -own) // frac too small to pay for the hook: do not bank it
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

func TestParseCosts(t *testing.T) {
	if m, err := parseCosts("mmap:6.1ns,pread:0ns"); err != nil || m["mmap"] != 6.1 || m["pread"] != 0 || len(m) != 2 {
		t.Errorf("parseCosts(mmap:6.1ns,pread:0ns) = %v, %v", m, err)
	}
	for _, bad := range []string{"mmap", "mmap:6", "mmap:-1ns", "nosuch:1ns", "mmap:xns", "mmap:2000ns"} {
		if _, err := parseCosts(bad); err == nil {
			t.Errorf("parseCosts(%q) = nil error, want an error", bad)
		}
	}
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
// the smallest size): it runs the row's own loop body (worker.step, then
// the hook if there is one, as runCase does) with the hook nil and with
// the knob's hook, in alternating stretches of [stretchOps] ops (about 2ms
// here), one pair of stretches an iteration, the first of a pair
// alternating. Neighbouring stretches share the machine's drift, which
// between two invocations is 10% and more here, so their ratio isolates
// the knob. The delayer starts over with each stretch, as with each
// sample (otherwise its window would span the plain stretch and pay for
// it), which leaves the first window of 64 ops without a wait: 3% realises
// 2.99%. It reports the median ratio of the pairs minus one as realised-%,
// with its 95% interval (order statistics) as lo-% and hi-%, and the
// median ns an op gained as hook-ns: at 0% the hook's own cost, which
// MMAPBENCH_INJECT_COST then takes off the knob's waits.
// scripts/calibrate-gate.sh runs it with -benchtime 500x.
func BenchmarkInjectedSlowdown(b *testing.B) {
	if os.Getenv(slowdownEnv) != "" {
		b.Skipf("%s is set: the gated loop would be slowed already", slowdownEnv)
	}
	spec := os.Getenv(calibrateEnv)
	if spec == "" {
		spec = "mmap:3%,mmap:5%,mmap:10%"
	}
	costs, err := hookCosts()
	if err != nil {
		b.Fatal(err)
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
			b.Run(fmt.Sprintf("backend=%s/frac=%g%%", name, 100*frac), func(b *testing.B) { realise(b, c, frac, costs[name]) })
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

func realise(b *testing.B, c schema.Case, frac, cost float64) {
	s, _ := harness.Open(b, c)
	knob, d := newHook(frac, cost, int(c.BS))
	// One worker for both: its buffer's alignment moves a 4KiB copy by
	// more than the knob's smallest setting, and differs between two.
	w := NewWorker(s, nil, c, OpRead, 0)
	stretch := func(hook func()) time.Duration {
		t := time.Now()
		for range stretchOps {
			if err := w.Step(); err != nil { // a pass wraps inside, as in runCase
				b.Fatal(err)
			}
			if hook != nil { // as runCase calls it
				hook()
			}
		}
		return time.Since(t)
	}
	var logs, added []float64
	for i := 0; b.Loop(); i++ {
		d.n = -1 // a new stretch: the delayer starts over, as in a new sample
		var tp, ts time.Duration
		if i%2 == 0 {
			tp, ts = stretch(nil), stretch(knob)
		} else {
			ts, tp = stretch(knob), stretch(nil)
		}
		logs = append(logs, math.Log(float64(ts)/float64(tp)))
		added = append(added, float64(ts-tp)/stretchOps)
	}
	slices.Sort(logs)
	ci := stats.QuantileCI(len(logs), 0.5, 0.95)
	med, lo, hi := ci.SampleCI(stats.Sample{Xs: logs, Sorted: true})
	b.ReportMetric(100*(math.Exp(med)-1), "realised-%")
	b.ReportMetric(100*(math.Exp(lo)-1), "lo-%")
	b.ReportMetric(100*(math.Exp(hi)-1), "hi-%")
	slices.Sort(added)
	b.ReportMetric(stats.Sample{Xs: added, Sorted: true}.Quantile(0.5), "hook-ns") // at 0%, the hook's cost
	b.ReportMetric(0, "ns/op")                                                     // a pair of stretches: not a figure
}

// TestDelayerRealisesFrac runs the delayer on a simulated loop and clock:
// an op of 200ns with ±20% noise that becomes 300ns halfway through, a
// hook that adds 6ns a call (and says so), a pause of 10ms outside the
// loop's work (a stopped timer), and a busy loop 30% slower than its
// measured rate. The loop's time must grow by frac of its own work without
// the hook, within a tenth of a point; 0% must not wait.
func TestDelayerRealisesFrac(t *testing.T) {
	for _, frac := range []float64{0, 0.03, 0.05, 0.10} {
		rng := rand.New(rand.NewPCG(1, 2))
		var clock, own float64 // simulated ns: all, and the loop's own work
		const rate = 2.0       // iterations per ns, as measured
		d := newDelayer(frac, func() int64 { return int64(clock) },
			func(n int) uint64 { clock += float64(n) / (0.7 * rate); return 0 }, rate)
		const cost = 6
		d.cost = cost
		const calls = 200_000
		for i := range calls {
			op := 200.0
			if i >= calls/2 {
				op = 300
			}
			op *= 0.8 + 0.4*rng.Float64()
			clock += op + cost
			own += op
			if i == calls/4 {
				clock += 10e6
			}
			d.call(4096)
		}
		got := (clock-10e6)/own - 1
		if frac == 0 {
			frac = cost / 250.0 // the hook's cost, all of it
		}
		if math.Abs(got-frac) > 0.001 {
			t.Errorf("mmap:%g%%: the loop took %+.3f%% longer than its own work, want %+.2f%% ± 0.1", 100*frac, 100*got, 100*frac)
		}
	}
}
