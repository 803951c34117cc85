//go:build linux

package bench

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
)

const (
	// bystanderSize is the file the readers read cold: the quick profile's
	// 16MiB, already made for BenchmarkRead. A pass took 15-100 ms here, so
	// -benchtime=0.1s gives each row a few passes and about 100 wake-ups,
	// and -benchtime=1x one pass per row.
	bystanderSize  = 16 << 20
	bystanderBlock = 4 << 10
	// bystanderChunk is the unit of prefaulting: populate fills one chunk
	// right before reading it, willneed starts the read-ahead of the next.
	bystanderChunk = 1 << 20
	// bystanderIdleOp is one operation of the control row: a sleep, so
	// that the probe has the machine to itself.
	bystanderIdleOp = 10 * time.Millisecond
	// bystanderSamples bounds the samples of one run: 1 ms each, a
	// minute of timed passes.
	bystanderSamples = 1 << 16
)

type bystanderCase struct {
	backend    string // "none": the probe alone, its floor; "mmap" or "pread"
	mitigation string // "none", or for mmap "populate" or "willneed"
	readers    int
}

func (c bystanderCase) name() string {
	return fmt.Sprintf("backend=%s/mitigation=%s/readers=%d", c.backend, c.mitigation, c.readers)
}

func bystanderCases() []bystanderCase {
	cs := []bystanderCase{{"none", "none", 0}}
	for _, k := range []int{1, 2} {
		cs = append(cs,
			bystanderCase{"mmap", "none", k},
			bystanderCase{"mmap", "populate", k},
			bystanderCase{"mmap", "willneed", k},
			bystanderCase{"pread", "none", k})
	}
	return cs
}

// BenchmarkBystander measures how late a bystander goroutine (Bystander: a
// 1 ms sleep in a loop) wakes up while readers=K goroutines read a cold file
// through a mapping or with pread. A goroutine that faults on a mapped page
// keeps its P while its thread waits for the disk; one in pread can have
// its P handed off by sysmon, if the call blocks long enough for sysmon
// (which looks every 20 µs to 10 ms) to see it twice. So with GOMAXPROCS=1
// (go test -cpu 1,2; the names get -2 for 2), a faulting reader can keep
// the bystander from running until sysmon preempts it after a 10 ms time
// slice; so can a pread reader whose calls return from read-ahead pages
// before sysmon notices them.
//
// One op is one pass: the K readers each read their 1/K of the file
// sequentially in 4KiB blocks and consume every byte (Consume). Before each
// pass, with the timer stopped, the file is evicted and checked cold
// (Harness.MakeCold), and the probe records only during passes. The mitigations
// work on 1MiB chunks of each reader's share of the mapping:
// populate is madvise(MADV_POPULATE_READ) on a chunk right before reading
// it, a system call that waits for the disk with the P released;
// willneed is madvise(MADV_WILLNEED) on the next chunk before reading this
// one (and on the first before the pass), which starts read-ahead without
// waiting. backend=none is the control: no readers, the probe's floor.
//
// The access is sequential because, measured, a pseudo-random order of the
// blocks inside each chunk changed no bystander figure at GOMAXPROCS=1 (a
// mapping's fault reads around the block either way) but cut pread's
// throughput about four times by defeating read-ahead, a second effect in
// the pread row; and a scan is what chunk-wise prefaulting is made for.
//
// Metrics: wake-p50-usec, wake-p99-usec and wake-max-usec are the probe's
// lateness percentiles in microseconds and wake-samples their number (a
// stalled probe takes fewer samples); MB/s is the readers' throughput, and
// the meter's OS counters are per pass.
//
// The loop is a b.N loop, not b.Loop, on purpose: go test runs each
// sub-benchmark once before applying the -cpu value (golang.org/issue/49980),
// and a b.Loop benchmark measures everything in that first run, so the
// rows of the first -cpu value would be measured at the GOMAXPROCS of the
// previous one. With b.N, that first run is a one-pass probe that is
// thrown away, except under -benchtime=1x.
func BenchmarkBystander(b *testing.B) {
	for _, c := range bystanderCases() {
		b.Run(c.name(), func(b *testing.B) { runBystander(b, c) })
	}
}

func runBystander(b *testing.B, c bystanderCase) {
	probe := NewBystander(BystanderInterval, bystanderSamples)
	defer probe.Close()
	var m meter
	b.ReportAllocs()
	if c.readers == 0 {
		time.Sleep(time.Microsecond) // this goroutine's sleep timer is allocated now, not timed
		b.ResetTimer()
		m.resume(b)
		probe.Start()
		for range b.N {
			time.Sleep(bystanderIdleOp)
		}
		b.StopTimer()
		probe.Stop()
		m.pause(b)
		reportBystander(b, probe, m.total)
		return
	}

	s, err := impl.Open(c.backend, harness.SharedFile(b, bystanderSize), impl.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var view []byte
	if c.backend == "mmap" {
		if view, err = impl.View(s, 0, bystanderSize); err != nil {
			b.Fatal(err)
		}
	}
	done := make(chan error, c.readers)
	readers := make([]*bystanderReader, c.readers)
	for i := range readers {
		r := &bystanderReader{
			s: s, view: view, mitigation: c.mitigation,
			lo:    int64(i) * bystanderSize / int64(c.readers),
			hi:    int64(i+1) * bystanderSize / int64(c.readers),
			start: make(chan struct{}, 1), done: done,
		}
		if view == nil {
			r.buf = impl.AlignedBuffer(bystanderBlock)
			prefault(r.buf)
		}
		readers[i] = r
		go r.loop()
	}
	defer func() {
		for _, r := range readers {
			close(r.start)
		}
	}()

	b.SetBytes(bystanderSize)
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		harness.MakeCold(b, s)
		m.resume(b)
		probe.Start()
		b.StartTimer()
		for _, r := range readers {
			r.start <- struct{}{}
		}
		var first error
		for range readers { // all of them: the mapping must outlive every reader
			if err := <-done; err != nil && first == nil {
				first = err
			}
		}
		b.StopTimer()
		if first != nil {
			b.Fatal(first)
		}
		probe.Stop()
		m.pause(b)
	}
	reportBystander(b, probe, m.total)
	for _, r := range readers {
		bystanderSink += r.sum
	}
}

// bystanderSink keeps the readers' checksums alive.
var bystanderSink uint64

// reportBystander reports the counters per pass and the probe's lateness.
func reportBystander(b *testing.B, p *Bystander, total Counters) {
	total.Report(b, b.N)
	usec := func(q float64) float64 { return float64(p.Lateness(q)) / float64(time.Microsecond) }
	b.ReportMetric(usec(0.50), UnitWakeP50)
	b.ReportMetric(usec(0.99), UnitWakeP99)
	b.ReportMetric(usec(1), UnitWakeMax)
	b.ReportMetric(float64(p.Samples()), UnitWakeSamples)
	if p.Dropped() > 0 {
		b.Logf("the probe dropped %d samples beyond its %d", p.Dropped(), p.Samples())
	}
}

// bystanderReader is one reader goroutine, alive for a whole sub-benchmark:
// each value on start is a pass over [lo, hi), answered on done.
type bystanderReader struct {
	s          impl.Store
	view       []byte // the whole mapping, or nil for pread
	buf        []byte // pread's buffer
	mitigation string
	lo, hi     int64
	start      chan struct{}
	done       chan<- error
	sum        uint64
}

func (r *bystanderReader) loop() {
	for range r.start {
		r.done <- r.pass()
	}
}

func (r *bystanderReader) pass() error {
	if r.mitigation == "willneed" {
		if err := unix.Madvise(r.view[r.lo:min(r.lo+bystanderChunk, r.hi)], unix.MADV_WILLNEED); err != nil {
			return fmt.Errorf("madvise(MADV_WILLNEED): %w", err)
		}
	}
	for c := r.lo; c < r.hi; c += bystanderChunk {
		e := min(c+bystanderChunk, r.hi)
		switch r.mitigation {
		case "populate":
			if err := unix.Madvise(r.view[c:e], unix.MADV_POPULATE_READ); err != nil {
				return fmt.Errorf("madvise(MADV_POPULATE_READ; Linux 5.14+): %w", err)
			}
		case "willneed":
			if e < r.hi {
				if err := unix.Madvise(r.view[e:min(e+bystanderChunk, r.hi)], unix.MADV_WILLNEED); err != nil {
					return fmt.Errorf("madvise(MADV_WILLNEED): %w", err)
				}
			}
		}
		for off := c; off < e; off += bystanderBlock {
			if r.view != nil {
				r.sum += Consume(r.view[off : off+bystanderBlock])
				continue
			}
			if _, err := r.s.ReadAt(r.buf, off); err != nil && err != io.EOF {
				return err
			}
			r.sum += Consume(r.buf)
		}
	}
	return nil
}

// TestBystanderSeesHeldP is the probe's controlled case: with GOMAXPROCS=1,
// a goroutine spinning without a function call or a system call keeps the
// only P until sysmon preempts it (a 10 ms time slice), so the probe must
// report a far higher p99 than when the process is idle. The thresholds
// are relative and loose, and a busy machine gets three tries.
func TestBystanderSeesHeldP(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	const stretch = 150 * time.Millisecond
	for attempt := 1; ; attempt++ {
		idle, _ := probeStretch(stretch, false)
		held, n := probeStretch(stretch, true)
		if n > 0 && held >= 5*time.Millisecond && held >= 3*idle {
			t.Logf("p99 idle %v, with the P held %v (%d samples)", idle, held, n)
			return
		}
		if attempt == 3 {
			t.Fatalf("the probe does not see a held P: p99 idle %v, with the P held %v (%d samples); want at least 5ms and 3 times idle", idle, held, n)
		}
		t.Logf("attempt %d: p99 idle %v, with the P held %v (%d samples); retrying", attempt, idle, held, n)
	}
}

// probeStretch runs a probe for d, with a goroutine spinning meanwhile if
// spin, and returns its p99 and number of samples.
func probeStretch(d time.Duration, spin bool) (time.Duration, int) {
	p := NewBystander(BystanderInterval, 1024)
	defer p.Close()
	p.Start()
	var stop atomic.Bool
	spun := make(chan struct{})
	if spin {
		go func() {
			for !stop.Load() {
			}
			close(spun)
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	if spin {
		<-spun
	}
	p.Stop()
	return p.Lateness(0.99), p.Samples()
}

func TestBystanderStretches(t *testing.T) {
	p := NewBystander(BystanderInterval, 3)
	defer p.Close()
	for range 2 {
		p.Start()
		time.Sleep(10 * time.Millisecond)
		p.Stop()
	}
	if p.Samples() != 3 || p.Dropped() == 0 {
		t.Errorf("two 10ms stretches of 1ms wake-ups into room for 3: %d samples, %d dropped; want 3 and some", p.Samples(), p.Dropped())
	}
	if p.Lateness(0.5) <= 0 || p.Lateness(1) < p.Lateness(0.5) {
		t.Errorf("lateness p50 %v, max %v; want positive and ordered", p.Lateness(0.5), p.Lateness(1))
	}
	p.Reset()
	if p.Samples() != 0 || p.Dropped() != 0 || p.Lateness(0.99) != 0 {
		t.Errorf("after Reset: %d samples, %d dropped, p99 %v; want none", p.Samples(), p.Dropped(), p.Lateness(0.99))
	}
}

func TestNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	for _, tc := range []struct {
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{nil, 0.99, 0},
		{[]time.Duration{7}, 0.5, 7},
		{[]time.Duration{7}, 1, 7},
		{hundred, 0.5, 50},
		{hundred, 0.99, 99},
		{hundred, 1, 100},
		{hundred, 0.001, 1},
		{hundred[:10], 0.99, 10}, // rank ceil(9.9) = 10: with 10 samples p99 is the max
		{hundred[:10], 0.5, 5},
		{hundred[:3], 0.5, 2},
	} {
		if got := nearestRank(tc.sorted, tc.q); got != tc.want {
			t.Errorf("nearestRank(%d samples 1..%d, %v) = %v; want %v", len(tc.sorted), len(tc.sorted), tc.q, got, tc.want)
		}
	}
}
