package bench

import (
	"slices"
	"sync/atomic"
	"time"
)

// A Bystander is a goroutine that does nothing but sleep: it asks to wake
// Interval from now, records how late it woke (the wake time minus the
// time it asked for), and asks again. Its lateness is the scheduling delay
// that any goroutine of the process would see, and it grows when no P is
// free to run it: a goroutine stuck in a page fault keeps its P (its thread
// is in the kernel, but the runtime sees a running goroutine, which sysmon
// preempts only after its 10 ms time slice), while a goroutine blocked in a
// system call can have its P handed off by sysmon, once sysmon has seen the
// same call on two of its rounds (20 µs to 10 ms apart).
//
// The wait is a time.Sleep of a whole millisecond (BystanderInterval). Go's
// netpoller blocks in epoll_pwait, whose timeout is in milliseconds, and
// rounds anything shorter up to 1 ms: measured here, an idle probe asking
// for 50-500 µs woke 0.6-1.1 ms late at the median, the rounding and not
// the scheduler; asking for 1 ms, it woke about 0.1-0.15 ms late.
//
// Each sample is one wake-up: a stall of S blocks one sleep and gives one
// sample of about S, not S/Interval samples, so the percentiles are of
// wake-ups (what a periodic goroutine experiences), not of wall time, and a
// probe that is stalled most of the time records few samples.
//
// The probe's goroutine lives from NewBystander to Close and records only
// between Start and Stop, so that stretches a benchmark leaves out (with
// its timer stopped) are left out of the samples too. Samples go into a
// slice allocated up front: after NewBystander the probe allocates
// nothing. When the slice is full, further samples are counted in Dropped
// and not kept.
type Bystander struct {
	interval time.Duration
	lat      []time.Duration // samples; cap fixed by NewBystander
	dropped  int
	stop     atomic.Bool
	start    chan struct{} // Start: a stretch begins; closed by Close
	ack      chan struct{} // the goroutine is ready, has begun a stretch, or has ended one
	running  bool
}

// BystanderInterval is the probe's sleep; see Bystander for why 1 ms.
const BystanderInterval = time.Millisecond

// NewBystander returns a stopped probe that sleeps interval between samples
// and keeps up to capacity of them, with its goroutine started. Close ends
// the goroutine.
func NewBystander(interval time.Duration, capacity int) *Bystander {
	lat := make([]time.Duration, capacity)
	for i := 0; i < len(lat); i += 512 { // 4 KiB pages of 8-byte samples:
		lat[i] = 1 // fault the buffer in now, not while measuring
	}
	p := &Bystander{interval: interval, lat: lat[:0], start: make(chan struct{}), ack: make(chan struct{})}
	go p.loop()
	<-p.ack
	return p
}

func (p *Bystander) loop() {
	// The runtime allocates a goroutine's sleep timer on its first Sleep:
	// take that allocation now rather than in the first measured stretch.
	time.Sleep(time.Microsecond)
	p.ack <- struct{}{}
	for range p.start {
		p.ack <- struct{}{} // Start returns once this goroutine is about to sleep
		for {
			want := time.Now().Add(p.interval)
			time.Sleep(p.interval)
			late := time.Since(want) // monotonic clock
			if p.stop.Load() {
				break // this wake-up came after the stretch ended
			}
			if len(p.lat) < cap(p.lat) {
				p.lat = append(p.lat, late)
			} else {
				p.dropped++
			}
		}
		p.ack <- struct{}{}
	}
}

// Start begins a stretch of recording and returns when the probe has
// begun it: with GOMAXPROCS=1 the probe is then asleep, so a goroutine
// started after Start cannot keep it from taking its first sample's start
// time. Samples add to those of earlier stretches until Reset.
func (p *Bystander) Start() {
	if p.running {
		panic("bench: Bystander.Start on a running probe")
	}
	p.running = true
	p.stop.Store(false)
	p.start <- struct{}{}
	<-p.ack
}

// Stop ends the stretch and waits for the probe to acknowledge, which takes
// up to one interval plus the current lateness. The sleep under way when
// Stop is called is not recorded: it ends after the stretch measured. Stop
// on a stopped probe does nothing.
func (p *Bystander) Stop() {
	if !p.running {
		return
	}
	p.stop.Store(true)
	<-p.ack
	p.running = false
}

// Close stops the probe and ends its goroutine.
func (p *Bystander) Close() {
	p.Stop()
	close(p.start)
}

// Reset forgets every sample. The probe must be stopped.
func (p *Bystander) Reset() {
	p.lat, p.dropped = p.lat[:0], 0
}

// Samples returns the number of samples kept.
func (p *Bystander) Samples() int { return len(p.lat) }

// Dropped returns the number of samples that did not fit.
func (p *Bystander) Dropped() int { return p.dropped }

// Lateness returns the nearest-rank q-quantile of the samples (0 < q <= 1;
// 1 gives the maximum), or 0 when there are none. It sorts the samples in
// place; the probe must be stopped.
func (p *Bystander) Lateness(q float64) time.Duration {
	if p.running {
		panic("bench: Bystander.Lateness on a running probe")
	}
	slices.Sort(p.lat)
	return nearestRank(p.lat, q)
}

// nearestRank returns the smallest of the sorted samples with at least a
// share q of all samples at or below it, or 0 when there are none.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(float64(n)*q+0.999999999) - 1
	return sorted[min(max(i, 0), n-1)]
}
