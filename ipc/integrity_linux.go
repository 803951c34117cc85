package ipc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func (c CountConfig) validate() (Backend, error) {
	b, err := LookupBackend(c.Backend)
	if err != nil {
		return b, fmt.Errorf("%w: %w", err, ErrUsage)
	}
	switch {
	case b.Name == FloorName:
		return b, usageError("counter integrity is between processes; backend floor has none")
	case c.Mode != CountNaive && c.Mode != CountAtomic && c.Mode != CountFlock:
		return b, usageError("unknown counter mode %q: want one of %s", c.Mode, strings.Join(CountModes, ", "))
	case c.Mode == CountAtomic && !b.Mapped:
		return b, usageError("counter mode atomic with backend %s: an atomic increment needs a mapping; use flock or naive", b.Name)
	case c.Mode == CountFlock && b.Name == "sysv":
		return b, usageError("counter mode flock with backend sysv: a System V segment has no descriptor to lock")
	case c.Changers <= 0:
		return b, usageError("changers %d: want at least one", c.Changers)
	case c.Increments <= 0:
		return b, usageError("increments %d: want at least one", c.Increments)
	case c.Timeout <= 0:
		return b, usageError("timeout %v: want a positive duration", c.Timeout)
	}
	return b, nil
}

// RunCount starts the changers at once and returns the counter's final
// value. With CountAtomic and CountFlock it must equal Changers ×
// Increments; with CountNaive it may be less.
func RunCount(ctx context.Context, cfg CountConfig) (CountResult, error) {
	res := CountResult{Config: cfg, Want: uint64(cfg.Changers) * uint64(cfg.Increments)}
	b, err := cfg.validate()
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	cpus, err := CPUs()
	if err != nil {
		return res, err
	}
	s, err := newSession(cfg.Dir, b)
	if err != nil {
		return res, err
	}
	defer s.close()
	r, err := s.region()
	if err != nil {
		return res, err
	}
	defer r.Close()
	var cfgs []childConfig
	for i := range cfg.Changers {
		cfgs = append(cfgs, childConfig{Role: "counter", Backend: b.Name, CPU: cpus[i%len(cpus)], Mode: cfg.Mode, Increments: cfg.Increments})
	}
	if err := s.spawn(ctx, cfgs...); err != nil {
		return res, err
	}
	logf(cfg.Log, "ipc: count backend=%s mode=%s: %s\n", b.Name, cfg.Mode, s.kids.pids())
	t0 := time.Now()
	if err := s.start(); err != nil {
		return res, err
	}
	for _, c := range s.kids {
		if _, err := c.result(ctx); err != nil {
			return res, err
		}
	}
	res.Elapsed = time.Since(t0)
	res.Final, err = r.Counter()
	return res, err
}

// count increments the counter n times in the given mode and returns the
// last value this process stored.
func count(r *Region, mode string, n int) (last uint64, err error) {
	switch mode {
	case CountAtomic:
		for range n {
			if last, err = r.Increment(); err != nil {
				return last, err
			}
		}
	case CountNaive:
		for range n {
			if last, err = r.IncrementNaive(); err != nil {
				return last, err
			}
		}
	case CountFlock:
		if r.fd < 0 {
			return 0, fmt.Errorf("ipc: %s: no descriptor to flock", r)
		}
		// A lock belongs to an open file description, and an inherited
		// descriptor (memfd) shares its description with every other
		// child: open our own through /proc.
		fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", r.fd), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, fmt.Errorf("ipc: %s: reopening for flock: %w", r, err)
		}
		defer unix.Close(fd)
		for range n {
			if err := flock(fd, unix.LOCK_EX); err != nil {
				return last, fmt.Errorf("ipc: %s: flock: %w", r, err)
			}
			last, err = r.IncrementNaive()
			if err2 := flock(fd, unix.LOCK_UN); err == nil && err2 != nil {
				err = fmt.Errorf("ipc: %s: flock unlock: %w", r, err2)
			}
			if err != nil {
				return last, err
			}
		}
	default:
		return 0, fmt.Errorf("ipc: unknown counter mode %q", mode)
	}
	return last, nil
}

func flock(fd, how int) error {
	for {
		if err := unix.Flock(fd, how); err != unix.EINTR {
			return err
		}
	}
}

// IncrementLocked adds one to the counter under flock(LOCK_EX), the way
// for backends without a mapping to increment without losing updates to
// other processes doing the same. It returns the new value.
func (r *Region) IncrementLocked() (uint64, error) { return count(r, CountFlock, 1) }
