package ipc

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/internal/privdir"
)

// Run measures cfg: it creates the shared object in a private directory,
// starts the monitor and the changer as child processes pinned to distinct
// CPUs, lets them ping-pong, and removes everything it created before it
// returns, also when ctx is cancelled (the children are killed).
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	switch cfg.Backend {
	case FloorName:
		return runFloor(ctx, cfg)
	case BareName:
		return runBare(ctx, cfg)
	}
	b, _ := LookupBackend(cfg.Backend)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	cpus, err := pickCPUs()
	if err != nil {
		return res, err
	}
	res.CPUs = cpus
	base := childConfig{Backend: b.Name, Wait: cfg.Wait, Poll: cfg.Poll, Spins: cfg.Spins}
	mon, chg := base, base
	mon.Role, mon.CPU = "monitor", cpus[0]
	mon.Delay = cfg.delay
	chg.Role, chg.CPU, chg.Warmup, chg.Samples = "changer", cpus[1], cfg.Warmup, cfg.Samples

	s, err := newSession(cfg.Dir, b)
	if err != nil {
		return res, err
	}
	defer s.close()
	if err := s.spawn(ctx, mon, chg); err != nil {
		return res, err
	}
	logf(cfg.Log, "ipc: %s: %s on CPUs %v\n", cfg.Name(), s.kids.pids(), cpus)

	stopWB := func() int { return 0 }
	if cfg.Writeback > 0 {
		stopWB = writeback(s.obj.fd, cfg.Writeback)
	}
	t0 := time.Now()
	if err := s.start(); err != nil {
		stopWB()
		return res, err
	}
	cr, err := s.kids[1].result(ctx)
	if err != nil {
		stopWB()
		return res, err
	}
	mr, err := s.kids[0].result(ctx)
	res.Elapsed = time.Since(t0)
	res.Syncs = stopWB()
	if err != nil {
		return res, err
	}
	if mr.Rounds != cr.Rounds {
		return res, fmt.Errorf("ipc: %s: the monitor answered %d round trips, the changer made %d", cfg.Name(), mr.Rounds, cr.Rounds)
	}
	res.ClockNsec = cr.Clock
	res.fill(measurement{Summary: cr.Summary, Batch: cr.Batch, Rounds: cr.Rounds}, cr.Usage.add(mr.Usage))
	return res, nil
}

// fill sets the figures and the per-message costs.
func (r *Result) fill(m measurement, u usage) {
	r.Summary, r.Batch = m.Summary, m.Batch
	r.Messages = 2 * m.Rounds
	if r.Messages > 0 {
		r.CPUPerMsg = float64(u.CPU) / float64(r.Messages)
	}
	r.MinFlt, r.MajFlt, r.CtxSw = u.MinFlt, u.MajFlt, u.CtxSw
}

// pickCPUs returns the CPUs for the two sides: two distinct ones when the
// process may use two, else the one twice (Validate has refused spinning).
func pickCPUs() ([]int, error) {
	cpus, err := CPUs()
	if err != nil {
		return nil, err
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("ipc: the process may run on no CPU")
	}
	if len(cpus) == 1 {
		return []int{cpus[0], cpus[0]}, nil
	}
	return cpus[:2], nil
}

// writeback calls fdatasync(fd) every interval until the returned function
// is called; that function returns the number of calls made.
func writeback(fd int, interval time.Duration) (stop func() int) {
	done := make(chan struct{})
	var n int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				unix.Fdatasync(fd)
				n++
			}
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		return n
	}
}

// A session is the shared object of one run and the children attached to it.
type session struct {
	b    Backend
	dir  string
	priv *privdir.Dir // dir, locked while the session lives (nil for a copy that shares it)
	obj  *object
	kids children
	keep bool // spawn leaves the names in place (durability needs the path)
}

// newSession makes a private directory (mode 0700) under parent, locked
// while the session lives, and the backend's shared object. Making it
// first removes what runs killed with SIGKILL left under parent.
func newSession(parent string, b Backend) (*session, error) {
	priv, err := privdir.Make(parent, "mmapbench-ipc-", os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("ipc: making a private directory: %w", err)
	}
	obj, err := b.create(priv.Path)
	if err != nil {
		priv.Remove()
		return nil, err
	}
	return &session{b: b, dir: priv.Path, priv: priv, obj: obj}, nil
}

// removeDir removes the private directory and releases its lock.
func (s *session) removeDir() {
	if s.priv != nil {
		s.priv.Remove()
		return
	}
	os.RemoveAll(s.dir)
}

// spawn starts one child per configuration, waits until all have attached,
// and then removes every name of the shared object (file, /dev/shm entry,
// directory), so that from then on nothing is left behind even if the
// driver is killed with SIGKILL: the children die with it (Pdeathsig) and
// the kernel frees the object with its last user.
func (s *session) spawn(ctx context.Context, cfgs ...childConfig) error {
	for _, cfg := range cfgs {
		cfg.Attach = s.obj.attach
		c, err := startChild(ctx, cfg, s.obj.files)
		if err != nil {
			return err
		}
		s.kids = append(s.kids, c)
	}
	for _, c := range s.kids {
		if err := c.ready(ctx); err != nil {
			return err
		}
	}
	if !s.keep {
		s.unlink()
	}
	return nil
}

// unlink removes the object's names and the private directory.
func (s *session) unlink() {
	s.obj.release()
	s.removeDir()
}

// start tells every child to go, in order.
func (s *session) start() error {
	for _, c := range s.kids {
		if err := c.start(); err != nil {
			return err
		}
	}
	return nil
}

// close kills the children that still run and removes everything.
func (s *session) close() {
	s.kids.kill()
	s.obj.cleanup()
	s.removeDir()
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
