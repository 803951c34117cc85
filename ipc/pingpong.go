package ipc

import (
	"fmt"
	"time"
)

// maxRounds keeps every value the changer stores below seqStop.
const maxRounds = 1 << 30

// changer is the measuring side of the ping-pong: it stores seq+1, waits
// for the monitor's seq+2 and records the round trip. The first warmup
// round trips are not recorded. At the end it stores seqStop.
func changer(w *waiter, rec *Recorder, warmup, rounds int) (err error) {
	defer catchRegion(&err)
	// time.Since on a time.Time with a monotonic reading costs one vDSO
	// clock read, as runtime.nanotime does (see runtime/time_nofake.go).
	epoch := time.Now()
	var seq uint32
	for i := range warmup + rounds {
		t0 := time.Since(epoch)
		w.post(seq + 1)
		if v := w.waitChange(seq + 1); v != seq+2 {
			return fmt.Errorf("ipc: %s: changer stored %d and read back %d, want %d: is another process using the record?", w.r, seq+1, v, seq+2)
		}
		if i >= warmup {
			rec.Add(time.Since(epoch) - t0)
		}
		seq += 2
	}
	w.post(seqStop)
	return nil
}

// monitor is the answering side: it waits for the changer's seq+1 and
// stores seq+2, until it reads seqStop. It returns the number of answers.
func monitor(w *waiter) (rounds int, err error) {
	defer catchRegion(&err)
	var seq uint32
	for {
		v := w.waitChange(seq)
		if v == seqStop {
			return rounds, nil
		}
		if v != seq+1 {
			return rounds, fmt.Errorf("ipc: %s: monitor expected %d after %d, read %d: is another process using the record?", w.r, seq+1, seq, v)
		}
		seq = v + 1
		w.post(seq)
		rounds++
	}
}
