//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/ipc"
	"golang.org/x/perf/benchfmt"
)

// runDurable answers "the data is written to the file when it is closed"
// once per sync variant (fdatasync, then msync). Stdout gets the data as Go
// benchmark results (ipc.BenchDurable: a result per step with page counts
// as metrics), which the report reads (report.ParseDurable); stderr gets a
// summary in words. It fails when a reader did not see the store: that is
// the visibility half's check. What cachestat shows is data, whatever it
// shows.
func runDurable(ctx context.Context, stdout, stderr io.Writer, cfg ipc.DurabilityConfig) int {
	var runs []ipc.DurabilityResult
	for _, sync := range ipc.DurabilitySyncs {
		c := cfg
		c.Sync = sync
		res, err := ipc.RunDurability(ctx, c)
		if err != nil {
			fprintf(stderr, "mmapbench %v\n", err)
			return exitFor(err)
		}
		runs = append(runs, res)
	}
	if err := ipc.WriteDurable(stdout, durableFileConfig(cfg.Dir), runs); err != nil {
		fprintf(stderr, "mmapbench ipc: writing results: %v\n", err)
		return exitFail
	}
	code := exitOK
	for _, r := range runs {
		fprintf(stderr, "%s", durableSummary(r))
		if r.Monitor != r.Value || r.Fresh != r.Value {
			code = exitFail
		}
	}
	return code
}

// durableFileConfig is what the durability verdict depends on besides the
// results: the kernel, the file system of dir and the flusher's settings
// (how old a dirty page must be before the flusher writes it, how often it
// wakes).
func durableFileConfig(dir string) []benchfmt.Config {
	var cfg []benchfmt.Config
	add := func(k, v string) { cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true}) }
	for _, l := range bench.Config(dir) {
		if l.Key == "kernel" || l.Key == "fs-type" {
			add(l.Key, l.Value)
		}
	}
	expire, interval := ipc.WritebackSettings()
	add(ipc.ConfigDirtyExpire, strconv.Itoa(expire))
	add(ipc.ConfigDirtyWriteback, strconv.Itoa(interval))
	return cfg
}

// durableSummary says in words what one run shows; the report's claim 3
// applies its own rule to the numbers.
func durableSummary(r ipc.DurabilityResult) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	seen := func(got uint64) string {
		if got == r.Value {
			return "read it"
		}
		return fmt.Sprintf("read %d, NOT the stored value", got)
	}
	through := "descriptor (pwrite)"
	if b, err := ipc.LookupBackend(r.Config.Backend); err == nil && b.Mapped {
		through = "mapping"
	}
	p("durable %s, then %s: the changer stored %d through its %s and died of SIGKILL (it called no close, munmap or msync; the kernel dropped its mapping and descriptors at exit)\n",
		r.Config.Backend, r.Config.Sync, r.Value, through)
	p("  visibility: the monitor, mapped throughout, %s before the kill; a process started after the kill %s\n", seen(r.Monitor), seen(r.Fresh))
	if r.Unmeasured != "" {
		p("  durability: not measured here: %s\n", r.Unmeasured)
		return b.String()
	}
	get := func(stage string) ipc.CacheCheck { c, _ := r.Check(stage); return c }
	kill, before, after, synced := get(ipc.StageAfterKill), get(ipc.StageBeforeClose), get(ipc.StageAfterClose), get(ipc.StageAfterSync)
	ms := func(c ipc.CacheCheck) string { return c.Since.Round(10 * time.Microsecond).String() }
	p("  durability (cachestat, dirty pages): before the store %d; after the kill %d (%s after the changer was told to store); before the last close %d (%s); after it %d (%s); after %s %d (%s, took %s)\n",
		get(ipc.StageBeforeStore).Dirty, kill.Dirty, ms(kill), before.Dirty, ms(before), after.Dirty, ms(after), r.Config.Sync, synced.Dirty, ms(synced), r.SyncTime.Round(time.Microsecond))
	switch {
	case kill.Dirty == 0:
		p("  the store's page was clean by the first look: written back before it (the kernel's flusher, memory reclaim or another process's sync); this run shows nothing about close\n")
	case before.Dirty == 0:
		p("  the page was written back before the close (the kernel's flusher, memory reclaim or another process's sync), so this run cannot show whether close writes\n")
	case after.Dirty > 0:
		p("  close did not write the page back; %s did\n", r.Config.Sync)
	default:
		p("  the page was dirty before the close and clean after it: close wrote it back (or started to: %d under writeback)\n", after.Writeback)
	}
	return b.String()
}
