package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/ipc"
)

// countText is what mmapbench report -measure records for runs: the output
// of one mmapbench ipc -mode count per run, concatenated.
func countText(t *testing.T, runs ...ipc.CountResult) string {
	t.Helper()
	var b strings.Builder
	for _, r := range runs {
		if err := ipc.WriteCount(&b, durableConfig[:1], r); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func parseCountsText(t *testing.T, text string) ([]Count, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "count.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return ParseCounts(path)
}

// TestCountsRoundTrip: what ipc writes for counter runs is what ParseCounts
// reads back.
func TestCountsRoundTrip(t *testing.T) {
	naive := ipc.CountResult{Config: ipc.CountConfig{Backend: "mmap", Mode: ipc.CountNaive, Changers: 2, Increments: 1000000}, Want: 2000000, Final: 1476149, Elapsed: 30 * time.Millisecond}
	flock := ipc.CountResult{Config: ipc.CountConfig{Backend: "osfile", Mode: ipc.CountFlock, Changers: 3, Increments: 1000}, Want: 3000, Final: 3000, Elapsed: 300 * time.Millisecond}
	text := countText(t, naive, flock)
	cs, err := parseCountsText(t, text)
	if err != nil {
		t.Fatalf("ParseCounts: %v\n%s", err, text)
	}
	want := []Count{
		{Backend: "mmap", Counter: "naive", Changers: 2, Increments: 1000000, Want: 2000000, Final: 1476149, Lost: 523851, LostPercent: 26.19255, ElapsedSeconds: 0.03},
		{Backend: "osfile", Counter: "flock", Changers: 3, Increments: 1000, Want: 3000, Final: 3000, Lost: 0, LostPercent: 0, ElapsedSeconds: 0.3},
	}
	if len(cs) != len(want) {
		t.Fatalf("ParseCounts = %+v; want %+v", cs, want)
	}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	for i, c := range cs {
		w := want[i]
		if !strings.HasPrefix(c.Line, "BenchmarkCount/backend="+w.Backend+"/") {
			t.Errorf("run %d: Line %q; want its result line as recorded", i, c.Line)
		}
		if !near(c.LostPercent, w.LostPercent) || !near(c.ElapsedSeconds, w.ElapsedSeconds) {
			t.Errorf("run %d: lost %g%% in %gs; want %g%% in %gs", i, c.LostPercent, c.ElapsedSeconds, w.LostPercent, w.ElapsedSeconds)
		}
		c.Line, c.LostPercent, c.ElapsedSeconds, w.LostPercent, w.ElapsedSeconds = "", 0, 0, 0, 0
		if c != w {
			t.Errorf("run %d read as %+v, want %+v", i, c, w)
		}
	}
}

func TestParseCountsErrors(t *testing.T) {
	text := countText(t, ipc.CountResult{Config: ipc.CountConfig{Backend: "mmap", Mode: ipc.CountAtomic, Changers: 2, Increments: 10}, Want: 20, Final: 20, Elapsed: time.Millisecond})
	for _, tc := range []struct{ text, want string }{
		{"count backend=mmap counter=naive: 2 changers x 1000000 increments = 2000000; final counter 1476149; lost 523851 (26.19%) in 0.03s\n", "count.txt:1: the output of an older mmapbench ipc -mode count"},
		{"kernel: 6.18.44\n", "no output of 'mmapbench ipc -mode count'"},
		{strings.Replace(text, "/changers=2", "", 1), "has no /changers= in its name"},
		{strings.Replace(text, "/changers=2", "/changers=3", 1), "has changers=3 and 20 increments"},
		{strings.Replace(text, " 0 lost/op", "", 1), "count.txt:4: BenchmarkCount/backend=mmap/counter=atomic/changers=2 has no lost/op value"},
	} {
		if _, err := parseCountsText(t, tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCounts(%q) = %v; want an error containing %q", tc.text, err, tc.want)
		}
	}
}
