//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/oom"
	"github.com/mmapbench/mmapbench/schema"
)

// sizeValue is a byte-size flag that reads and prints sizes as 256MiB.
type sizeValue struct{ n *int64 }

func (s sizeValue) String() string {
	if s.n == nil {
		return ""
	}
	return schema.FormatSize(*s.n)
}

func (s sizeValue) Set(v string) error {
	n, err := schema.ParseSize(v)
	if err != nil {
		return err
	}
	*s.n = n
	return nil
}

func runOOM(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("oom", "[flags]", stderr)
	c := oom.Config{Size: 2 << 30, Limit: 256 << 20, RandBS: 4 << 10, SeqBS: 1 << 20}
	fs.Var(sizeValue{&c.Size}, "size", "the file's `size`; at least twice -limit")
	fs.Var(sizeValue{&c.Limit}, "limit", "the memory cgroup's limit (`size`), page cache included")
	fs.Var(sizeValue{&c.RandBS}, "rand-bs", "block `size` of the random reads")
	fs.Var(sizeValue{&c.SeqBS}, "seq-bs", "block `size` of the sequential scan")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "length of each run (`duration`): one per setup and pattern")
	fs.DurationVar(&c.Interval, "interval", time.Second, "one row of the time series per `interval`")
	fs.IntVar(&c.Readers, "readers", 1, "goroutines reading the file in each run (`n`)")
	setups := fs.String("setups", "all", "comma-separated `setups`: all, or some of "+strings.Join(oom.SetupNames(), ", "))
	patterns := fs.String("patterns", "rand,seq", "comma-separated access `patterns`: rand (every block once per pass, in the matrix's pseudo-random order), seq (a sequential scan)")
	csvPath := fs.String("csv", "", "write the time series, one row per interval, as CSV to `file` (- for stdout, instead of the summary)")
	dir := fs.String("dir", "", "`directory` for the private directory holding the file (default $MMAPBENCH_DIR, else the system temp dir; when that is tmpfs or ramfs, /var/tmp); not tmpfs or ramfs, whose pages cannot be evicted")
	quiet := fs.Bool("q", false, "no progress on stderr")
	fs.Usage = func() {
		fprintf(stderr, `Usage: mmapbench oom [flags]

Reads a file several times larger than a memory limit, placed with a memory
cgroup (v2 where its memory controller is available, v1 otherwise) around
each run: random blocks and a sequential scan, through mmap (default,
random and sequential advice), pread, and pread with O_DIRECT. Needs root
(or a delegated cgroup); without a memory controller or the permission to
use it, it stops with exit status 2 and never runs without the limit.

Prints the summary in Go benchmark format on stdout, two phases per run:
start (until the cache filled) and steady (after it); the file's block
device is the device= key. -csv writes the time series.

Where eviction shows depends on the device: a slow disk's latency hides it.
make oom-zram runs this on a RAM-backed block device (scripts/oom-zram.sh).

Flags:
`)
		fs.PrintDefaults()
	}
	if code := parseFlagsOnly(fs, args, stderr); code >= 0 {
		return code
	}
	var err error
	if c.Setups, err = parseSetups(*setups); err != nil {
		fprintf(stderr, "mmapbench oom: -setups: %v\n", err)
		return exitUsage
	}
	c.Patterns = strings.Split(*patterns, ",")
	if !*quiet {
		c.Progress = stderr
	}
	bd := bench.ResolveBenchDir(*dir)
	c.Dir = bd.Path
	if bd.MovedFrom != "" && c.Progress != nil {
		fprintf(stderr, "oom: %s\n", bd.Note())
	}

	summary, series := stdout, io.Writer(nil)
	switch *csvPath {
	case "":
	case "-":
		summary, series = io.Discard, stdout
	default:
		f, err := os.OpenFile(*csvPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			fprintf(stderr, "mmapbench oom: -csv: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		series = f
	}
	var cw *oom.CSVWriter
	if series != nil {
		cw = oom.NewCSVWriter(series)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	header := false
	start := time.Now()
	err = oom.Measure(ctx, c, func(r oom.Run) error {
		if !header {
			header = true
			if err := writeOOMHeader(summary, bd, r); err != nil {
				return err
			}
		}
		if cw != nil {
			for _, row := range r.Rows {
				if err := cw.Write(row); err != nil {
					return fmt.Errorf("oom: writing the time series: %w", err)
				}
			}
		}
		for _, p := range r.Phases() {
			name := oom.BenchmarkName(r.Setup.Name, r.Pattern, r.BS, c.Readers, c.Limit, c.Size, r.Device, p.Name)
			if err := oom.WriteBenchmark(summary, name, p); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case exitFor(err) == exitUsage, errors.Is(err, oom.ErrNoLimit):
		fprintf(stderr, "mmapbench %v\n", err)
		return exitUsage
	case ctx.Err() != nil:
		fprintf(stderr, "mmapbench oom: interrupted; the reader was killed, its cgroup and file removed\n")
		return exitFail
	case err != nil:
		fprintf(stderr, "mmapbench %v\n", err)
		return exitFail
	}
	if c.Progress != nil {
		fprintf(stderr, "oom: done in %.0fs\n", time.Since(start).Seconds())
	}
	return exitOK
}

func parseSetups(list string) ([]oom.Setup, error) {
	if list == "all" {
		return oom.Setups, nil
	}
	var ss []oom.Setup
	for _, name := range strings.Split(list, ",") {
		s, err := oom.LookupSetup(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// writeOOMHeader writes the machine's configuration lines, the cgroup
// version, and the units' directions, before the first result line.
func writeOOMHeader(w io.Writer, dir bench.BenchDir, r oom.Run) error {
	if err := bench.WriteConfig(w, dir.Path); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "bench-dir-fs: %s\n", dir.ConfigValue()); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "oom-cgroup: v%d\n", r.Version); err != nil {
		return err
	}
	return oom.WriteUnitLines(w)
}
