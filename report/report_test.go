package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/plot"
	"github.com/mmapbench/mmapbench/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/REPORT.golden.md from the fixture")

const fixture = "testdata/2026-12-01-vm.txt"

func fixtureInput(t *testing.T) Input {
	t.Helper()
	files := Siblings(fixture)
	paths := []string{files.Bench, files.IPC, files.Sched, files.OOM, files.OOMSeries, files.OOMZram, files.OOMZramSeries}
	// As mmapbench report does: the writeback run when it is there.
	if _, err := os.Stat(files.IPCWriteback); err == nil {
		paths = append(paths, files.IPCWriteback)
	} else {
		files.IPCWriteback = ""
	}
	rs, err := schema.Load(paths...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	d, err := ParseDurable(files.Durable)
	if err != nil {
		t.Fatalf("ParseDurable: %v", err)
	}
	cs, err := ParseCounts(files.Count)
	if err != nil {
		t.Fatalf("ParseCounts: %v", err)
	}
	figs := map[string]string{}
	for _, f := range plot.Figures() {
		if f.Name != "read-cold" { // one missing figure: the report says how to make it
			figs[f.Name] = "plots/" + f.Name
		}
	}
	return Input{Files: files, Results: rs, Durable: d, Counts: cs, Figures: figs}
}

// TestGolden writes the report of the committed fixture and compares it with
// testdata/REPORT.golden.md; on a mismatch it writes testdata/REPORT.got.md.
// go test ./report -update rewrites the golden file.
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fixtureInput(t)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	golden := filepath.Join("testdata", "REPORT.golden.md")
	got := filepath.Join("testdata", "REPORT.got.md")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		os.WriteFile(got, buf.Bytes(), 0o644)
		t.Fatalf("report differs from %s; got written to %s (diff them; -update accepts it)", golden, got)
	}
	os.Remove(got)
}

func TestClaimsVerdicts(t *testing.T) {
	in := fixtureInput(t)
	claims, err := Claims(in.Results, in.Durable, in.Counts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{HoldsOnly, HoldsOnly, DoesNotHold, Holds, HoldsOnly} // the baseline of 2026-12-01, which make verdicts reproduced 5 of 5
	if len(claims) != len(want) {
		t.Fatalf("Claims returned %d claims, want %d", len(claims), len(want))
	}
	for i, c := range claims {
		if !strings.HasPrefix(c.Verdict, want[i]) {
			t.Errorf("claim %d (%s): verdict %q, want %q", i+1, c.Text, c.Verdict, want[i])
		}
		if len(c.Evidence) == 0 || c.Rule == "" {
			t.Errorf("claim %d: no evidence or no rule", i+1)
		}
	}
	// Without the durability run, claim 3 is not measured rather than guessed.
	if cs, _ := Claims(in.Results, nil, nil); cs[2].Verdict != NotMeasured {
		t.Errorf("claim 3 without evidence: %q, want %q", cs[2].Verdict, NotMeasured)
	}
}

// A crafted run where mmap loses every comparison: the verdict follows the numbers.
func TestOverheadDoesNotHold(t *testing.T) {
	lines := []string{
		"BenchmarkRead/backend=pread/access=copy/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 1000 ns/op 4096 rchar-B/op 1 read-syscalls/op",
		"BenchmarkRead/backend=mmap/access=view/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 2000 ns/op 0 rchar-B/op 0 read-syscalls/op",
		"BenchmarkOpenRead/backend=pread/size=4KiB-2 100 1000 ns/op",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 3000 ns/op",
	}
	rs := loadText(t, strings.Join(lines, "\n")+"\n")
	if c := claimOverhead(rs); c.Verdict != DoesNotHold {
		t.Errorf("claimOverhead = %q, want %q; evidence %q", c.Verdict, DoesNotHold, c.Evidence)
	}
	if c := claimCopies(rs); c.Verdict != NotMeasured { // rchar alone counts no copies
		t.Errorf("claimCopies = %q, want %q", c.Verdict, NotMeasured)
	}
}

func TestCheckNamesMissingBenchmarks(t *testing.T) {
	rs, err := schema.Load("testdata/2026-12-01-vm-ipc.txt")
	if err != nil {
		t.Fatal(err)
	}
	err = Write(&bytes.Buffer{}, Input{Files: Files{Bench: "x.txt", IPC: "testdata/2026-12-01-vm-ipc.txt"}, Results: rs})
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "BenchmarkRead (in x.txt") {
		t.Errorf("Write on IPC results only = %v; want ErrMissing naming BenchmarkRead and x.txt", err)
	}
}

func TestParseEvidenceErrors(t *testing.T) {
	if _, err := ParseDurable(fixture); err == nil || !strings.Contains(err.Error(), "no output of 'mmapbench ipc -mode durable'") {
		t.Errorf("ParseDurable(results file) = %v; want an error naming the expected output", err)
	}
	if _, err := ParseCounts(filepath.Join(t.TempDir(), "missing.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseCounts(missing) = %v; want ErrNotExist", err)
	}
}

func TestLatest(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"2026-11-24-vm.txt", "2026-11-25-vm.txt", "2026-11-26-vm-ipc.txt", "2026-11-26-vm-full.txt",
		"2026-11-27-other.txt", "noise-vm.txt", "2026-11-26-vm-durable.txt",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An older date touched later is still older.
	old := filepath.Join(dir, "2026-11-24-vm.txt")
	os.Chtimes(old, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	got, err := Latest(dir, "vm")
	if want := filepath.Join(dir, "2026-11-25-vm.txt"); err != nil || got != want {
		t.Errorf("Latest = %q, %v; want %q", got, err, want)
	}
	if _, err := Latest(dir, "nohost"); err == nil || !strings.Contains(err.Error(), `for host "nohost"`) {
		t.Errorf("Latest(nohost) = %v; want an error naming the host", err)
	}
}

func TestCliffRule(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		want  string
	}{{0.5, "**cliff** (−50%)"}, {0.85, "none"}, {1.3, "rises (+30%)"}, {0, "–"}} {
		if got := (Cliff{Ratio: tc.ratio}).Verdict(); got != tc.want {
			t.Errorf("ratio %.2f: verdict %q, want %q", tc.ratio, got, tc.want)
		}
	}
	cs := []Cliff{{Setup: "mmap", Pattern: "rand", Ratio: 0.4}, {Setup: "pread-direct", Pattern: "rand", Ratio: 0.97}}
	if got := cliffTarget(cs); !strings.Contains(got, "a cliff in 1 of 1 mmap runs (mmap rand)") || !strings.HasSuffix(got, "**met**.") {
		t.Errorf("cliffTarget = %q", got)
	}
	cs[1].Ratio = 0.5
	if got := cliffTarget(cs); !strings.Contains(got, "O_DIRECT pread: a cliff (pread-direct rand)") || !strings.Contains(got, "**not met here**") {
		t.Errorf("cliffTarget with an O_DIRECT cliff = %q", got)
	}
}

// Cliffs keeps the runs of each device apart, and reads results written
// before the device was recorded as one run on an unnamed device.
func TestCliffsByDevice(t *testing.T) {
	rs := fixtureInput(t).Results
	seen := map[string]int{}
	for _, c := range Cliffs(rs) {
		seen[c.Device]++
	}
	if seen["vda"] != 10 || seen["zram1"] != 10 || len(seen) != 2 {
		t.Errorf("runs per device %v, want 10 on vda and 10 on zram1", seen)
	}

	old := loadText(t, "BenchmarkOOM/config=mmap/pattern=rand/bs=4KiB/readers=1/limit=256MiB/size=2GiB/phase=start\t100\t1000 ns/op\n"+
		"BenchmarkOOM/config=mmap/pattern=rand/bs=4KiB/readers=1/limit=256MiB/size=2GiB/phase=steady\t100\t2000 ns/op\n")
	cs := Cliffs(old.Results)
	if len(cs) != 1 || cs[0].Device != "" || cs[0].Ratio != 0.5 {
		t.Fatalf("Cliffs of results without a device = %+v, want one mmap run with ratio 0.5", cs)
	}
	var b strings.Builder
	writeOOM(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, old, Input{})
	if !strings.Contains(b.String(), "### On the bench directory's device: a 2GiB file, 1 reader(s), limit 256MiB") {
		t.Errorf("section heading for results without a device is missing:\n%s", b.String())
	}
}

// A row with a key the report does not give (a harness that added an axis
// to BenchmarkOpenRead) makes the report fail, naming the key, instead of
// printing its cells as "–" (issue 13).
func TestWriteRefusesRowsWithUnknownKeys(t *testing.T) {
	rs, err := schema.Read(strings.NewReader(strings.Join([]string{
		"BenchmarkRead/backend=pread/access=copy/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 1000 ns/op",
		"BenchmarkIPC/backend=mmap/wait=spin-2 100 30 ns/op",
		"BenchmarkOpenRead/backend=pread/size=4KiB/regime=x-2 100 1000 ns/op",
		"BenchmarkOpenRead/backend=mmap/size=4KiB/regime=x-2 100 3000 ns/op",
	}, "\n")+"\n"), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Files: Files{Bench: "r.txt", IPC: "r.txt"}, Results: rs}
	var le *schema.LookupError
	if err := Write(&bytes.Buffer{}, in); !errors.As(err, &le) || !strings.Contains(err.Error(), "regime") {
		t.Errorf("Write = %v; want a LookupError naming the key regime", err)
	}
	if _, err := VerdictsOf(in); !errors.As(err, &le) {
		t.Errorf("VerdictsOf = %v; want a LookupError", err)
	}
}
