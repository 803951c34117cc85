package oom

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/internal/badusage"
	"github.com/mmapbench/mmapbench/internal/memcg"
	"github.com/mmapbench/mmapbench/schema"
)

// A Setup is one way of reading the file.
type Setup struct {
	Name    string // as in -setups and the results: "mmap-rand"
	Backend string // impl backend
	Advice  string // madvise for the mapping; "" for none
	Direct  bool   // O_DIRECT: no page cache at all
}

// Setups are the ways the issue asks for, in the order runs go: mmap with
// the kernel's default read-around and with random and sequential advice,
// buffered pread, and pread with O_DIRECT, the paper's control.
var Setups = []Setup{
	{Name: "mmap", Backend: "mmap"},
	{Name: "mmap-rand", Backend: "mmap", Advice: "rand"},
	{Name: "mmap-seq", Backend: "mmap", Advice: "seq"},
	{Name: "pread", Backend: "pread"},
	{Name: "pread-direct", Backend: "pread", Direct: true},
}

// SetupNames lists the names of Setups.
func SetupNames() []string {
	names := make([]string, len(Setups))
	for i, s := range Setups {
		names[i] = s.Name
	}
	return names
}

// LookupSetup returns the setup called name.
func LookupSetup(name string) (Setup, error) {
	for _, s := range Setups {
		if s.Name == name {
			return s, nil
		}
	}
	return Setup{}, fmt.Errorf("unknown setup %q: want one of %s", name, strings.Join(SetupNames(), ", "))
}

// Patterns are the access patterns: random blocks and a sequential scan.
var Patterns = []string{"rand", "seq"}

// Config is one oom measurement: every setup under every pattern.
type Config struct {
	Dir      string        // where the private directory with the file goes
	Size     int64         // the file's size
	Limit    int64         // the memory cgroup's limit
	Duration time.Duration // length of each run
	Interval time.Duration // one row per interval
	Setups   []Setup
	Patterns []string
	Readers  int
	RandBS   int64 // block size of random reads
	SeqBS    int64 // block size of the sequential scan

	Progress io.Writer // progress lines; nil for none
}

// BlockSize returns the block size of pattern.
func (c Config) BlockSize(pattern string) int64 {
	if pattern == "seq" {
		return c.SeqBS
	}
	return c.RandBS
}

// A Run is the outcome of one setup under one pattern.
type Run struct {
	Setup   Setup
	Pattern string
	BS      int64
	Device  string // the kernel's name of the file's block device: "vda", "zram1"; "none" on tmpfs
	Rows    []Row
	Limit   int64  // as the kernel applied it
	Peak    int64  // the cgroup's highest charge, as the kernel tracked it
	Cgroup  string // the cgroup's directory (removed)
	Version int    // cgroup version
}

// Phases splits the run at the moment its cache filled.
func (r Run) Phases() []Phase { return Phases(r.Rows, r.Limit) }

// ErrUsage is wrapped by errors in the configuration. It is badusage.Err, the
// same value as ipc.ErrUsage.
var ErrUsage = badusage.Err

func (c Config) check() error {
	switch {
	case c.Limit < 16<<20:
		return fmt.Errorf("oom: %w: limit %s is below 16MiB: the Go runtime alone needs a few MiB", ErrUsage, schema.FormatSize(c.Limit))
	case c.Size < 2*c.Limit:
		return fmt.Errorf("oom: %w: file size %s is not at least twice the limit %s: the working set must not fit", ErrUsage, schema.FormatSize(c.Size), schema.FormatSize(c.Limit))
	case c.Interval <= 0 || c.Duration < 2*c.Interval:
		return fmt.Errorf("oom: %w: duration %v must be at least two intervals of %v (a start and a steady phase)", ErrUsage, c.Duration, c.Interval)
	case c.Readers < 1:
		return fmt.Errorf("oom: %w: readers %d: want at least 1", ErrUsage, c.Readers)
	case len(c.Setups) == 0 || len(c.Patterns) == 0:
		return fmt.Errorf("oom: %w: no setup or no pattern to run", ErrUsage)
	}
	for _, bs := range []int64{c.RandBS, c.SeqBS} {
		if bs < 4096 || bs%4096 != 0 || c.Size%bs != 0 {
			return fmt.Errorf("oom: %w: block size %s: want a multiple of 4KiB that divides the file size %s", ErrUsage, schema.FormatSize(bs), schema.FormatSize(c.Size))
		}
	}
	for _, p := range c.Patterns {
		if p != "rand" && p != "seq" {
			return fmt.Errorf("oom: %w: unknown pattern %q: want rand or seq", ErrUsage, p)
		}
	}
	if err := bench.CheckDir(c.Dir); err != nil {
		return fmt.Errorf("oom: %w: -dir %v", ErrUsage, err)
	}
	// Each run starts from an evicted file: in memory it cannot be.
	if why := bench.NoEviction(c.Dir); why != "" {
		return fmt.Errorf("oom: %w: %s", ErrUsage, why)
	}
	return nil
}

// Measure prepares the file, then does every run, one child process in its
// own fresh cgroup each. It calls emit with each run as soon as it ends. It
// checks first that a memory cgroup can be made, and stops with an error
// wrapping ErrNoLimit if not; it never runs without the limit. On return
// (ctx cancelled included) no child, cgroup or file is left behind.
func Measure(ctx context.Context, c Config, emit func(Run) error) error {
	if err := c.check(); err != nil {
		return err
	}
	probe, err := memcg.New(fmt.Sprintf("mmapbench-oom-%d-probe", os.Getpid()), c.Limit)
	if err != nil {
		return err
	}
	if err := probe.Remove(); err != nil {
		return err
	}
	// Locked while this run lives; a later run removes it if this one is
	// killed with SIGKILL.
	pd, err := bench.MakePrivateDir(c.Dir, "mmapbench-oom-", c.Progress)
	if err != nil {
		return fmt.Errorf("oom: making the private directory: %w", err)
	}
	defer pd.Remove()
	dir := pd.Path
	path := filepath.Join(dir, "data")
	c.progress("oom: writing a %s file in %s", schema.FormatSize(c.Size), dir)
	if err := writeFile(ctx, path, c.Size); err != nil {
		return err
	}
	dev, haveDev, err := deviceOf(path)
	if err != nil {
		return err
	}
	n := 0
	for _, pattern := range c.Patterns {
		for _, setup := range c.Setups {
			n++
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("oom: interrupted: %w", err)
			}
			run := Run{Setup: setup, Pattern: pattern, BS: c.BlockSize(pattern), Device: dev.Name()}
			if err := evict(path); err != nil {
				return err
			}
			spec := childSpec{Path: path, Setup: setup, Pattern: pattern, BS: run.BS, Readers: c.Readers,
				Rows: int(c.Duration / c.Interval), Interval: c.Interval, Device: dev, HaveDevice: haveDev}
			if err := c.runChild(ctx, fmt.Sprintf("mmapbench-oom-%d-%d", os.Getpid(), n), spec, &run); err != nil {
				return err
			}
			if ps := run.Phases(); len(ps) == 2 {
				c.progress("oom: [%d/%d] %s %s: %.0f ops/s until the cache filled, %.0f after; peak %.1f MiB of %.0f MiB",
					n, len(c.Patterns)*len(c.Setups), setup.Name, pattern, ps[0].OpsPerSec(), ps[1].OpsPerSec(),
					float64(run.Peak)/(1<<20), float64(run.Limit)/(1<<20))
			}
			if err := emit(run); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c Config) progress(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// runChild does one run in a fresh cgroup and removes the cgroup after it.
func (c Config) runChild(ctx context.Context, name string, spec childSpec, run *Run) (err error) {
	cg, err := memcg.New(name, c.Limit)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := cg.Remove(); err == nil {
			err = rerr
		}
	}()
	run.Limit, run.Cgroup, run.Version = cg.Limit, cg.Dir, cg.Version
	spec.Cgroup, spec.CgroupVersion, spec.UsageFile = cg.Dir, cg.Version, cg.UsageFile()

	text, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("oom: finding the running binary to re-execute: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	// A binary built with -race sleeps a second at exit by default.
	cmd.Env = append(os.Environ(), childEnv+"="+string(text), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("oom: starting the reader: %w", err)
	}
	waited := false
	defer func() { // ends and reaps the child on any error below
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	label := fmt.Sprintf("oom: %s %s (pid %d)", spec.Setup.Name, spec.Pattern, cmd.Process.Pid)
	if err := cg.Join(cmd.Process.Pid); err != nil {
		return err
	}
	if in, err := cg.Contains(cmd.Process.Pid); err != nil || !in {
		return fmt.Errorf("oom: %w: %s is not inside %s after joining it (%v)", ErrNoLimit, label, cg.Dir, err)
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	sc := bufio.NewScanner(stdout)
	done := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "done") {
			done = true
			break
		}
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("%s: bad row %q: %w", label, line, err)
		}
		run.Rows = append(run.Rows, r)
	}
	werr := cmd.Wait()
	waited = true
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", label, context.Cause(ctx))
	}
	if !done || werr != nil {
		return fmt.Errorf("%s failed: %v: %s", label, werr, strings.TrimSpace(stderr.String()))
	}
	if run.Peak, err = cg.Peak(); err != nil {
		return fmt.Errorf("%s: reading the cgroup's peak: %w", label, err)
	}
	return nil
}

// writeFile creates the file with pseudo-random bytes (so nothing below
// us can deduplicate or compress them away), makes it durable and evicts it.
func writeFile(ctx context.Context, path string, size int64) error {
	s, err := impl.Open("pread", path, impl.Options{Size: size, Create: true})
	if err != nil {
		return fmt.Errorf("oom: %w", err)
	}
	defer s.Close()
	buf := make([]byte, 4<<20)
	x := uint64(0x853c49e6748fea9b)
	for off := int64(0); off < size; off += int64(len(buf)) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("oom: interrupted while writing the file: %w", err)
		}
		for i := 0; i+8 <= len(buf); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			buf[i], buf[i+1], buf[i+2], buf[i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
			buf[i+4], buf[i+5], buf[i+6], buf[i+7] = byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56)
		}
		n := min(int64(len(buf)), size-off)
		if _, err := s.WriteAt(buf[:n], off); err != nil {
			return fmt.Errorf("oom: writing the file: %w", err)
		}
	}
	if err := s.Sync(); err != nil {
		return fmt.Errorf("oom: %w", err)
	}
	return nil
}

// evict drops the file from the page cache and checks with mincore that at
// most 1% stayed, so every run starts cold and charges only its own reads.
func evict(path string) error {
	s, err := impl.Open("pread", path, impl.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("oom: %w", err)
	}
	defer s.Close()
	e := s.(impl.Evicter)
	for try := 0; ; try++ {
		if err := e.Evict(); err != nil {
			return fmt.Errorf("oom: %w", err)
		}
		pages, total, err := e.Resident()
		if err != nil {
			return fmt.Errorf("oom: %w", err)
		}
		if pages*100 <= total {
			return nil
		}
		if try == 20 {
			return fmt.Errorf("oom: %d of %d pages of %s stay resident after eviction: another process holds them", pages, total, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
