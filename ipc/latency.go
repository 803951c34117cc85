package ipc

import (
	"fmt"
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

// quantile returns the nearest-rank p-quantile of the sorted samples: the
// smallest sample with at least p of all samples at or below it.
func quantile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	i := int(float64(n)*p+0.999999999) - 1
	return sorted[min(max(i, 0), n-1)]
}

// A Summary is a distribution of one-way latencies in nanoseconds: round
// trips halved, so a half nanosecond is kept.
type Summary struct {
	Samples                  int
	P50, P90, P99, P999, Max float64
}

func (s Summary) String() string {
	return fmt.Sprintf("%d samples, one-way ns p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f", s.Samples, s.P50, s.P90, s.P99, s.P999, s.Max)
}
