package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// load loads lines written to a file, failing the test on an error.
func load(t *testing.T, lines ...string) *Results {
	t.Helper()
	rs, err := Load(write(t, "r.txt", lines...))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	if _, err := Load(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v; want ErrNotExist naming the file", err)
	}
	for _, tc := range []struct{ name, line, want string }{
		{"a malformed value", "BenchmarkX 10 abc ns/op", "bad.txt:2:"},
		{"a positional name part", "BenchmarkX/fast 10 1 ns/op", "bad.txt:2: BenchmarkX/fast: name part \"fast\" is not key=value"},
		{"a case with a key schema.Case lacks", "BenchmarkRead/backend=mmap/access=copy/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1/regime=x 10 1 ns/op",
			"a case (schema.Case) does not have"},
		{"a case with a bad value", "BenchmarkRead/backend=mmap/access=copy/pattern=zigzag/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1 10 1 ns/op", `pattern "zigzag"`},
	} {
		bad := write(t, "bad.txt", "BenchmarkY 10 1 ns/op", tc.line)
		if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.txt:2") {
			t.Errorf("%s: Load = %v; want an error naming bad.txt:2 and %q", tc.name, err, tc.want)
		}
	}
}

func TestMedianAndValues(t *testing.T) {
	rs := load(t,
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 10 30 ns/op 100 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 10 10 ns/op 300 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 10 20 ns/op 200 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=64B-2 10 1 ns/op",
		"BenchmarkReaders2/readers=8 1 1 ns/op",
		"BenchmarkReaders2/readers=1 1 1 ns/op")
	r, err := rs.Lookup("OpenRead", Keys{"backend": "mmap", "size": "4KiB"})
	if err != nil || r == nil {
		t.Fatalf("Lookup(OpenRead, mmap, 4KiB) = %v, %v", r, err)
	}
	if v, ok := r.Median(NsPerOp); !ok || v != 20 {
		t.Errorf("Median(ns/op) = %v, %v; want 20 (units as written in the file)", v, ok)
	}
	if v, ok := r.Median(MBPerSec); !ok || v != 200 {
		t.Errorf("Median(MB/s) = %v, %v; want 200", v, ok)
	}
	if got := Values(rs.Select("OpenRead", nil), "size"); strings.Join(got, ",") != "64B,4KiB" {
		t.Errorf("Values(size) = %q; want sizes in numeric order", got)
	}
	if got := Values(rs.Select("Readers2", nil), "readers"); strings.Join(got, ",") != "8,1" {
		t.Errorf("Values(readers) = %q; want bare numbers in order of appearance", got)
	}
	var none *Row
	if _, ok := none.Median(NsPerOp); ok || none.Key("backend") != "" {
		t.Errorf("a nil row has samples or keys")
	}
}

// A lookup that misses because the rows carry a key the caller did not
// give is an error naming the key, not an empty cell; one that misses
// because the case was not run is (nil, nil).
func TestLookupNamesExtraKeys(t *testing.T) {
	rs := load(t,
		"BenchmarkIPC/backend=mmap/wait=spin/writeback=1ms-2 10 30 ns/op",
		"BenchmarkIPC/backend=memfd/wait=spin-2 10 30 ns/op",
		"BenchmarkIPC/backend=memfd/wait=spin/writeback=1ms-2 10 30 ns/op",
		"BenchmarkBystander/backend=mmap 10 1 ns/op",
		"BenchmarkBystander/backend=mmap-2 10 1 ns/op")
	r, err := rs.Lookup("IPC", Keys{"backend": "mmap", "wait": "spin"})
	var le *LookupError
	if r != nil || !errors.As(err, &le) || strings.Join(le.Extra, ",") != "writeback" || !strings.Contains(err.Error(), "writeback") {
		t.Errorf("Lookup(mmap, spin) with only writeback rows = %v, %v; want a LookupError naming writeback", r, err)
	}
	if r, err := rs.Lookup("IPC", Keys{"backend": "memfd", "wait": "spin"}); err != nil || r == nil || r.Key("writeback") != "" {
		t.Errorf("Lookup(memfd, spin) = %v, %v; want the row without writeback", r, err)
	}
	if r, err := rs.Lookup("IPC", Keys{"backend": "mmap", "wait": "spin", "writeback": ""}); r != nil || err != nil {
		t.Errorf("Lookup(mmap, spin, no writeback) = %v, %v; want (nil, nil): not run", r, err)
	}
	if r, err := rs.Lookup("IPC", Keys{"backend": "sysv", "wait": "spin"}); r != nil || err != nil {
		t.Errorf("Lookup(sysv) = %v, %v; want (nil, nil): not run", r, err)
	}
	if _, err := rs.Lookup("Bystander", Keys{"backend": "mmap"}); !errors.As(err, &le) || len(le.Names) != 2 {
		t.Errorf("Lookup(Bystander, mmap) at GOMAXPROCS 1 and 2 = %v; want an ambiguity naming both rows", err)
	}
	if r, err := rs.Lookup("Bystander", Keys{"backend": "mmap", ProcsKey: "2"}); err != nil || r == nil || r.Name != "Bystander/backend=mmap-2" {
		t.Errorf("Lookup(Bystander, mmap, -2) = %v, %v", r, err)
	}
	if r, err := rs.Lookup("Bystander", Keys{"backend": "mmap", ProcsKey: ""}); err != nil || r == nil || r.Name != "Bystander/backend=mmap" {
		t.Errorf("Lookup(Bystander, mmap, GOMAXPROCS=1) = %v, %v", r, err)
	}
}

func TestCaseLookup(t *testing.T) {
	c := Case{Backend: "mmap", Access: View, Pattern: Rand, BS: 4 << 10, Cache: Cold, Size: 16 << 20, Advice: AdviceRand, Threads: 1}
	other := c
	other.Backend = "pread"
	rs := load(t,
		"BenchmarkRead/"+c.Name()+"-2 10 30 ns/op",
		"BenchmarkRead/"+c.Name()+"-2 10 50 ns/op",
		"BenchmarkWriteSync/"+Case{Backend: "mmap", BS: 4096, Size: 1 << 20, Threads: 1, Sync: 64}.Name()+"-2 10 50 ns/op")
	r, err := rs.Case("Read", c)
	if err != nil || r == nil || len(r.Samples(NsPerOp)) != 2 {
		t.Fatalf("Case(Read, %s) = %v, %v; want the row with 2 samples", c.Name(), r, err)
	}
	if got, ok := r.Case(); !ok || got != c {
		t.Errorf("Row.Case() = %+v, %v; want %+v", got, ok, c)
	}
	if r, err := rs.Case("Read", other); r != nil || err != nil {
		t.Errorf("Case(Read, pread) = %v, %v; want (nil, nil): not run", r, err)
	}
	if r, err := rs.Case("WriteSync", Case{Backend: "mmap", BS: 4096, Size: 1 << 20, Threads: 1, Sync: 64}); r == nil || err != nil {
		t.Errorf("Case(WriteSync, sync=64) = %v, %v", r, err)
	}
	if _, err := rs.Case("OpenRead", c); err == nil {
		t.Errorf("Case(OpenRead) = nil error; OpenRead is not a case benchmark")
	}
}

// What Writer writes, Read reads back: names, iterations, values, config
// lines and unit directions.
func TestWriterRoundTrip(t *testing.T) {
	var sb strings.Builder
	w := NewWriter(&sb)
	if err := w.WriteUnits(OOMDeviceRead); err != nil {
		t.Fatal(err)
	}
	w.SetConfig("kernel", "6.18")
	if err := w.Write("BenchmarkOOM/config=mmap/phase=start", 100, Value{1234.5, NsPerOp}, Value{0.25, OOMDeviceRead}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("OOM/config=mmap/phase=steady", 50, Value{2e-7, NsPerOp}); err != nil {
		t.Fatal(err)
	}
	rs, err := Read(strings.NewReader(sb.String()), "w.txt")
	if err != nil {
		t.Fatalf("%v\n%s", err, sb.String())
	}
	if strings.Count(sb.String(), "kernel: 6.18") != 1 {
		t.Errorf("config line written %d times, want once:\n%s", strings.Count(sb.String(), "kernel: 6.18"), sb.String())
	}
	if rs.ConfigValue("kernel") != "6.18" || rs.Units.GetBetter(string(OOMDeviceRead)) != -1 {
		t.Errorf("config %q, direction %d", rs.ConfigValue("kernel"), rs.Units.GetBetter(string(OOMDeviceRead)))
	}
	start, _ := rs.Lookup("OOM", Keys{"config": "mmap", "phase": "start"})
	steady, _ := rs.Lookup("OOM", Keys{"config": "mmap", "phase": "steady"})
	if v, _ := start.Median(OOMDeviceRead); v != 0.25 || start.Iters[0] != 100 {
		t.Errorf("start row %+v", start)
	}
	if v, _ := steady.Median(NsPerOp); v != 2e-7 {
		t.Errorf("steady ns/op = %v, want 2e-7", v)
	}
}

// A *.csv file is an oom time series, read with the same error policy.
func TestLoadSeries(t *testing.T) {
	var sb strings.Builder
	w := NewSeriesWriter(&sb)
	if err := w.Write(Interval{Config: "mmap", Pattern: "rand", Second: 1, Elapsed: 1, Ops: 10, DeviceRead: -1, TLB: -1, Usage: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	path := write(t, "s.csv", strings.TrimSuffix(sb.String(), "\n"))
	rs, err := Load(path)
	if err != nil || len(rs.Series) != 1 || rs.Series[0].Ops != 10 {
		t.Fatalf("Load(series) = %+v, %v", rs, err)
	}
	bad := write(t, "s.csv", strings.Replace(strings.TrimSuffix(sb.String(), "\n"), ",1.000,", ",x,", 1))
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "s.csv:2:") {
		t.Errorf("Load(bad series) = %v; want an error naming s.csv:2", err)
	}
}
