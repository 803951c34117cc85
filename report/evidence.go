package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mmapbench/mmapbench/ipc"
	"golang.org/x/perf/benchfmt"
)

// Durable is the outcome of "mmapbench ipc -mode durable": per sync
// variant, a store through the mapping by a changer that then dies of
// SIGKILL (it calls no close, munmap or msync), whether readers saw it, and
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

// A DurableRun is one sync variant's results of the durability output.
type DurableRun struct {
	Sync                       string // fdatasync or msync: how the run made the store durable at the end
	MonitorMissed, FreshMissed bool   // the reader did not read the stored value
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
	Line                        string // the result as recorded
}

// The stages of a durability run with page counts, in order (ipc.Stages).
var DurableStages = ipc.Stages

// A PageCheck is cachestat(2) of the file at one stage.
type PageCheck struct {
	Cached, Dirty, Writeback int64
	Ms                       float64 // since the changer was told to store; 0 before the store
}

// VisibleOK reports whether both readers of the run read the stored value.
func (r DurableRun) VisibleOK() bool { return !r.MonitorMissed && !r.FreshMissed }

// evidenceFile is one file of BenchmarkDurable or BenchmarkCount results,
// read with benchfmt.
type evidenceFile struct {
	path    string
	lines   []string // the file's lines, for the report's record of it
	results []*benchfmt.Result
}

// readEvidence reads path's results named bench (ipc.BenchDurable or
// ipc.BenchCount), the output of command. A syntax error, no such result,
// or the prose of an older mmapbench (a line starting with one of older)
// is an error naming the file (and line).
func readEvidence(path, bench, command string, older ...string) (*evidenceFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ev := &evidenceFile{path: path}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		ev.lines = append(ev.lines, l)
		for _, o := range older {
			if strings.HasPrefix(l, o) {
				return nil, fmt.Errorf("%s:%d: the output of an older %s (prose, not Go benchmark results): rerun it (mmapbench report -measure)", path, len(ev.lines), command)
			}
		}
	}
	want := fmt.Sprintf("want Benchmark%s results, the output of '%s'", bench, command)
	r := benchfmt.NewReader(bytes.NewReader(data), path)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("%v: %s", rec, want)
		case *benchfmt.Result:
			if string(rec.Name.Base()) == bench {
				ev.results = append(ev.results, rec.Clone())
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ev.results) == 0 {
		return nil, fmt.Errorf("%s: no output of '%s' (%s)", path, command, want)
	}
	return ev, nil
}

// keys returns the name keys of res (backend=mmap/...), failing unless it
// has every one of need.
func (ev *evidenceFile) keys(res *benchfmt.Result, need ...string) (map[string]string, error) {
	_, parts := res.Name.Parts()
	k := map[string]string{}
	for _, p := range parts {
		name, val, ok := strings.Cut(strings.TrimPrefix(string(p), "/"), "=")
		if ok {
			k[name] = val
		}
	}
	for _, n := range need {
		if k[n] == "" {
			return nil, ev.bad(res, "has no /"+n+"= in its name")
		}
	}
	return k, nil
}

// metric returns res's value in unit, failing when res has none.
func (ev *evidenceFile) metric(res *benchfmt.Result, unit string) (float64, error) {
	if v, ok := res.Value(unit); ok {
		return v, nil
	}
	return 0, ev.bad(res, "has no "+unit+" value")
}

func (ev *evidenceFile) bad(res *benchfmt.Result, what string) error {
	file, line := res.Pos()
	return fmt.Errorf("%s:%d: Benchmark%s %s", file, line, res.Name, what)
}

// ParseDurable reads the output of "mmapbench ipc -mode durable": Go
// benchmark results, one per step of each sync variant
// (ipc.BenchDurable): the readers' missed-stores, and, when the
// configuration says durability was measured, each stage's page counts.
// The machine (kernel, fs-type) and the flusher's settings are
// configuration lines. Unknown units and keys are skipped, so that new
// ones do not break old readers.
func ParseDurable(path string) (*Durable, error) {
	ev, err := readEvidence(path, ipc.BenchDurable, "mmapbench ipc -mode durable", "run: ", "durable backend=")
	if err != nil {
		return nil, err
	}
	d := &Durable{DirtyExpire: -1, DirtyWriteback: -1, MonitorOK: true, FreshOK: true}
	for _, l := range ev.lines {
		if strings.TrimSpace(l) != "" {
			d.Lines = append(d.Lines, l)
		}
	}
	first := ev.results[0]
	d.Kernel, d.FSType = first.GetConfig("kernel"), first.GetConfig("fs-type")
	for _, c := range []struct {
		key string
		dst *int
	}{{ipc.ConfigDirtyExpire, &d.DirtyExpire}, {ipc.ConfigDirtyWriteback, &d.DirtyWriteback}} {
		v := first.GetConfig(c.key)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, ev.bad(first, fmt.Sprintf("has configuration %s: %q: want a whole number of centiseconds", c.key, v))
		}
		*c.dst = n
	}

	steps := map[string]map[string]bool{} // by sync: the steps seen
	for _, res := range ev.results {
		k, err := ev.keys(res, "backend", "sync", "step")
		if err != nil {
			return nil, err
		}
		if d.Backend == "" {
			d.Backend = k["backend"]
		} else if k["backend"] != d.Backend {
			return nil, ev.bad(res, fmt.Sprintf("is of backend %s, but the file's first result is of %s: want one durability run per file", k["backend"], d.Backend))
		}
		i := slices.IndexFunc(d.Runs, func(r DurableRun) bool { return r.Sync == k["sync"] })
		if i < 0 {
			d.Runs = append(d.Runs, DurableRun{Sync: k["sync"], Checks: map[string]PageCheck{}})
			i, steps[k["sync"]] = len(d.Runs)-1, map[string]bool{}
			dur := res.GetConfig(ipc.ConfigDurability)
			if reason, ok := strings.CutPrefix(dur, ipc.UnmeasuredPrefix); ok {
				d.Runs[i].Unmeasured = reason
			} else if dur != ipc.DurabilityMeasured {
				return nil, ev.bad(res, fmt.Sprintf("has configuration %s: %q: want %q or %q", ipc.ConfigDurability, dur, ipc.DurabilityMeasured, ipc.UnmeasuredPrefix+"<reason>"))
			}
		}
		run, step := &d.Runs[i], k["step"]
		steps[run.Sync][step] = true
		switch {
		case step == ipc.StepMonitorRead || step == ipc.StepFreshRead:
			v, err := ev.metric(res, ipc.UnitMissedStores)
			if err != nil {
				return nil, err
			}
			if step == ipc.StepMonitorRead {
				run.MonitorMissed = v != 0
			} else {
				run.FreshMissed = v != 0
			}
		case slices.Contains(DurableStages, step):
			var c PageCheck
			for _, m := range []struct {
				unit string
				dst  *int64
			}{{ipc.UnitCachedPages, &c.Cached}, {ipc.UnitDirtyPages, &c.Dirty}, {ipc.UnitWritebackPages, &c.Writeback}} {
				v, err := ev.metric(res, m.unit)
				if err != nil {
					return nil, err
				}
				*m.dst = int64(v)
			}
			if us, ok := res.Value(ipc.UnitSinceStore); ok {
				c.Ms = us / 1000
			}
			run.Checks[step] = c
			if step == ipc.StageAfterSync {
				us, err := ev.metric(res, ipc.UnitSyncTime)
				if err != nil {
					return nil, err
				}
				run.SyncMicros = us
			}
		}
	}
	for _, r := range d.Runs {
		need := []string{ipc.StepMonitorRead, ipc.StepFreshRead}
		if r.Unmeasured == "" {
			need = ipc.DurableSteps
		}
		for _, st := range need {
			if !steps[r.Sync][st] {
				return nil, fmt.Errorf("%s: the %s run has no step=%s result (want %s)", path, r.Sync, st, strings.Join(need, ", "))
			}
		}
		d.MonitorOK = d.MonitorOK && !r.MonitorMissed
		d.FreshOK = d.FreshOK && !r.FreshMissed
	}
	return d, nil
}

// ParseCounts reads the output of one or more "mmapbench ipc -mode count"
// runs: a Go benchmark result per run (ipc.BenchCount), whose iterations
// are the increments made.
func ParseCounts(path string) ([]Count, error) {
	ev, err := readEvidence(path, ipc.BenchCount, "mmapbench ipc -mode count", "count backend=")
	if err != nil {
		return nil, err
	}
	var cs []Count
	for _, res := range ev.results {
		k, err := ev.keys(res, "backend", "counter", "changers")
		if err != nil {
			return nil, err
		}
		changers, err := strconv.Atoi(k["changers"])
		if err != nil || changers <= 0 || res.Iters%changers != 0 {
			return nil, ev.bad(res, fmt.Sprintf("has changers=%s and %d increments: want a positive number of changers that divides them", k["changers"], res.Iters))
		}
		lost, err := ev.metric(res, ipc.UnitLostPerOp)
		if err != nil {
			return nil, err
		}
		// benchfmt reads ns/op as sec/op (benchunit.Tidy), except a 0,
		// which keeps its unit.
		secPerOp, ok := res.Value("sec/op")
		if !ok {
			ns, err := ev.metric(res, "ns/op")
			if err != nil {
				return nil, err
			}
			secPerOp = ns / 1e9
		}
		want := int64(res.Iters)
		c := Count{Backend: k["backend"], Counter: k["counter"], Changers: changers, Increments: res.Iters / changers, Want: want}
		c.Lost = int64(lost*float64(want) + 0.5)
		c.Final = want - c.Lost
		c.LostPercent = 100 * lost
		c.ElapsedSeconds = secPerOp * float64(want)
		if _, line := res.Pos(); line >= 1 && line <= len(ev.lines) {
			c.Line = ev.lines[line-1]
		}
		cs = append(cs, c)
	}
	return cs, nil
}
