package ipc

import (
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// futexTimeout bounds every FUTEX_WAIT, so that a lost wake-up or a dead
// peer costs a re-check, never a hang.
const futexTimeout = 100 * time.Millisecond

// A waiter waits for, and posts, new values of the ping-pong word.
type waiter struct {
	r       *Region
	kind    Wait
	poll    time.Duration // WaitPoll: the sleep between loads; 0 means sched_yield
	spins   int           // WaitSpinFutex: loads before sleeping
	seq     *uint32       // the ping-pong word, also the futex word (mapped regions only)
	waiters *uint32       // sleepers on seq, so that a post without sleepers costs no system call
	spin    bool          // spinning on a mapping: waitChange loads the word itself
	delay   time.Duration // monitor only: a busy wait before each answer (tests; zero otherwise)
}

func newWaiter(r *Region, kind Wait, poll time.Duration, spins int) (*waiter, error) {
	w := &waiter{r: r, kind: kind, poll: poll, spins: spins}
	if kind.Futex() && !r.Mapped() {
		return nil, fmt.Errorf("ipc: %s: wait strategy %s needs the word in shared memory; system-call backends can use spin or poll", r, kind)
	}
	if r.Mapped() {
		// The word itself, so that a spin is an inlined atomic load per
		// iteration rather than a call to Region.load32 (not inlinable).
		w.seq, w.waiters = r.word32(offSeq), r.word32(offWaiters)
		w.spin = kind == WaitSpin
	}
	return w, nil
}

// post stores v and wakes the other side if it sleeps. The store and the
// load of waiters are both sequentially consistent, and so are the
// sleeper's increment of waiters and the kernel's check of the word: either
// this side sees the sleeper, or the sleeper's FUTEX_WAIT sees v and
// returns at once.
func (w *waiter) post(v uint32) {
	if w.seq != nil {
		atomic.StoreUint32(w.seq, v)
	} else {
		w.r.store32(offSeq, v)
	}
	if w.kind.Futex() && atomic.LoadUint32(w.waiters) != 0 {
		futexWakeOne(w.seq)
	}
}

// exchange posts v and waits for the other side's answer: the word's next
// value. It is each side's whole turn of a round trip, one call: a
// spinning waiter on a mapping stores and loads the word itself, with
// nothing between its store and its first load (measured here: a post and
// a waitChange call per turn made the floor row 10–40% slower than the
// bare loop).
func (w *waiter) exchange(v uint32) uint32 {
	if w.spin {
		seq := w.seq
		atomic.StoreUint32(seq, v)
		for {
			if got := atomic.LoadUint32(seq); got != v {
				return got
			}
		}
	}
	w.post(v)
	return w.waitChange(v)
}

// waitChange waits until the word differs from old and returns its value.
// Spinning on a mapping is an inlined atomic load per iteration. (Inlining
// waitChange and post themselves made the spin rows slower here, 51 against
// 31 ns one way for the floor: a loop that reloads the line faster is not
// a faster loop.)
func (w *waiter) waitChange(old uint32) uint32 {
	if w.spin {
		seq := w.seq
		for {
			if v := atomic.LoadUint32(seq); v != old {
				return v
			}
		}
	}
	switch w.kind {
	case WaitSpin: // system calls: a mapping took waitChange's loop
		for {
			if v := w.r.load32(offSeq); v != old {
				return v
			}
		}
	case WaitPoll:
		for {
			if v := w.r.load32(offSeq); v != old {
				return v
			}
			if w.poll > 0 {
				// nanosleep itself, as the article's sleep(1) is, not
				// time.Sleep: the Go timer adds the scheduler's wake-up
				// to the interval (about 0.5 ms for 100 µs here).
				ts := unix.NsecToTimespec(int64(w.poll))
				unix.Nanosleep(&ts, nil)
			} else {
				unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			}
		}
	case WaitSpinFutex:
		for range w.spins {
			if v := atomic.LoadUint32(w.seq); v != old {
				return v
			}
		}
	}
	// WaitFutex, and WaitSpinFutex after its spins.
	for {
		if v := atomic.LoadUint32(w.seq); v != old {
			return v
		}
		atomic.AddUint32(w.waiters, 1)
		futexWaitTimeout(w.seq, old, futexTimeout)
		atomic.AddUint32(w.waiters, ^uint32(0))
	}
}
