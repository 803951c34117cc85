package ipc

import (
	"fmt"
	"strings"
)

// A Wait is how one side waits for the other's store to the ping-pong word.
type Wait int

// The strategies, by their names on the command line and in results.
const (
	WaitSpin      Wait = iota // "spin": atomic loads in a loop, one CPU busy per side
	WaitPoll                  // "poll": a load, then a sleep of the poll interval (the article's sleep(1))
	WaitFutex                 // "futex": FUTEX_WAIT on the word; the other side calls FUTEX_WAKE after its store
	WaitSpinFutex             // "spinfutex": spin a bounded number of loads, then FUTEX_WAIT
)

var waitNames = [...]string{"spin", "poll", "futex", "spinfutex"}

func (w Wait) String() string {
	if w < 0 || int(w) >= len(waitNames) {
		return fmt.Sprintf("Wait(%d)", int(w))
	}
	return waitNames[w]
}

// WaitNames returns the strategies' names.
func WaitNames() []string { return append([]string(nil), waitNames[:]...) }

// ParseWait returns the strategy called s.
func ParseWait(s string) (Wait, error) {
	for i, n := range waitNames {
		if s == n {
			return Wait(i), nil
		}
	}
	return 0, fmt.Errorf("ipc: unknown wait strategy %q: want one of %s", s, strings.Join(waitNames[:], ", "))
}

// Spins reports whether the strategy keeps a CPU busy while it waits, so
// that two waiters on one CPU would measure the scheduler.
func (w Wait) Spins() bool { return w == WaitSpin }

// Futex reports whether the strategy sleeps on the futex, which needs the
// word in shared memory.
func (w Wait) Futex() bool { return w == WaitFutex || w == WaitSpinFutex }
