package report

import (
	"fmt"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

const rule3 = "From `mmapbench ipc -mode durable`, once per sync (fdatasync, msync): a changer stores through the mapping; a monitor with the file mapped reads it while the changer runs; the changer dies of SIGKILL (it calls no close, munmap or msync); " +
	"a process started afterwards reads it; then the file's last descriptor is closed without a sync, and the file synced. cachestat(2) counts the record's dirty pages at each step. " +
	"**Visibility**: the store is visible before any close if both readers read it in every run. " +
	"**Durability**, per run: close does not write if the page is dirty just before the last close and still dirty after it; close wrote if it is dirty before and clean after; " +
	"a run whose page was already clean before the close (written back by the kernel's flusher, reclaim or another sync), or older than vm.dirty_expire_centisecs by then (the flusher may write it at any moment), does not test close; " +
	"the sync made it durable if 0 pages are dirty or under writeback after it. " +
	"**Does not hold** if the store is visible before any close and no run shows close writing (durability: not written by close, durable only after fdatasync/msync; or not measured, said so); " +
	"**holds only when** \"the file\" means the device, if visible and some run shows close writing; **holds** if neither reader saw the store; **holds only when** the reader started after the writer died, if only that one did."

// closeFinding is what one run shows about close.
type closeFinding int

const (
	closeUntested closeFinding = iota // not measured, or the page was clean (or old) before the close
	closeKeeps                        // dirty before and after the last close
	closeWrites                       // dirty before, clean after
)

// judgeClose classifies one run and describes its page counts in words.
func judgeClose(r DurableRun, expireCentisecs int) (closeFinding, string) {
	if r.Unmeasured != "" {
		return closeUntested, fmt.Sprintf("%s run: not measured here: %s", r.Sync, r.Unmeasured)
	}
	ck := r.Checks
	before, kill, pre, post, synced := ck["before-store"], ck["after-kill"], ck["before-close"], ck["after-close"], ck["after-sync"]
	counts := fmt.Sprintf("%s run, dirty pages (cachestat): %d before the store → %d after the kill (%s) → %d just before the last close (%s) → %d after it → %d after %s (%s)",
		r.Sync, before.Dirty, kill.Dirty, ms(kill.Ms), pre.Dirty, ms(pre.Ms), post.Dirty, synced.Dirty, r.Sync, ms(synced.Ms))
	var f closeFinding
	var what string
	switch {
	case kill.Dirty == 0:
		what = "the page was already clean after the kill (written back early): this run does not test close"
	case pre.Dirty == 0:
		what = "the page was written back before the close (the kernel's flusher, reclaim or another sync): this run does not test close"
	case expireCentisecs > 0 && pre.Ms >= float64(expireCentisecs)*10:
		what = fmt.Sprintf("the page was older than vm.dirty_expire_centisecs (%d) at the close, so the flusher could write it at that moment: this run does not test close", expireCentisecs)
	case post.Dirty > 0:
		f, what = closeKeeps, "close does not write"
	default:
		f, what = closeWrites, fmt.Sprintf("close wrote it back (%d pages under writeback after it)", post.Writeback)
	}
	if synced.Dirty == 0 && synced.Writeback == 0 {
		what += fmt.Sprintf("; %s made it durable (0 dirty, took %s)", r.Sync, plot.FormatNanos(r.SyncMicros*1000))
	} else {
		what += fmt.Sprintf("; still %d dirty and %d under writeback after %s", synced.Dirty, synced.Writeback, r.Sync)
	}
	return f, counts + ": " + what
}

// ms formats a check's time since the store, in milliseconds.
func ms(v float64) string { return fmt.Sprintf("%.3g ms", v) }

func claimClose(d *Durable) Claim {
	c := Claim{Text: "writes reach the file when it is closed", Rule: rule3, Verdict: NotMeasured}
	if d == nil || len(d.Runs) == 0 {
		c.Evidence = []string{"no output of `mmapbench ipc -mode durable` (make report runs it)"}
		return c
	}
	var syncs, keeps, writes, untested, durable []string
	var runs []string
	monitor, fresh := true, true
	for _, r := range d.Runs {
		syncs = append(syncs, r.Sync)
		monitor = monitor && !r.MonitorMissed
		fresh = fresh && !r.FreshMissed
		f, text := judgeClose(r, d.DirtyExpire)
		runs = append(runs, text)
		switch f {
		case closeKeeps:
			keeps = append(keeps, r.Sync)
		case closeWrites:
			writes = append(writes, r.Sync)
		default:
			untested = append(untested, r.Sync)
		}
		if s, ok := r.Checks["after-sync"]; ok && r.Unmeasured == "" && s.Dirty == 0 && s.Writeback == 0 {
			durable = append(durable, r.Sync)
		}
	}

	var vis string
	switch {
	case monitor && fresh:
		vis = "visible to other processes before any close: the monitor read it while the changer ran, and a process started after the SIGKILL read it too"
	case !monitor && !fresh:
		vis = "not visible: neither reader read the stored value"
	case fresh:
		vis = "visible only to the process started after the writer died (the monitor did not read it)"
	default:
		vis = "visible to the monitor only (a process started later did not read it)"
	}
	var dur string
	switch {
	case len(writes) > 0:
		dur = "close wrote the page back in the " + strings.Join(writes, ", ") + " run(s)"
	case len(keeps) > 0:
		dur = "not written by close (" + strings.Join(keeps, ", ") + " run(s): still dirty after the last close)"
		if len(durable) > 0 {
			dur += "; durable only after " + strings.Join(durable, " or ")
		}
	case anyMeasured(d.Runs):
		dur = "not shown by these runs: the page was written back before the close (the kernel's flusher, reclaim or another sync), so close was not tested"
	default:
		dur = "not measured here: " + d.Runs[0].Unmeasured
	}
	where := "backend " + d.Backend
	if d.FSType != "" {
		where += ", file on " + d.FSType
	}
	if d.Kernel != "" {
		where += ", kernel " + d.Kernel
	}
	if d.DirtyExpire >= 0 && d.DirtyWriteback >= 0 {
		where += fmt.Sprintf(", the flusher writes pages dirty for over %gs, waking every %gs", float64(d.DirtyExpire)/100, float64(d.DirtyWriteback)/100)
	}
	c.Evidence = append([]string{
		fmt.Sprintf("%s: the changer stored, then died of SIGKILL (it called no close, munmap or msync); runs: %s", where, strings.Join(syncs, ", ")),
		"**visibility**: " + vis,
		"**durability**: " + dur,
	}, runs...)

	switch {
	case monitor && fresh && len(writes) > 0:
		c.Verdict = HoldsOnly + " \"the file\" means the device: close wrote the dirty page back, though other processes read the store before any close"
	case monitor && fresh:
		c.Verdict = DoesNotHold
	case !monitor && !fresh:
		c.Verdict = Holds
	case fresh:
		c.Verdict = HoldsOnly + " the reader started after the writer died (the monitor did not see it)"
	default:
		c.Verdict = HoldsOnly + " the reader had the file mapped throughout (a later process did not see it)"
	}
	return c
}

func anyMeasured(runs []DurableRun) bool {
	for _, r := range runs {
		if r.Unmeasured == "" {
			return true
		}
	}
	return false
}
