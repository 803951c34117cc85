package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// durableRun writes one run's record of "mmapbench ipc -mode durable" with
// the given dirty counts at after-kill, before-close, after-close and
// after-sync (before-store is 0), the before-close check taken at closeMs.
func durableRun(sync string, kill, pre, post, synced int, closeMs float64) string {
	return fmt.Sprintf(`run: %s
stored: 42
changer-exit: SIGKILL
monitor-read: 42
fresh-read: 42
durability: measured
check-before-store: cached=1 dirty=0 writeback=0
check-after-kill: cached=1 dirty=%d writeback=0 ms=2.5
check-before-close: cached=1 dirty=%d writeback=0 ms=%g
check-after-close: cached=1 dirty=%d writeback=0 ms=%g
check-after-sync: cached=1 dirty=%d writeback=0 ms=%g
sync-us: 300
`, sync, kill, pre, closeMs, post, closeMs+0.01, synced, closeMs+0.3)
}

const durableHead = "kernel: 6.18.44\nfs-type: ext4\ndirty-expire-centisecs: 3000\ndirty-writeback-centisecs: 500\nbackend: mmap\n"

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
		name, text  string
		verdict     string // prefix
		durability  string // in the durability bullet
		notInclude  string // never in the durability bullet
		runEvidence string // in the run's bullet
	}{
		{
			name:        "close keeps the page dirty, sync cleans it",
			text:        durableHead + durableRun("fdatasync", 1, 1, 1, 0, 6) + durableRun("msync", 1, 1, 1, 0, 6),
			verdict:     DoesNotHold,
			durability:  "not written by close (fdatasync, msync run(s): still dirty after the last close); durable only after fdatasync or msync",
			runEvidence: "close does not write; fdatasync made it durable",
		},
		{
			name:        "the flusher cleaned the page before the close",
			text:        durableHead + durableRun("fdatasync", 1, 0, 0, 0, 6),
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "written back before the close",
		},
		{
			name:        "the page was clean already after the kill",
			text:        durableHead + durableRun("fdatasync", 0, 0, 0, 0, 6),
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "already clean after the kill",
		},
		{
			name:        "the page outlived dirty_expire before the close",
			text:        durableHead + durableRun("fdatasync", 1, 1, 0, 0, 31000),
			verdict:     DoesNotHold,
			durability:  "not shown by these runs",
			notInclude:  "close wrote",
			runEvidence: "older than vm.dirty_expire_centisecs (3000)",
		},
		{
			name:        "one run cleaned early, the other shows close does not write",
			text:        durableHead + durableRun("fdatasync", 1, 0, 0, 0, 6) + durableRun("msync", 1, 1, 1, 0, 6),
			verdict:     DoesNotHold,
			durability:  "not written by close (msync run(s)",
			notInclude:  "close wrote",
			runEvidence: "close does not write; msync made it durable",
		},
		{
			name:        "close wrote the page (dirty before, clean right after)",
			text:        durableHead + durableRun("fdatasync", 1, 1, 0, 0, 6),
			verdict:     HoldsOnly + ` "the file" means the device`,
			durability:  "close wrote the page back in the fdatasync run(s)",
			runEvidence: "close wrote it back",
		},
		{
			name:        "the sync left the page dirty",
			text:        durableHead + durableRun("msync", 1, 1, 1, 1, 6),
			verdict:     DoesNotHold,
			durability:  "not written by close (msync run(s): still dirty after the last close)",
			notInclude:  "durable only after",
			runEvidence: "still 1 dirty and 0 under writeback after msync",
		},
		{
			name:        "no cachestat: durability not measured, visibility still judged",
			text:        durableHead + "run: fdatasync\nstored: 42\nchanger-exit: SIGKILL\nmonitor-read: 42\nfresh-read: 42\ndurability: not measured here: cachestat(2): function not implemented (it needs Linux 6.5 or later; this kernel is 5.15.0)\n",
			verdict:     DoesNotHold,
			durability:  "not measured here: cachestat(2): function not implemented",
			notInclude:  "close",
			runEvidence: "fdatasync run: not measured here",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := closeClaim(t, tc.text)
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
	run := durableRun("fdatasync", 1, 1, 1, 0, 6)
	for _, tc := range []struct {
		replace, with, verdict string
	}{
		{"monitor-read: 42", "monitor-read: 7", HoldsOnly + " the reader started after the writer died"},
		{"fresh-read: 42", "fresh-read: 7", HoldsOnly + " the reader had the file mapped throughout"},
		{"read: 42", "read: 7", Holds},
	} {
		c := closeClaim(t, durableHead+strings.ReplaceAll(run, tc.replace, tc.with))
		// "holds" is a prefix of "holds only when": Holds must match exactly.
		ok := c.Verdict == tc.verdict || tc.verdict != Holds && strings.HasPrefix(c.Verdict, tc.verdict)
		if !ok {
			t.Errorf("with %q: verdict %q, want %q", tc.with, c.Verdict, tc.verdict)
		}
		if strings.Contains(evidence(c, "**visibility**: "), "before any close") {
			t.Errorf("with %q: visibility bullet %q claims it was visible", tc.with, evidence(c, "**visibility**: "))
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
		if r.ChangerExit != "SIGKILL" || r.Unmeasured != "" || len(r.Checks) != len(DurableStages) || r.Checks["after-close"].Dirty != 1 {
			t.Errorf("fixture run %+v; want SIGKILL, measured, %d checks, 1 dirty after close", r, len(DurableStages))
		}
	}
	if len(d.Lines) == 0 || d.Lines[0] != "kernel: 6.18.44-fc-v669" {
		t.Errorf("fixture lines start %q; want the output as recorded", d.Lines[:1])
	}

	run := durableRun("fdatasync", 1, 1, 1, 0, 6)
	for _, tc := range []struct{ text, want string }{
		{"durable backend=mmap: the changer stored counter 1 and died of SIGKILL\n", "older mmapbench"},
		{durableHead, "no output of 'mmapbench ipc -mode durable'"},
		{durableHead + strings.Replace(run, "check-after-close: cached=1 dirty=1 writeback=0 ms=6.01\n", "", 1), "no 'check-after-close:' line"},
		{durableHead + strings.Replace(run, "dirty=1 writeback=0 ms=6.01", "dirty=one writeback=0", 1), `dirty="one": not a number`},
		{durableHead + strings.Replace(run, "cached=1 dirty=0 writeback=0\n", "cached=1 dirty=0\n", 1), "no writeback="},
		{durableHead + strings.Replace(run, "stored: 42\n", "", 1), "no 'stored:' line"},
		{durableHead + strings.Replace(run, "durability: measured", "durability: maybe", 1), `"measured" or "not measured here: <reason>"`},
		{strings.Replace(durableHead, "3000", "30s", 1) + run, "a whole number of centiseconds"},
	} {
		if _, err := parseDurableText(t, tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDurable(%q) = %v; want an error containing %q", tc.text, err, tc.want)
		}
	}
}
