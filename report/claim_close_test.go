package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/ipc"
	"golang.org/x/perf/benchfmt"
)

// durableRun is one run of "mmapbench ipc -mode durable" in which both
// readers read the store, with the given dirty counts at after-kill,
// before-close, after-close and after-sync (before-store is 0), the
// before-close check taken at closeMs.
func durableRun(sync string, kill, pre, post, synced uint64, closeMs float64) ipc.DurabilityResult {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	return ipc.DurabilityResult{
		Config: ipc.DurabilityConfig{Backend: "mmap", Sync: sync}, Value: 42, Killed: true, Monitor: 42, Fresh: 42,
		Checks: []ipc.CacheCheck{
			{Stage: ipc.StageBeforeStore, Cached: 1},
			{Stage: ipc.StageAfterKill, Since: ms(2.5), Cached: 1, Dirty: kill},
			{Stage: ipc.StageBeforeClose, Since: ms(closeMs), Cached: 1, Dirty: pre},
			{Stage: ipc.StageAfterClose, Since: ms(closeMs + 0.01), Cached: 1, Dirty: post},
			{Stage: ipc.StageAfterSync, Since: ms(closeMs + 0.3), Cached: 1, Dirty: synced},
		},
		SyncTime: 300 * time.Microsecond,
	}
}

// durableConfig is the configuration the runs of the tests were made in.
var durableConfig = []benchfmt.Config{
	{Key: "kernel", Value: []byte("6.18.44"), File: true},
	{Key: "fs-type", Value: []byte("ext4"), File: true},
	{Key: ipc.ConfigDirtyExpire, Value: []byte("3000"), File: true},
	{Key: ipc.ConfigDirtyWriteback, Value: []byte("500"), File: true},
}

// durableText is what mmapbench ipc -mode durable writes for runs, through
// the writer it uses.
func durableText(t *testing.T, runs ...ipc.DurabilityResult) string {
	t.Helper()
	var b strings.Builder
	if err := ipc.WriteDurable(&b, durableConfig, runs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func parseDurableText(t *testing.T, text string) (*Durable, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "durable.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return ParseDurable(path)
}

func closeClaim(t *testing.T, text string) Claim {
	t.Helper()
	d, err := parseDurableText(t, text)
	if err != nil {
		t.Fatalf("ParseDurable: %v\n%s", err, text)
	}
	return claimClose(d)
}

// evidence returns the claim's evidence bullet that starts with prefix.
func evidence(c Claim, prefix string) string {
	for _, e := range c.Evidence {
		if strings.HasPrefix(e, prefix) {
			return e
		}
	}
	return ""
}

// TestClaimCloseReadsDirtyCounts: the durability verdict follows the dirty
// counts, and the visibility verdict is stated apart from it.
func TestClaimCloseReadsDirtyCounts(t *testing.T) {
	for _, tc := range []struct {
		name        string
		runs        []ipc.DurabilityResult
		verdict     string // prefix
		durability  string // in the durability bullet
		notInclude  string // never in the durability bullet
		runEvidence string // in the run's bullet
	}{
		{
			name:        "close keeps the page dirty, sync cleans it",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 1, 1, 1, 0, 6), durableRun("msync", 1, 1, 1, 0, 6)},
			verdict:     DoesNotHold,
			durability:  "not written by close (fdatasync, msync run(s): still dirty after the last close); durable only after fdatasync or msync",
			runEvidence: "close does not write; fdatasync made it durable",
		},
		{
			name:        "the flusher cleaned the page before the close",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 1, 0, 0, 0, 6)},
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "written back before the close",
		},
		{
			name:        "the page was clean already after the kill",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 0, 0, 0, 0, 6)},
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "already clean after the kill",
		},
		{
			name:        "the page outlived dirty_expire before the close",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 1, 1, 0, 0, 31000)},
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "older than vm.dirty_expire_centisecs (3000)",
		},
		{
			name:        "one run cleaned early, the other shows close does not write",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 1, 0, 0, 0, 6), durableRun("msync", 1, 1, 1, 0, 6)},
			verdict:     DoesNotHold,
			durability:  "not written by close (msync run(s)",
			notInclude:  "close wrote",
			runEvidence: "close does not write; msync made it durable",
		},
		{
			name:        "close wrote the page (dirty before, clean right after)",
			runs:        []ipc.DurabilityResult{durableRun("fdatasync", 1, 1, 0, 0, 6)},
			verdict:     HoldsOnly + ` "the file" means the device`,
			durability:  "close wrote the page back in the fdatasync run(s)",
			runEvidence: "close wrote it back",
		},
		{
			name:        "the sync left the page dirty",
			runs:        []ipc.DurabilityResult{durableRun("msync", 1, 1, 1, 1, 6)},
			verdict:     DoesNotHold,
			durability:  "not written by close (msync run(s): still dirty after the last close)",
			notInclude:  "durable only after",
			runEvidence: "still 1 dirty and 0 under writeback after msync",
		},
		{
			name: "no cachestat: durability not measured, visibility still judged",
			runs: []ipc.DurabilityResult{{
				Config: ipc.DurabilityConfig{Backend: "mmap", Sync: "fdatasync"}, Value: 42, Killed: true, Monitor: 42, Fresh: 42,
				Unmeasured: "cachestat(2): function not implemented (it needs Linux 6.5 or later; this kernel is 5.15.0)",
			}},
			verdict:     DoesNotHold,
			durability:  "not measured here: cachestat(2): function not implemented",
			notInclude:  "close",
			runEvidence: "fdatasync run: not measured here",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := closeClaim(t, durableText(t, tc.runs...))
			if !strings.HasPrefix(c.Verdict, tc.verdict) {
				t.Errorf("verdict %q, want %q", c.Verdict, tc.verdict)
			}
			vis := evidence(c, "**visibility**: ")
			if !strings.Contains(vis, "visible to other processes before any close") {
				t.Errorf("visibility bullet %q; want it visible before any close", vis)
			}
			dur := evidence(c, "**durability**: ")
			if !strings.Contains(dur, tc.durability) {
				t.Errorf("durability bullet %q; want it to contain %q", dur, tc.durability)
			}
			if tc.notInclude != "" && strings.Contains(dur, tc.notInclude) {
				t.Errorf("durability bullet %q contains %q", dur, tc.notInclude)
			}
			if !strings.Contains(strings.Join(c.Evidence, "\n"), tc.runEvidence) {
				t.Errorf("evidence %q; want a run bullet containing %q", c.Evidence, tc.runEvidence)
			}
		})
	}
}

// The visibility half decides alone when a reader missed the store.
func TestClaimCloseVisibility(t *testing.T) {
	for _, tc := range []struct {
		monitor, fresh uint64 // what the readers read; the store is 42
		verdict        string
	}{
		{7, 42, HoldsOnly + " the reader started after the writer died"},
		{42, 7, HoldsOnly + " the reader had the file mapped throughout"},
		{7, 7, Holds},
	} {
		run := durableRun("fdatasync", 1, 1, 1, 0, 6)
		run.Monitor, run.Fresh = tc.monitor, tc.fresh
		c := closeClaim(t, durableText(t, run))
		// "holds" is a prefix of "holds only when": Holds must match exactly.
		ok := c.Verdict == tc.verdict || tc.verdict != Holds && strings.HasPrefix(c.Verdict, tc.verdict)
		if !ok {
			t.Errorf("monitor read %d, fresh %d: verdict %q, want %q", tc.monitor, tc.fresh, c.Verdict, tc.verdict)
		}
		if strings.Contains(evidence(c, "**visibility**: "), "before any close") {
			t.Errorf("monitor read %d, fresh %d: visibility bullet %q claims it was visible", tc.monitor, tc.fresh, evidence(c, "**visibility**: "))
		}
	}
}

func TestParseDurable(t *testing.T) {
	d, err := ParseDurable("testdata/2026-12-01-vm-durable.txt")
	if err != nil {
		t.Fatalf("ParseDurable(fixture): %v", err)
	}
	if d.Backend != "mmap" || d.FSType != "ext4" || d.DirtyExpire != 3000 || d.DirtyWriteback != 500 || len(d.Runs) != 2 {
		t.Fatalf("fixture: backend %q, fs %q, expire %d, writeback %d, %d runs; want mmap, ext4, 3000, 500 and 2 runs", d.Backend, d.FSType, d.DirtyExpire, d.DirtyWriteback, len(d.Runs))
	}
	if !d.MonitorOK || !d.FreshOK {
		t.Errorf("fixture: monitor ok %v, fresh ok %v; want both", d.MonitorOK, d.FreshOK)
	}
	for _, r := range d.Runs {
		if r.Unmeasured != "" || len(r.Checks) != len(DurableStages) || r.Checks["after-close"].Dirty != 1 || r.Checks["after-kill"].Ms <= 0 || r.SyncMicros <= 0 {
			t.Errorf("fixture run %+v; want measured, %d checks, 1 dirty after close, times since the store and of the sync", r, len(DurableStages))
		}
	}
	if len(d.Lines) == 0 || !strings.HasPrefix(d.Lines[0], "Unit ") {
		t.Errorf("fixture lines start %q; want the output as recorded", d.Lines[:1])
	}
}

// TestDurableRoundTrip: what ipc writes for a run is what ParseDurable
// reads back, field by field.
func TestDurableRoundTrip(t *testing.T) {
	measured := durableRun("fdatasync", 1, 1, 0, 0, 6)
	unmeasured := ipc.DurabilityResult{Config: ipc.DurabilityConfig{Backend: "mmap", Sync: "msync"}, Value: 42, Killed: true, Monitor: 42, Fresh: 41, Unmeasured: "the file is on tmpfs"}
	d, err := parseDurableText(t, durableText(t, measured, unmeasured))
	if err != nil {
		t.Fatal(err)
	}
	if d.Backend != "mmap" || d.Kernel != "6.18.44" || d.FSType != "ext4" || d.DirtyExpire != 3000 || d.DirtyWriteback != 500 || len(d.Runs) != 2 || !d.MonitorOK || d.FreshOK {
		t.Fatalf("read %+v; want backend mmap, kernel 6.18.44, ext4, 3000, 500, two runs, monitor ok, fresh not", d)
	}
	m, u := d.Runs[0], d.Runs[1]
	if m.Sync != "fdatasync" || !m.VisibleOK() || m.Unmeasured != "" || m.SyncMicros != 300 {
		t.Errorf("measured run read as %+v", m)
	}
	for _, c := range measured.Checks {
		got := m.Checks[c.Stage]
		want := PageCheck{Cached: int64(c.Cached), Dirty: int64(c.Dirty), Writeback: int64(c.Writeback), Ms: float64(c.Since) / float64(time.Millisecond)}
		if got != want {
			t.Errorf("stage %s read as %+v, want %+v", c.Stage, got, want)
		}
	}
	if u.Sync != "msync" || u.MonitorMissed || !u.FreshMissed || u.Unmeasured != "the file is on tmpfs" || len(u.Checks) != 0 {
		t.Errorf("unmeasured run read as %+v; want msync, the fresh reader missing the store, the reason, no checks", u)
	}
}

// TestParseDurableErrors: an unreadable record is an error naming the file,
// the line where there is one, and what was expected.
func TestParseDurableErrors(t *testing.T) {
	text := durableText(t, durableRun("fdatasync", 1, 1, 1, 0, 6))
	dropLine := func(step string) string {
		var keep []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.Contains(l, "/step="+step+" ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	for _, tc := range []struct{ text, want string }{
		{"durable backend=mmap: the changer stored counter 1 and died of SIGKILL\n", "durable.txt:1: the output of an older mmapbench ipc -mode durable"},
		{"kernel: 6.18.44\nbackend: mmap\nrun: fdatasync\nstored: 42\n", "durable.txt:3: the output of an older mmapbench ipc -mode durable"},
		{"kernel: 6.18.44\n", "no output of 'mmapbench ipc -mode durable'"},
		{dropLine("after-close"), "the fdatasync run has no step=after-close result"},
		{dropLine("monitor-read"), "the fdatasync run has no step=monitor-read result"},
		{strings.Replace(text, " 1 dirty-pages", "", 1), "durable.txt:11: BenchmarkDurable/backend=mmap/sync=fdatasync/step=after-kill has no dirty-pages value"},
		{strings.Replace(text, " 1 dirty-pages", " one dirty-pages", 1), "durable.txt:11: parsing measurement"},
		{strings.Replace(text, "/sync=fdatasync/step=after-kill", "/step=after-kill", 1), "has no /sync= in its name"},
		{strings.Replace(text, "durability: measured", "durability: maybe", 1), `want "measured" or "not measured here: <reason>"`},
		{strings.Replace(text, "3000", "30s", 1), "a whole number of centiseconds"},
		{text + "BenchmarkDurable/backend=pread/sync=msync/step=monitor-read 1 0 missed-stores\n", "want one durability run per file"},
	} {
		if _, err := parseDurableText(t, tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDurable(%q) = %v; want an error containing %q", tc.text, err, tc.want)
		}
	}
}
