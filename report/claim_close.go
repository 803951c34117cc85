package report

import (
	"fmt"
)

const (
	rule3 = "From `mmapbench ipc -mode durable`: the changer stores through the mapping and dies of SIGKILL without close, munmap or msync. " +
		"**Does not hold** if both the monitor and a process started afterwards read the stored value (the write reached the file without a close); **holds** if neither does; otherwise **holds only when** the reader is the one that saw it."
)

func claimClose(d *Durable) Claim {
	c := Claim{Text: "writes reach the file when it is closed", Rule: rule3, Verdict: NotMeasured}
	if d == nil {
		c.Evidence = []string{"no output of `mmapbench ipc -mode durable` (make report runs it)"}
		return c
	}
	c.Evidence = []string{
		fmt.Sprintf("%s: changer stored %d, then SIGKILL (no close, munmap or msync)", d.Backend, d.Stored),
		"monitor (mapped throughout) read it: " + okWord(d.MonitorOK),
		"a process started after the kill read it: " + okWord(d.FreshOK),
	}
	if d.DirectChecked {
		c.Evidence = append(c.Evidence, fmt.Sprintf("on the device (O_DIRECT read) after an fdatasync of %s: %s", d.SyncTime, okWord(d.DirectOK)))
	}
	switch {
	case d.MonitorOK && d.FreshOK:
		c.Verdict = DoesNotHold
	case !d.MonitorOK && !d.FreshOK:
		c.Verdict = Holds
	case d.MonitorOK:
		c.Verdict = HoldsOnly + " the reader started after the writer died (the monitor saw it at once)"
	default:
		c.Verdict = HoldsOnly + " the reader had the file mapped throughout (a later process saw it)"
	}
	return c
}
