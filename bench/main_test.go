//go:build linux

package bench

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"testing"

	"github.com/mmapbench/mmapbench/ipc"
)

var benchParent = flag.String("benchdir", "", "`directory` under which benchmark files are created (default $MMAPBENCH_DIR, else the system temp dir; when that is tmpfs or ramfs, /var/tmp); in a tmpfs or ramfs directory named here cold cases skip")

// harness is the test binary's run: its Dir is a private directory (0700,
// locked, see MakePrivateDir) under -benchdir, removed when the run ends
// or, if the run is killed, by the next run; its ColdSkip says why cold
// cases cannot run there ("" when they can).
var harness = &Harness{Progress: os.Stderr}

func TestMain(m *testing.M) {
	// BenchmarkIPC re-executes this binary as ipc's children.
	ipc.RunChildIfRequested()
	flag.Parse()
	os.Exit(runMain(m))
}

// runMain makes the private directory, and, when benchmarks run, prints the
// run's configuration and unit lines before any result, so that benchstat
// files them with every result. Every input is checked before anything is
// made: a bad one exits 2 and leaves nothing behind.
func runMain(m *testing.M) int {
	benching := flag.Lookup("test.bench").Value.String() != ""
	// Which directory, before the profile: the quick sizes depend on its
	// read-ahead window. Choosing it only statfs'es.
	parent := ResolveBenchDir(*benchParent)
	// Bad -profile or -sizes stop the run before anything is made or run.
	p, err := loadProfile(*profileFlag, *sizesFlag, parent.Path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// testing exits from inside m.Run on a bad pattern, where the deferred
	// removal never runs: check them here.
	if err := checkPatterns(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 2
	}
	if err := CheckDir(parent.Path); err != nil {
		fmt.Fprintf(os.Stderr, "bench: -benchdir %v\n", err)
		return 2
	}
	if benching {
		for _, w := range p.why {
			fmt.Fprintf(os.Stderr, "bench: %s profile size %s\n", *profileFlag, w)
		}
	}
	if note := parent.Note(); note != "" {
		fmt.Fprintf(os.Stderr, "bench: %s\n", note)
	}
	pd, err := MakePrivateDir(parent.Path, PrivatePrefix, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: -benchdir %s: %v\n", parent.Path, err)
		return 2
	}
	defer pd.Remove()
	removeOnSignal(pd)
	// A run killed (SIGKILL) in a cache=mem:N row left its empty cgroup.
	if err := RemoveStalePressure(os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
	defer func() {
		if err := harness.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}()
	harness.Dir = pd.Path
	harness.ColdSkip = NoEviction(parent.Path)
	harness.DropCaches = *dropCaches
	if !benching {
		return m.Run()
	}
	if err := WriteConfig(os.Stdout, pd.Path); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if _, err := fmt.Printf("bench-dir-fs: %s\nbench-dir-device: %s\n", parent.ConfigValue(), BlockDevice(parent.Path)); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if err := WriteUnitLines(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	return m.Run()
}

// checkPatterns compiles -test.run, -test.bench and -test.skip as testing
// does, one regexp per '/'-separated element (a '/' inside brackets or
// parentheses does not separate), and names the first that does not.
func checkPatterns() error {
	for _, name := range []string{"test.run", "test.bench", "test.skip"} {
		f := flag.Lookup(name)
		if f == nil {
			continue
		}
		for i, elem := range splitPattern(f.Value.String()) {
			if _, err := regexp.Compile(elem); err != nil {
				return fmt.Errorf("-%s %q: element %d (%q) is not a regexp: %v", name, f.Value.String(), i, elem, err)
			}
		}
	}
	return nil
}

// splitPattern splits a -run or -bench pattern into its elements the way
// testing's splitRegexp does.
func splitPattern(s string) []string {
	if s == "" {
		return nil
	}
	var elems []string
	var cs, cp int // depth in [] and ()
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			cs++
		case ']':
			if cs--; cs < 0 { // an unmatched ']' is legal
				cs = 0
			}
		case '(':
			if cs == 0 {
				cp++
			}
		case ')':
			if cs == 0 {
				cp--
			}
		case '\\':
			i++
		case '/':
			if cs == 0 && cp == 0 {
				elems = append(elems, s[start:i])
				start = i + 1
			}
		}
	}
	return append(elems, s[start:])
}

// removeOnSignal removes the private directory when the run is interrupted
// (Ctrl-C, or the SIGTERM that kill and timeouts send): deferred calls do
// not run then, and a full profile leaves gigabytes behind. SIGKILL cannot
// be caught: the next run removes what it leaves (RemoveStale).
func removeOnSignal(pd *PrivateDir) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		if err := harness.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
		pd.Remove()
		fmt.Fprintf(os.Stderr, "bench: %v: removed %s\n", s, pd.Path)
		os.Exit(2)
	}()
}
