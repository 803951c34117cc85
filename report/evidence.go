package report

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The counter evidence is the text that "mmapbench ipc -mode count" prints
// on stdout; this is the line read. The durability evidence is key: value
// data (see ParseDurable) and needs no pattern.
var countLine = regexp.MustCompile(`^count backend=(\S+) counter=(\S+): (\d+) changers x (\d+) increments = (\d+); final counter (\d+); lost (\d+) \(([\d.]+)%\) in ([\d.]+)s$`)

// Durable is the outcome of "mmapbench ipc -mode durable": per sync
// variant, a store through the mapping by a changer that then dies of
// SIGKILL (it calls no close, munmap or msync), what readers saw of it, and
// cachestat(2)'s page counts of the file at each stage.
type Durable struct {
	Backend                     string
	Kernel, FSType              string
	DirtyExpire, DirtyWriteback int // the flusher's vm.dirty_*_centisecs; -1 when not recorded
	Runs                        []DurableRun
	MonitorOK                   bool     // in every run, the monitor (file mapped throughout) read the value
	FreshOK                     bool     // in every run, a process started after the kill read it
	Lines                       []string // the output as recorded
}

// A DurableRun is one record of the durability output, from "run: <sync>".
type DurableRun struct {
	Sync                           string // fdatasync or msync: how the run made the store durable at the end
	Stored, MonitorRead, FreshRead uint64
	ChangerExit                    string // how the changer died: SIGKILL
	// Unmeasured is why the run has no page counts ("" when it has them):
	// a kernel without cachestat(2), a file system without a device.
	Unmeasured string
	Checks     map[string]PageCheck // by stage; all of DurableStages when measured
	SyncMicros float64              // how long the sync took
}

// A Count is one run of "mmapbench ipc -mode count".
type Count struct {
	Backend, Counter            string
	Changers, Increments        int
	Want, Final, Lost           int64
	LostPercent, ElapsedSeconds float64
	Line                        string
}

// The stages of a durability run, in order (ipc.Stages).
var DurableStages = []string{"before-store", "after-kill", "before-close", "after-close", "after-sync"}

// A PageCheck is cachestat(2) of the file at one stage.
type PageCheck struct {
	Cached, Dirty, Writeback int64
	Ms                       float64 // since the changer was told to store; 0 before the store
}

// VisibleOK reports whether both readers of the run read the stored value.
func (r DurableRun) VisibleOK() bool { return r.MonitorRead == r.Stored && r.FreshRead == r.Stored }

// ParseDurable reads the output of "mmapbench ipc -mode durable": key:
// value lines (benchfmt's configuration-line syntax). Keys before the first
// "run:" describe the machine; each "run: <sync>" starts a record with
// stored, monitor-read, fresh-read, durability ("measured" or "not measured
// here: <reason>"), and, when measured, one check-<stage> line per stage
// whose value is name=value fields (cached, dirty, writeback pages, ms) and
// sync-us. Unknown keys are skipped, so that new ones do not break old
// readers.
func ParseDurable(path string) (*Durable, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	d := &Durable{DirtyExpire: -1, DirtyWriteback: -1, MonitorOK: true, FreshOK: true}
	var run *DurableRun
	var seen []map[string]bool // the keys each run has
	bad := func(n int, l, want string) error {
		return fmt.Errorf("%s:%d: %q: want %s", path, n+1, l, want)
	}
	for n, l := range lines {
		if strings.HasPrefix(l, "durable backend=") {
			return nil, fmt.Errorf("%s: the prose output of an older mmapbench ipc -mode durable (with an O_DIRECT read, no page counts): rerun it (mmapbench report -measure)", path)
		}
		if strings.TrimSpace(l) != "" {
			d.Lines = append(d.Lines, l)
		}
		key, val, ok := strings.Cut(l, ": ")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		if key == "run" {
			d.Runs = append(d.Runs, DurableRun{Sync: val, Checks: map[string]PageCheck{}})
			run, seen = &d.Runs[len(d.Runs)-1], append(seen, map[string]bool{})
		}
		if run == nil {
			switch key {
			case "backend":
				d.Backend = val
			case "kernel":
				d.Kernel = val
			case "fs-type":
				d.FSType = val
			case "dirty-expire-centisecs", "dirty-writeback-centisecs":
				v, err := strconv.Atoi(val)
				if err != nil {
					return nil, bad(n, l, "a whole number of centiseconds")
				}
				if key == "dirty-expire-centisecs" {
					d.DirtyExpire = v
				} else {
					d.DirtyWriteback = v
				}
			}
			continue
		}
		seen[len(seen)-1][key] = true
		switch key {
		case "stored", "monitor-read", "fresh-read":
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return nil, bad(n, l, "the counter value, a whole number")
			}
			switch key {
			case "stored":
				run.Stored = v
			case "monitor-read":
				run.MonitorRead = v
			default:
				run.FreshRead = v
			}
		case "changer-exit":
			run.ChangerExit = val
		case "durability":
			if reason, ok := strings.CutPrefix(val, "not measured here: "); ok {
				run.Unmeasured = reason
			} else if val != "measured" {
				return nil, bad(n, l, `"measured" or "not measured here: <reason>"`)
			}
		case "sync-us":
			v, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return nil, bad(n, l, "microseconds")
			}
			run.SyncMicros = v
		default:
			stage, ok := strings.CutPrefix(key, "check-")
			if !ok {
				continue
			}
			c, err := parseCheck(val)
			if err != nil {
				return nil, bad(n, l, "cached=N dirty=N writeback=N [ms=F]: "+err.Error())
			}
			run.Checks[stage] = c
		}
	}
	if len(d.Runs) == 0 {
		return nil, fmt.Errorf("%s: no output of 'mmapbench ipc -mode durable' (want key: value lines, a record per sync starting 'run: <sync>')", path)
	}
	for i := range d.Runs {
		r := &d.Runs[i]
		for _, k := range []string{"stored", "monitor-read", "fresh-read", "durability"} {
			if !seen[i][k] {
				return nil, fmt.Errorf("%s: run %d (%s) has no '%s:' line", path, i+1, r.Sync, k)
			}
		}
		if r.Unmeasured == "" {
			for _, st := range DurableStages {
				if _, ok := r.Checks[st]; !ok {
					return nil, fmt.Errorf("%s: run %d (%s) is measured but has no 'check-%s:' line", path, i+1, r.Sync, st)
				}
			}
		}
		d.MonitorOK = d.MonitorOK && r.MonitorRead == r.Stored
		d.FreshOK = d.FreshOK && r.FreshRead == r.Stored
	}
	return d, nil
}

// parseCheck reads a check line's value: space-separated name=value fields.
func parseCheck(val string) (PageCheck, error) {
	var c PageCheck
	have := map[string]bool{}
	for _, f := range strings.Fields(val) {
		name, v, ok := strings.Cut(f, "=")
		if !ok {
			return c, fmt.Errorf("field %q is not name=value", f)
		}
		var err error
		switch name {
		case "cached":
			c.Cached, err = strconv.ParseInt(v, 10, 64)
		case "dirty":
			c.Dirty, err = strconv.ParseInt(v, 10, 64)
		case "writeback":
			c.Writeback, err = strconv.ParseInt(v, 10, 64)
		case "ms":
			c.Ms, err = strconv.ParseFloat(v, 64)
		default:
			continue
		}
		if err != nil {
			return c, fmt.Errorf("%s=%q: not a number", name, v)
		}
		have[name] = true
	}
	for _, name := range []string{"cached", "dirty", "writeback"} {
		if !have[name] {
			return c, fmt.Errorf("no %s=", name)
		}
	}
	return c, nil
}

// ParseCounts reads the output of one or more "mmapbench ipc -mode count" runs.
func ParseCounts(path string) ([]Count, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var cs []Count
	for _, l := range lines {
		m := countLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		c := Count{Backend: m[1], Counter: m[2], Line: l}
		c.Changers, _ = strconv.Atoi(m[3])
		c.Increments, _ = strconv.Atoi(m[4])
		c.Want, _ = strconv.ParseInt(m[5], 10, 64)
		c.Final, _ = strconv.ParseInt(m[6], 10, 64)
		c.Lost, _ = strconv.ParseInt(m[7], 10, 64)
		c.LostPercent, _ = strconv.ParseFloat(m[8], 64)
		c.ElapsedSeconds, _ = strconv.ParseFloat(m[9], 64)
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s: no output of 'mmapbench ipc -mode count' (want lines 'count backend=… counter=…: … lost N (P%%) in Ts')", path)
	}
	return cs, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	return lines, sc.Err()
}
