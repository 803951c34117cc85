package ipc

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/mmapbench/mmapbench/schema"
)

func isUsage(err error) bool { return errors.Is(err, ErrUsage) }

func TestRecorderSummary(t *testing.T) {
	r := NewRecorder(1000)
	for i := 1000; i >= 1; i-- { // out of order on purpose
		r.Add(time.Duration(2 * i))
	}
	r.Add(time.Hour) // beyond capacity: dropped
	s := r.Summary()
	want := Summary{Samples: 1000, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if s != want {
		t.Errorf("Summary() = %+v; want %+v", s, want)
	}
	if got := NewRecorder(0).Summary(); got != (Summary{}) {
		t.Errorf("empty Summary() = %+v; want zero", got)
	}
	if n := testing.AllocsPerRun(100, func() { r.Add(1) }); n != 0 {
		t.Errorf("Recorder.Add allocates %v times; want 0", n)
	}
}

func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenFile("mmap", filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenFile(missing) = %v; want fs.ErrNotExist", err)
	}
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, make([]byte, RecordSize), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"mmap", "mmapgo", "pread", "osfile"} {
		if _, err := OpenFile(b, junk); !errors.Is(err, ErrNotRecord) {
			t.Errorf("OpenFile(%s, zeros) = %v; want ErrNotRecord", b, err)
		}
	}
	if _, err := OpenFile("sysv", junk); err == nil {
		t.Errorf("OpenFile(sysv) succeeded; want an error: sysv has no file")
	}
	rec := filepath.Join(dir, "rec")
	if err := CreateFile(rec); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	if err := CreateFile(rec); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateFile over an existing file = %v; want fs.ErrExist (never truncate)", err)
	}
	if fi, err := os.Stat(rec); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != RecordSize {
		t.Errorf("Stat(record) = %v, %v; want mode 0600 and %d bytes", fi, err, RecordSize)
	}
	// Every file backend sees what another wrote, with and without a mapping.
	for i, w := range []string{"mmap", "mmapgo", "pread", "osfile"} {
		rw, err := OpenFile(w, rec)
		if err != nil {
			t.Fatalf("OpenFile(%s): %v", w, err)
		}
		if err := rw.SetPID(uint64(100 + i)); err != nil {
			t.Fatalf("%s: SetPID: %v", w, err)
		}
		for _, r := range []string{"mmap", "pread"} {
			rr, err := OpenFile(r, rec)
			if err != nil {
				t.Fatalf("OpenFile(%s): %v", r, err)
			}
			if pid, _, err := rr.Snapshot(); err != nil || pid != uint64(100+i) {
				t.Errorf("%s wrote pid %d; %s read %d, %v", w, 100+i, r, pid, err)
			}
			rr.Close()
		}
		rw.Close()
	}
}

func TestParseWait(t *testing.T) {
	for _, n := range WaitNames() {
		w, err := ParseWait(n)
		if err != nil || w.String() != n {
			t.Errorf("ParseWait(%q) = %v, %v", n, w, err)
		}
	}
	if _, err := ParseWait("sleep"); err == nil || !strings.Contains(err.Error(), "spin, poll, futex, spinfutex") {
		t.Errorf("ParseWait(sleep) = %v; want an error listing the strategies", err)
	}
	if _, err := LookupBackend("shm"); err == nil || !strings.Contains(err.Error(), "posixshm") {
		t.Errorf("LookupBackend(shm) = %v; want an error listing the backends", err)
	}
}

// TestUnitsNotTidied: benchstat must keep each unit's name for zero and
// non-zero values alike (see schema/units.go).
func TestUnitsNotTidied(t *testing.T) {
	for _, u := range Units() {
		for _, v := range []float64{0, 1.5, 1e-7, 12345} {
			if tv, tu := benchunit.Tidy(v, string(u.Unit)); tu != string(u.Unit) || tv != v {
				t.Errorf("benchunit.Tidy(%v, %q) = %v, %q; want it unchanged", v, u.Unit, tv, tu)
			}
		}
		if (u.Better != schema.LowerIsBetter && u.Unit != schema.IPCBatchRT) || u.Meaning == "" {
			t.Errorf("unit %q: Better %v, Meaning %q", u.Unit, u.Better, u.Meaning)
		}
	}
}

// TestBenchfmtRoundTrip writes a result and its unit lines and reads them
// back as benchstat would.
func TestBenchfmtRoundTrip(t *testing.T) {
	var sb strings.Builder
	w := benchfmt.NewWriter(&sb)
	if err := WriteUnits(w); err != nil {
		t.Fatal(err)
	}
	res := Result{Config: Config{Backend: "floor", Wait: WaitSpin}, Batch: Batch{OneWay: 30.5, RoundTrips: 4, Batches: 3}, Summary: Summary{Samples: 10, P50: 40.5, P90: 41, P99: 50, P999: 60, Max: 70}, Messages: 22, ClockNsec: 20}
	if err := w.Write(res.Benchfmt([]benchfmt.Config{{Key: "kernel", Value: []byte("x"), File: true}})); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(strings.NewReader(sb.String()), "test")
	var got *benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			got = rec.Clone()
		case *benchfmt.SyntaxError:
			t.Fatalf("%v\n%s", rec, sb.String())
		}
	}
	if got == nil || string(got.Name) != "IPC/backend=floor/wait=spin" || got.Iters != 12 {
		t.Fatalf("read back %+v from\n%s", got, sb.String())
	}
	// The reader tidies ns/op into sec/op, as benchstat shows it.
	// ns/op is the batch figure, not the per-round-trip p50.
	if v, ok := got.Value("sec/op"); !ok || math.Abs(v-30.5e-9) > 1e-15 {
		t.Errorf("sec/op = %v, %v; want the batch one-way latency, 30.5e-9", v, ok)
	}
	for _, u := range Units() {
		if _, ok := got.Value(string(u.Unit)); !ok {
			t.Errorf("result lacks unit %s:\n%s", u.Unit, sb.String())
		}
		if want := int(u.Better); r.Units().GetBetter(string(u.Unit)) != want {
			t.Errorf("GetBetter(%s) != %d after WriteUnits", u.Unit, want)
		}
	}
	// The bare floor times batches only: no percentiles, never zeros.
	bare := Result{Config: Config{Backend: BareName, Wait: WaitSpin}, Batch: Batch{OneWay: 29, RoundTrips: 4, Batches: 3}}
	for _, v := range bare.Metrics() {
		if v.Unit == string(schema.IPCP50) || v.Unit == string(schema.IPCMax) {
			t.Errorf("bare row reports %s = %v; it has no per-round-trip samples", v.Unit, v.Value)
		}
	}
	if got := (Config{Backend: "mmap", Wait: WaitPoll, Poll: 100 * time.Microsecond, Writeback: time.Second}).Name(); got != "backend=mmap/wait=poll/interval=100us/writeback=1s" {
		t.Errorf("Name() = %q", got)
	}
}
