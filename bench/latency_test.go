package bench

import (
	"math"
	"slices"
	"testing"
	"time"
	_ "unsafe" // for go:linkname
)

// TestLatencyHistBuckets checks the bucket layout: every value falls in a
// bucket whose range holds it, the buckets tile the int64 range with no gap
// or overlap, and each is at most 1/32 of its lower edge wide (exact below
// 64), the error bound Quantile promises.
func TestLatencyHistBuckets(t *testing.T) {
	prevHi := uint64(0)
	for i := range latencyBuckets {
		lo, hi := latencyBucketRange(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d; want %d, right after bucket %d", i, lo, prevHi+1, i-1)
		}
		if w := hi - lo + 1; lo < 64 && w != 1 || lo >= 64 && w > lo/32 {
			t.Fatalf("bucket %d [%d, %d] is %d wide: more than 1/32 of %d", i, lo, hi, w, lo)
		}
		prevHi = hi
	}
	if prevHi != math.MaxInt64 {
		t.Fatalf("the last bucket ends at %d; want MaxInt64", prevHi)
	}
	check := func(v uint64) {
		i := latencyBucket(v)
		if i < 0 || i >= latencyBuckets {
			t.Fatalf("latencyBucket(%d) = %d, outside [0, %d)", v, i, latencyBuckets)
		}
		if lo, hi := latencyBucketRange(i); v < lo || v > hi {
			t.Fatalf("latencyBucket(%d) = %d, whose range is [%d, %d]", v, i, lo, hi)
		}
	}
	for v := range uint64(1 << 16) {
		check(v)
	}
	for e := range 63 {
		check(1<<e - 1)
		check(1 << e)
		check(1<<e + 1)
	}
	check(math.MaxInt64)
	r := NewRand(1)
	for range 100_000 {
		check(r.Uint64() >> (1 + r.Uint64N(63)))
	}
}

// synthetic latencies in nanoseconds, seeded, as a test would see them.
func latencySamples(kind string, n int) []int64 {
	r := NewRand(2)
	s := make([]int64, n)
	for i := range s {
		u := r.Float64()
		switch kind {
		case "uniform": // 1µs … 1ms
			s[i] = 1000 + int64(u*999_000)
		case "exponential": // mean 50µs
			s[i] = int64(-50_000 * math.Log1p(-u))
		case "bimodal": // 99.5% near 20µs, the last 0.5% outliers of 5–15ms
			if i < n-n/200 {
				s[i] = 18_000 + int64(u*4000)
			} else {
				s[i] = 5_000_000 + int64(u*10_000_000)
			}
		case "constant":
			s[i] = 5000
		case "1ns-100s": // log-uniform over the range the histogram is for
			s[i] = int64(math.Exp(u * math.Log(1e11)))
		}
	}
	return s
}

var latencyQuantiles = []float64{0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.995, 0.99501, 0.999, 0.9999, 1}

// TestLatencyHistQuantiles checks Quantile on synthetic latencies against
// the exact nearest-rank quantile of the sorted samples (nearestRank, the
// bystander's): never below it, above it by less than 1/32 of it. The
// bimodal case has its outliers at exactly the top 0.5%, so p99.5 must be
// in the main mode and the next rank an outlier.
func TestLatencyHistQuantiles(t *testing.T) {
	const n = 100_000
	for _, kind := range []string{"uniform", "exponential", "bimodal", "constant", "1ns-100s"} {
		t.Run(kind, func(t *testing.T) {
			s := latencySamples(kind, n)
			var h LatencyHist
			for _, v := range s {
				h.Record(v)
			}
			sorted := make([]time.Duration, n)
			for i, v := range s {
				sorted[i] = time.Duration(v)
			}
			slices.Sort(sorted)
			if h.Count() != n || h.Max() != int64(sorted[n-1]) {
				t.Fatalf("Count, Max = %d, %d; want %d, %d", h.Count(), h.Max(), n, sorted[n-1])
			}
			for _, q := range latencyQuantiles {
				got, exact := h.Quantile(q), int64(nearestRank(sorted, q))
				if got < exact || 32*(got-exact) >= max(exact, 1) && got != exact {
					t.Errorf("Quantile(%v) = %d; exact %d: want within [exact, exact·33/32)", q, got, exact)
				}
				if kind == "constant" && got != 5000 {
					t.Errorf("Quantile(%v) of a constant 5000 = %d; want 5000 (capped at Max)", q, got)
				}
			}
			if kind == "bimodal" {
				if p := h.Quantile(0.995); p > 1_000_000 {
					t.Errorf("p99.5 = %d ns: an outlier, though outliers are only the top 0.5%%", p)
				}
				if p := h.Quantile(0.99501); p < 5_000_000 {
					t.Errorf("p99.501 = %d ns: in the main mode, though the top 0.5%% are outliers of 5ms or more", p)
				}
			}
		})
	}
}

func TestLatencyHistMergeEqualsRecordingBoth(t *testing.T) {
	a, b := latencySamples("exponential", 10_000), latencySamples("bimodal", 7_000)
	var ha, hb, both LatencyHist
	for _, v := range a {
		ha.Record(v)
		both.Record(v)
	}
	for _, v := range b {
		hb.Record(v)
		both.Record(v)
	}
	ha.Merge(&hb)
	if ha != both {
		t.Errorf("Merge: counts %d, max %d; recording both: %d, %d (or the buckets differ)", ha.Count(), ha.Max(), both.Count(), both.Max())
	}
	var empty LatencyHist
	empty.Merge(&both)
	if empty != both {
		t.Error("merging into an empty histogram differs from the one merged")
	}
	both.Reset()
	if both != (LatencyHist{}) {
		t.Error("Reset left values recorded")
	}
}

func TestLatencyHistEmptyAndEdges(t *testing.T) {
	var h LatencyHist
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Count() != 0 {
		t.Errorf("empty: Quantile(0.5), Max, Count = %d, %d, %d; want 0, 0, 0", h.Quantile(0.5), h.Max(), h.Count())
	}
	h.Record(-5) // recorded as 0
	h.Record(math.MaxInt64)
	if h.Quantile(0.5) != 0 || h.Quantile(1) != math.MaxInt64 || h.Count() != 2 {
		t.Errorf("{-5, MaxInt64}: p50 %d, p100 %d, count %d; want 0, MaxInt64, 2", h.Quantile(0.5), h.Quantile(1), h.Count())
	}
	for _, q := range []float64{-0.01, 1.01, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Quantile(%v) did not panic", q)
				}
			}()
			h.Quantile(q)
		}()
	}
}

func TestLatencyHistRecordDoesNotAllocate(t *testing.T) {
	h := new(LatencyHist)
	v := int64(12345)
	if a := testing.AllocsPerRun(1000, func() { h.Record(v); v += 977 }); a != 0 {
		t.Errorf("Record allocates %v times per value; want 0", a)
	}
}

// BenchmarkRecord is the cost of one Record (ns/op), on latencies spread
// like a cold read's (exponential, mean 50µs) so the buckets touched vary.
func BenchmarkRecord(b *testing.B) {
	vals := latencySamples("exponential", 4096)
	h := new(LatencyHist)
	i := 0
	for b.Loop() {
		h.Record(vals[i&4095])
		i++
	}
	if h.Count() == 0 {
		b.Fatal("nothing recorded")
	}
}

// nanotime is the runtime's monotonic clock, what time.Now's monotonic
// reading and time.Since read (a vDSO clock_gettime on Linux); time.Now
// also reads the wall clock. The runtime keeps this linkname for the
// packages that use it.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var clockSink int64

// BenchmarkClock is what timing one operation costs here (ns/op is per
// timed op): the pair of clock reads around it, by time.Now and
// time.Since, by the runtime's nanotime, and with the Record into a
// histogram that tail latency adds.
func BenchmarkClock(b *testing.B) {
	b.Run("clock=time.Now+Since", func(b *testing.B) {
		var s time.Duration
		for b.Loop() {
			t0 := time.Now()
			s += time.Since(t0)
		}
		clockSink += int64(s)
	})
	b.Run("clock=nanotime-pair", func(b *testing.B) {
		var s int64
		for b.Loop() {
			t0 := nanotime()
			s += nanotime() - t0
		}
		clockSink += s
	})
	b.Run("clock=time.Now+Since+Record", func(b *testing.B) {
		h := new(LatencyHist)
		for b.Loop() {
			t0 := time.Now()
			h.Record(int64(time.Since(t0)))
		}
		clockSink += h.Max()
	})
	b.Run("clock=nanotime-pair+Record", func(b *testing.B) {
		h := new(LatencyHist)
		for b.Loop() {
			t0 := nanotime()
			h.Record(nanotime() - t0)
		}
		clockSink += h.Max()
	})
}
