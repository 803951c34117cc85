package bench

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// benchDir is where benchmark files are made: a private directory (0700,
// from os.MkdirTemp) under -benchdir, removed when the run ends.
var (
	benchParent = flag.String("benchdir", defaultBenchDir(), "`directory` under which benchmark files are created (default $MMAPBENCH_DIR, else the system temp dir)")
	benchDir    string
)

func defaultBenchDir() string {
	if d := os.Getenv("MMAPBENCH_DIR"); d != "" {
		return d
	}
	return os.TempDir()
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

// runMain makes the private directory, and, when benchmarks run, prints the
// run's configuration and unit lines before any result, so that benchstat
// files them with every result.
func runMain(m *testing.M) int {
	benching := flag.Lookup("test.bench").Value.String() != ""
	// Bad -profile or -sizes stop the run before anything is made or run.
	p, err := loadProfile(*profileFlag, *sizesFlag, *benchParent)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if benching {
		for _, w := range p.why {
			fmt.Fprintf(os.Stderr, "bench: %s profile size %s\n", *profileFlag, w)
		}
	}
	dir, err := os.MkdirTemp(*benchParent, "mmapbench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: -benchdir %s: %v\n", *benchParent, err)
		return 2
	}
	defer os.RemoveAll(dir)
	removeOnSignal(dir)
	benchDir = dir
	if !benching {
		return m.Run()
	}
	if err := WriteConfig(os.Stdout, dir); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if err := WriteUnitLines(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	return m.Run()
}

// removeOnSignal removes dir when the run is interrupted (Ctrl-C, or the
// SIGTERM that kill and timeouts send): deferred calls do not run then, and
// a full profile leaves gigabytes behind.
func removeOnSignal(dir string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "bench: %v: removed %s\n", s, dir)
		os.Exit(2)
	}()
}
