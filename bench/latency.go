package bench

import (
	"fmt"
	"math/bits"
)

// A LatencyHist is a histogram of latencies in nanoseconds with a fixed
// log-linear bucket layout (as HdrHistogram's, with 5 bits of precision):
// values below 64 have a bucket each; above, every octave [2^e, 2^(e+1))
// is cut into 32 equal buckets, so a bucket is at most 1/32 of its lower
// edge wide. That holds over the whole int64 range (1 ns to 292 years), so
// no value is clamped or lost, in 1888 buckets (15KiB). Record is a few
// instructions and allocates nothing; the quantiles are read after the
// timed loop.
//
// Quantile returns the upper edge of the bucket that holds the exact
// nearest-rank quantile of the recorded values (capped at the maximum): it
// is never below the exact quantile and exceeds it by less than 1/32 of it
// (values below 64 ns are exact). A tail percentile is thus never
// under-reported.
//
// The zero value is an empty histogram. A LatencyHist is not safe for
// concurrent use: each goroutine records into its own, and Merge combines
// them after.
type LatencyHist struct {
	counts [latencyBuckets]uint64
	count  uint64
	max    int64
}

const (
	// latencySubBits is the precision: 2^5 = 32 linear buckets per octave.
	latencySubBits = 5
	latencySub     = 1 << latencySubBits
	// The last bucket's index is that of MaxInt64: shift 63−6 = 57,
	// 57·32 + 63 (see latencyBucket).
	latencyBuckets = (63-latencySubBits-1)*latencySub + 2*latencySub
)

// latencyBucket returns the index of v's bucket. For v < 64 it is v. Above,
// with shift = bits.Len64(v) − 6 (≥ 1), v>>shift is in [32, 64): its top
// bit is the octave's and its lower 5 bits the linear sub-bucket, and
// shift·32 + v>>shift numbers the buckets consecutively (v = 64 gives
// 1·32 + 32 = 64, right after the exact ones). OR-ing 63 into v makes
// the shift 0 for every v < 64, without a branch.
func latencyBucket(v uint64) int {
	shift := bits.Len64(v|(2*latencySub-1)) - (latencySubBits + 1)
	return shift*latencySub + int(v>>shift)
}

// latencyBucketRange returns the smallest and largest value in bucket i.
func latencyBucketRange(i int) (lo, hi uint64) {
	shift := max(i/latencySub-1, 0)
	lo = uint64(i-shift*latencySub) << shift
	return lo, lo + 1<<shift - 1
}

// Record adds one latency of ns nanoseconds. A negative value (no
// monotonic clock gives one) is recorded as 0.
func (h *LatencyHist) Record(ns int64) {
	v := uint64(max(ns, 0))
	h.counts[latencyBucket(v)]++
	h.count++
	if ns > h.max {
		h.max = ns
	}
}

// Count returns the number of values recorded.
func (h *LatencyHist) Count() uint64 { return h.count }

// Max returns the largest value recorded, exactly, or 0 when there are
// none.
func (h *LatencyHist) Max() int64 { return h.max }

// Quantile returns the q-quantile of the values recorded (0 ≤ q ≤ 1) in
// nanoseconds, or 0 when there are none: the upper edge of the bucket that
// holds the nearest-rank quantile (the smallest recorded value with at
// least a share q of all values at or below it; the rank rule of
// nearestRank), capped at Max. It is at least the exact quantile and less
// than 33/32 of it. Quantile(1) is Max.
func (h *LatencyHist) Quantile(q float64) int64 {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("bench: LatencyHist.Quantile(%v): want 0 ≤ q ≤ 1", q))
	}
	if h.count == 0 {
		return 0
	}
	// The same rounding as nearestRank: q·n within 10^-9 of an integer
	// is that integer, so 0.07·100 is rank 7 and not 8.
	rank := min(max(uint64(float64(h.count)*q+0.999999999), 1), h.count)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			_, hi := latencyBucketRange(i)
			return min(int64(hi), h.max)
		}
	}
	panic("bench: LatencyHist counts below its count") // unreachable: the counts sum to count
}

// Merge adds every value recorded in o to h, as if h had recorded them.
func (h *LatencyHist) Merge(o *LatencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.count += o.count
	h.max = max(h.max, o.max)
}

// Reset empties h.
func (h *LatencyHist) Reset() { *h = LatencyHist{} }
