package ipc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A childConfig is everything a child needs; the driver sends it in ChildEnv.
type childConfig struct {
	Role    string // "monitor", "changer", "counter", "storekill", "watch"
	Backend string
	Attach  attach
	CPU     int // -1: not pinned

	Wait    Wait
	Poll    time.Duration
	Spins   int
	Warmup  int
	Samples int
	Delay   time.Duration // monitor: busy wait before each answer (tests)

	Increments int    // counter: increments to make
	Mode       string // counter: CountNaive, CountAtomic or CountFlock
	Value      uint64 // storekill, watch: the value stored and awaited
}

// A childResult is what a child prints on its last line of output.
type childResult struct {
	Summary Summary `json:",omitzero"`
	Batch   Batch   `json:",omitzero"`
	Clock   float64 `json:",omitempty"` // changer: one clock read, ns
	Rounds  int
	Usage   usage
	Value   uint64 `json:",omitempty"`
}

// RunChildIfRequested makes this process a child of the driver when Run
// started it with ChildEnv set: it plays the child's role and exits, and
// otherwise returns at once. It is not an init function, so importing the
// package has no side effect: main and the TestMain of every test package
// that calls Run (or RunDurability, RunCount) call it first, before flags are
// parsed.
func RunChildIfRequested() {
	spec, ok := os.LookupEnv(ChildEnv)
	if !ok {
		return
	}
	os.Unsetenv(ChildEnv)
	if err := childMain(spec); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childMain attaches to the record, says "ready", waits for "go" on stdin,
// plays its role and prints its result as one JSON line.
func childMain(spec string) error {
	var cfg childConfig
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		return fmt.Errorf("ipc child: bad %s: %w", ChildEnv, err)
	}
	label := fmt.Sprintf("ipc %s (pid %d)", cfg.Role, os.Getpid())
	if cfg.CPU >= 0 {
		// The thread stays pinned until the process exits.
		if _, err := pinThread(cfg.CPU); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
	}
	b, err := LookupBackend(cfg.Backend)
	if err != nil || b.open == nil {
		return fmt.Errorf("%s: backend %q cannot be attached to", label, cfg.Backend)
	}
	r, err := b.open(cfg.Attach)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	defer r.Close()

	var res childResult
	var play func() error
	switch cfg.Role {
	case "monitor", "changer":
		w, err := newWaiter(r, cfg.Wait, cfg.Poll, cfg.Spins)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		if cfg.Role == "monitor" {
			w.delay = cfg.Delay
			play = func() (err error) { res.Rounds, err = monitor(w); return err }
		} else {
			// Allocated and the clock measured before "ready": neither
			// belongs to the exchange's CPU time or faults.
			p := newPlan(cfg.Warmup, cfg.Samples)
			res.Clock = p.clock
			play = func() error {
				m, err := changer(w, p)
				res.Rounds, res.Summary, res.Batch = m.Rounds, m.Summary, m.Batch
				return err
			}
		}
		// Fault the page in for writing now, not in the first round trip:
		// both sides store the zero that is already there.
		r.store32(offWaiters, 0)
	case "counter":
		play = func() (err error) { res.Value, err = count(r, cfg.Mode, cfg.Increments); return err }
	case "storekill":
		play = func() error { return storeAndDie(r, cfg.Value) }
	case "watch":
		play = func() (err error) { res.Value, err = watch(r, cfg.Value); return err }
	default:
		return fmt.Errorf("%s: unknown role", label)
	}

	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	if err := out.Flush(); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || line != "go\n" {
		return fmt.Errorf("%s: the driver went away before saying go (%q, %v)", label, line, err)
	}
	before := readUsage(unix.RUSAGE_SELF)
	if err := play(); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	res.Usage = readUsage(unix.RUSAGE_SELF).sub(before)
	enc, _ := json.Marshal(res)
	fmt.Fprintf(out, "%s\n", enc)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	return nil
}
