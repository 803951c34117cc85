package ipc

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// A Recorder holds round-trip samples in a slice allocated up front, so that
// recording allocates nothing and never triggers the garbage collector in
// the middle of a measurement.
type Recorder struct {
	samples []time.Duration
}

// NewRecorder returns a recorder with room for n samples. It writes to every
// page of the buffer, so that the page faults of a large buffer happen now
// and not in the measured loop, where they would count as its faults.
func NewRecorder(n int) *Recorder {
	s := make([]time.Duration, n)
	for i := 0; i < n; i += 512 { // 4 KiB pages of 8-byte samples
		s[i] = 1
	}
	return &Recorder{samples: s[:0]}
}

// Add records d. Samples beyond the capacity are dropped, never allocated.
func (r *Recorder) Add(d time.Duration) {
	if len(r.samples) < cap(r.samples) {
		r.samples = append(r.samples, d)
	}
}

// Len returns the number of samples recorded.
func (r *Recorder) Len() int { return len(r.samples) }

// Summary sorts the samples and returns their distribution, halved: the
// samples are round trips, the summary is of one-way latency.
func (r *Recorder) Summary() Summary {
	slices.Sort(r.samples)
	s := Summary{Samples: len(r.samples)}
	if s.Samples == 0 {
		return s
	}
	q := func(p float64) float64 { return float64(quantile(r.samples, p)) / 2 }
	s.P50, s.P90, s.P99, s.P999 = q(0.50), q(0.90), q(0.99), q(0.999)
	s.Max = float64(r.samples[len(r.samples)-1]) / 2
	return s
}

// BatchSummary sorts the samples, each the duration of k round trips timed
// as one batch, and returns the median batch as one-way latency: its
// duration divided by 2k.
func (r *Recorder) BatchSummary(k int) Batch {
	b := Batch{RoundTrips: k, Batches: len(r.samples)}
	if b.Batches == 0 || k <= 0 {
		return b
	}
	slices.Sort(r.samples)
	b.OneWay = float64(median(r.samples)) / float64(2*k)
	return b
}

// quantile returns the nearest-rank p-quantile of the sorted samples: the
// smallest sample with at least p of all samples at or below it.
func quantile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	i := int(float64(n)*p+0.999999999) - 1
	return sorted[min(max(i, 0), n-1)]
}

// median returns the median of the sorted samples, the mean of the middle
// two for an even count.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// A Summary is a distribution of one-way latencies in nanoseconds: round
// trips halved, so a half nanosecond is kept. Each round trip is timed by
// two clock reads of its own, so every sample carries the cost of one read
// (see [ClockCost]); the figures are raw, with nothing subtracted.
type Summary struct {
	Samples                  int
	P50, P90, P99, P999, Max float64
}

func (s Summary) String() string {
	return fmt.Sprintf("%d samples, one-way ns p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f", s.Samples, s.P50, s.P90, s.P99, s.P999, s.Max)
}

// A Batch is the batch-timed one-way latency of a row: RoundTrips round trips
// timed with two clock reads in all, divided by twice their number, the
// median over Batches such batches. The clock's cost is spread over the
// whole batch, so the figure is what the memory and the waiter cost, not
// the instrument.
type Batch struct {
	OneWay     float64 // ns: median batch duration / (2 × RoundTrips)
	RoundTrips int     // round trips per batch (K)
	Batches    int
}

// ClockShare returns the share of a median batch that one clock read takes,
// for a clock read costing clock ns: what the clock adds to the batch figure.
func (b Batch) ClockShare(clock float64) float64 {
	if b.OneWay <= 0 || b.RoundTrips <= 0 {
		return math.NaN()
	}
	return clock / (b.OneWay * 2 * float64(b.RoundTrips))
}

// clockShareInverse is the inverse of the largest share of a batch the
// clock may take by the estimate that sizes the batch: 1/200, half of the
// 1% the figure allows, so that an estimate of the round trip twice too
// long still keeps the clock under 1% of the batch.
const clockShareInverse = 200

// The changer sizes its batches from calibrationBatches pilot batches of
// calibrationK round trips each, timed as batches are: the median pilot
// is the estimate of a round trip in the batch loop itself. (Round trips
// timed one by one are no estimate: here they take twice as long as in a
// batch, well beyond the clock read they carry.)
const (
	calibrationBatches = 7
	calibrationK       = 16
	calibrationRounds  = calibrationBatches * calibrationK
)

// batchSize returns K, the round trips per batch that make one clock read
// (clock ns) at most 1/clockShareInverse of the batch, given the median
// pilot batch of calibrationK round trips (which includes a clock read:
// subtracted here, so that the estimate of the round trip errs short and K
// errs large).
func batchSize(clock float64, pilot time.Duration) int {
	rt := math.Max((float64(pilot)-clock)/calibrationK, 1)
	return max(1, int(math.Ceil(clock*clockShareInverse/rt)))
}

// ClockCost returns the cost of one clock read as the ping-pong makes it
// (time.Since of a monotonic time, one vDSO clock_gettime), in nanoseconds:
// the difference of back-to-back reads, which is exactly what a clock read
// adds to an interval timed by two of them. The clock may tick coarser than
// a read takes (10 ns steps on the reference VM, against reads of about
// 25 ns), so a single difference is 20 or 30 there and their median would
// be one of the steps; the mean of 100 differences is not quantised, and
// the median of 101 such means ignores a chunk the scheduler interrupted.
func ClockCost() float64 {
	const chunks, pairs = 101, 100
	means := make([]float64, chunks)
	epoch := time.Now()
	for c := range means {
		var sum time.Duration
		for range pairs {
			t1 := time.Since(epoch)
			t2 := time.Since(epoch)
			sum += t2 - t1
		}
		means[c] = float64(sum) / pairs
	}
	slices.Sort(means)
	return means[chunks/2]
}
