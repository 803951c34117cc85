package ipc

import (
	"fmt"
	"io"
	"time"

	"github.com/mmapbench/mmapbench/internal/badusage"
)

// ErrUsage is wrapped by every error that is the caller's fault (an unknown
// name, an impossible combination, a bad number), as opposed to a failed
// measurement; mmapbench exits with status 2 for it. It is badusage.Err, the
// same value as oom.ErrUsage.
var ErrUsage = badusage.Err

func usageError(format string, args ...any) error {
	return fmt.Errorf("ipc: "+format+": %w", append(args, ErrUsage)...)
}

// Config describes one latency measurement: one backend, one wait strategy.
type Config struct {
	Backend string
	Wait    Wait

	Samples int           // round trips recorded; positive
	Warmup  int           // round trips before them, not recorded; zero or more
	Poll    time.Duration // WaitPoll: sleep between loads; 0 means sched_yield; never negative
	Spins   int           // WaitSpinFutex: loads before sleeping; positive

	// Writeback, if positive, has the driver call fdatasync on the shared
	// object every Writeback while the ping-pong runs: a third party
	// forcing write-back of the file's dirty page, which write-protects it.
	Writeback time.Duration

	// delay has the monitor busy-wait this long before each answer: a
	// known cost added to every round trip, so that a test can check that
	// the batch figure measures it. Unexported: results are never run so.
	delay time.Duration

	Dir     string        // parent of the run's private directory ("" for the system temp dir)
	Timeout time.Duration // for the whole run; the children are killed after it
	Log     io.Writer     // progress messages (child pids, CPUs); nil for none
}

// DefaultSpins is the spinfutex default: about 10 µs of loads before the
// futex.
const DefaultSpins = 4000

// Name returns the result's benchmark name, without the "Benchmark" prefix
// and parent name: "backend=mmap/wait=spin". A poll strategy carries its
// interval ("wait=poll/interval=100us"), the lower bound it puts on
// latency, and the writeback mode its period ("/writeback=100ms").
func (c Config) Name() string { return "backend=" + c.Backend + "/wait=" + c.WaitLabel() }

// WaitLabel is the part of Name after "wait=": "spin", "poll/interval=1ms".
func (c Config) WaitLabel() string {
	n := c.Wait.String()
	if c.Wait == WaitPoll {
		n += "/interval=" + FormatDuration(c.Poll)
	}
	if c.Writeback > 0 {
		n += "/writeback=" + FormatDuration(c.Writeback)
	}
	return n
}

// Validate reports what is wrong with c before anything runs. Every error
// wraps ErrUsage.
func (c Config) Validate() error {
	b, err := LookupBackend(c.Backend)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrUsage)
	}
	switch {
	case c.Wait < 0 || int(c.Wait) >= len(waitNames):
		return usageError("wait strategy %d out of range", int(c.Wait))
	case c.Samples <= 0:
		return usageError("samples %d: want at least one round trip", c.Samples)
	case 2*c.Samples+c.Warmup > maxRounds/2:
		// Every sample is timed twice, once alone and once in a batch,
		// and a batch may round the count up.
		return usageError("samples %d plus warm-up %d: want twice the samples plus the warm-up at most %d round trips", c.Samples, c.Warmup, maxRounds/2)
	case c.Warmup < 0:
		return usageError("warm-up %d: want zero or more round trips", c.Warmup)
	case c.Poll < 0:
		return usageError("poll interval %v: want zero (sched_yield) or more", c.Poll)
	case c.Wait == WaitSpinFutex && c.Spins <= 0:
		return usageError("spins %d: spinfutex wants a positive number of loads before the futex", c.Spins)
	case c.Writeback < 0:
		return usageError("writeback interval %v: want zero (off) or more", c.Writeback)
	case c.Timeout <= 0:
		return usageError("timeout %v: want a positive duration", c.Timeout)
	case c.Wait.Futex() && !b.Mapped:
		return usageError("backend %s with wait %s: a futex needs the word in shared memory, and %s reads and writes it with system calls; use spin or poll", b.Name, c.Wait, b.Name)
	case b.SpinOnly && c.Wait != WaitSpin:
		return usageError("backend %s with wait %s: %s is a bare spin loop and has no wait strategy; use spin", b.Name, c.Wait, b.Name)
	case c.Writeback > 0 && !b.Writable():
		return usageError("writeback with backend %s: it has no file descriptor to fdatasync", b.Name)
	}
	cpus, err := CPUs()
	if err != nil {
		return err
	}
	if len(cpus) < 2 && c.Wait.Spins() {
		return usageError("wait %s with one CPU (%v): two spinners on one CPU take turns at the scheduler's time slice, so the result would measure the scheduler (milliseconds), not memory; use futex, spinfutex or poll, or give the process two CPUs", c.Wait, cpus)
	}
	return nil
}
