package ipc

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// A plan is what the changer measures, and where it keeps it.
type plan struct {
	warmup  int       // round trips first, not timed
	samples int       // round trips timed one by one, into rt
	rt      *Recorder // per-round-trip samples
	batches *Recorder // batch durations; room for samples batches (K = 1)
	clock   float64   // one clock read, ns (ClockCost): sizes the batches
}

func newPlan(warmup, samples int) *plan {
	return &plan{warmup: warmup, samples: samples, rt: NewRecorder(samples), batches: NewRecorder(samples), clock: ClockCost()}
}

// A measurement is what the changer measured.
type measurement struct {
	Summary Summary // per round trip
	Batch   Batch
	Rounds  int // every round trip made, warm-up and calibration included
}

// changer is the measuring side of the ping-pong: it stores seq+1 and waits
// for the monitor's seq+2. After p.warmup round trips that are not timed,
// it times calibrationBatches pilot batches of calibrationK round trips to
// choose K, the round trips per batch (batchSize). Then it alternates a
// batch (K round trips timed with two clock reads in all) with K round
// trips timed one by one, until it has p.samples of each kind; alternating
// puts both kinds under the same conditions, so that a moment of noise
// (the host descheduling a vCPU) lands in both or neither. At the end it
// stores seqStop.
func changer(w *waiter, p *plan) (m measurement, err error) {
	defer catchRegion(&err)
	// time.Since on a time.Time with a monotonic reading costs one vDSO
	// clock read, as runtime.nanotime does (see runtime/time_nofake.go).
	epoch := time.Now()
	var seq uint32
	bad := func(seq, v uint32) error {
		return fmt.Errorf("ipc: %s: changer stored %d and read back %d, want %d: is another process using the record?", w.r, seq+1, v, seq+2)
	}
	var v uint32
	var ok bool
	if seq, v, ok = w.batch(seq, p.warmup); !ok {
		return m, bad(seq, v)
	}
	var cal [calibrationBatches]time.Duration
	for i := range cal {
		t0 := time.Since(epoch)
		if seq, v, ok = w.batch(seq, calibrationK); !ok {
			return m, bad(seq, v)
		}
		cal[i] = time.Since(epoch) - t0
	}
	slices.Sort(cal[:])
	k := batchSize(p.clock, median(cal[:]))
	nb := (p.samples + k - 1) / k
	m.Rounds = p.warmup + calibrationRounds
	for b := 0; b < nb || p.rt.Len() < p.samples; b++ {
		if b < nb {
			t0 := time.Since(epoch)
			if seq, v, ok = w.batch(seq, k); !ok {
				return m, bad(seq, v)
			}
			p.batches.Add(time.Since(epoch) - t0)
			m.Rounds += k
		}
		for range min(k, p.samples-p.rt.Len()) {
			t0 := time.Since(epoch)
			if v := w.exchange(seq + 1); v != seq+2 {
				return m, bad(seq, v)
			}
			p.rt.Add(time.Since(epoch) - t0)
			seq += 2
			m.Rounds++
		}
	}
	w.post(seqStop)
	m.Summary, m.Batch = p.rt.Summary(), p.batches.BatchSummary(k)
	return m, nil
}

// batch makes k round trips from seq: it stores seq+1, waits for seq+2,
// and so on. It returns the next seq, or, with ok false, the seq whose
// answer was wrong and the value read instead. A spinning waiter on a
// mapping does its exchange inline, a store and a load loop (exchange is
// too large for the compiler to inline): the batch is the row's figure,
// and a call per round trip is the harness's cost, not the memory's.
func (w *waiter) batch(seq uint32, k int) (next, v uint32, ok bool) {
	if w.spin {
		word := w.seq
		for range k {
			atomic.StoreUint32(word, seq+1)
			v = atomic.LoadUint32(word)
			for v == seq+1 {
				v = atomic.LoadUint32(word)
			}
			if v != seq+2 {
				return seq, v, false
			}
			seq += 2
		}
		return seq, v, true
	}
	for range k {
		if v = w.exchange(seq + 1); v != seq+2 {
			return seq, v, false
		}
		seq += 2
	}
	return seq, v, true
}

// monitor is the answering side: it waits for the changer's seq+1 and
// stores seq+2, until it reads seqStop. It returns the number of answers.
func monitor(w *waiter) (rounds int, err error) {
	defer catchRegion(&err)
	var seq uint32
	if w.spin && w.delay == 0 {
		// Spinning on a mapping: the answer is stored in the loop that
		// sees the question, with only the protocol's checks between
		// them (floor-bare's monitor, checks added). Through exchange, a
		// call per turn, the floor row measured 15% above floor-bare.
		word := w.seq
		for {
			v := atomic.LoadUint32(word)
			switch {
			case v == seq:
				continue
			case v == seqStop:
				return rounds, nil
			case v != seq+1:
				return rounds, fmt.Errorf("ipc: %s: monitor expected %d after %d, read %d: is another process using the record?", w.r, seq+1, seq, v)
			}
			seq = v + 1
			atomic.StoreUint32(word, seq)
			rounds++
		}
	}
	v := w.waitChange(seq)
	for {
		if v == seqStop {
			return rounds, nil
		}
		if v != seq+1 {
			return rounds, fmt.Errorf("ipc: %s: monitor expected %d after %d, read %d: is another process using the record?", w.r, seq+1, seq, v)
		}
		if w.delay > 0 {
			spinFor(w.delay)
		}
		seq = v + 1
		rounds++
		v = w.exchange(seq) // answer, and wait for the next
	}
}

// spinFor busy-waits d: a known delay added to every round trip, for the
// test that the batch figure measures what it should. It reads only the
// monotonic clock (time.Since of monoEpoch), one vDSO call per check, so
// that it overshoots d by about one clock read.
func spinFor(d time.Duration) {
	t0 := time.Since(monoEpoch)
	for time.Since(monoEpoch)-t0 < d {
	}
}

var monoEpoch = time.Now()
