//go:build linux

package oom

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/bench"
)

// slack is how far above the limit the cgroup's charge may be seen: v1
// never charges past the limit; v2 may by a few pages while reclaiming.
const slack = 4 << 20

// TestMeasureAppliesLimit scans a file three times larger than the limit
// through mmap (which caches) and O_DIRECT pread (which does not), and
// checks what the issue asks: the limit really applies (the charge stays
// under it, and the cached run reaches it, so it was binding), the series
// has one row per second, and nothing is left behind.
func TestMeasureAppliesLimit(t *testing.T) {
	// Where the command's default puts it: off a tmpfs temp dir, whose
	// pages cannot be evicted.
	dir, err := os.MkdirTemp(bench.ResolveBenchDir("").Path, "oom-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if why := bench.NoEviction(dir); why != "" {
		t.Skip(why)
	}
	c := Config{Dir: dir, Size: 96 << 20, Limit: 32 << 20, Duration: 3 * time.Second, Interval: time.Second,
		Setups: []Setup{Setups[0], Setups[4]}, Patterns: []string{"seq"}, Readers: 1, RandBS: 4 << 10, SeqBS: 1 << 20}
	var runs []Run
	err = Measure(context.Background(), c, func(r Run) error { runs = append(runs, r); return nil })
	if errors.Is(err, ErrNoLimit) {
		if os.Geteuid() == 0 {
			t.Fatalf("running as root, yet: %v", err)
		}
		t.Skipf("this machine gives no memory limit to uid %d: %v", os.Geteuid(), err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	for _, r := range runs {
		t.Logf("%s %s: limit %d, peak %d, cgroup v%d", r.Setup.Name, r.Pattern, r.Limit, r.Peak, r.Version)
		if r.Limit > c.Limit || r.Limit < c.Limit-4096 {
			t.Errorf("%s: the kernel's limit is %d, asked for %d", r.Setup.Name, r.Limit, c.Limit)
		}
		if r.Peak > r.Limit+slack {
			t.Errorf("%s: the cgroup's peak %d exceeds the limit %d by more than %d", r.Setup.Name, r.Peak, r.Limit, slack)
		}
		if len(r.Rows) != 3 {
			t.Fatalf("%s: %d rows in a 3 s run at 1 s intervals, want 3", r.Setup.Name, len(r.Rows))
		}
		var ops int64
		for i, row := range r.Rows {
			if row.Second != i+1 || row.Elapsed <= 0 || row.Config != r.Setup.Name || row.Pattern != "seq" || row.Device != r.Device || r.Device == "" {
				t.Errorf("%s: row %d is %+v", r.Setup.Name, i, row)
			}
			if row.Usage > r.Limit+slack {
				t.Errorf("%s: second %d: usage %d above the limit %d", r.Setup.Name, row.Second, row.Usage, r.Limit)
			}
			ops += row.Ops
		}
		if ops == 0 {
			t.Errorf("%s: no reads in 3 s", r.Setup.Name)
		}
		if _, err := os.Stat(r.Cgroup); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: cgroup %s left behind (%v)", r.Setup.Name, r.Cgroup, err)
		}
	}
	// The cached scan read 96MiB more than once: without a binding limit it
	// would hold all of it. With one, it fills up to the limit.
	if mmap := runs[0]; mmap.Peak < mmap.Limit/2 {
		t.Errorf("mmap scan peaked at %d, under half the limit %d: did its page cache go elsewhere?", mmap.Peak, mmap.Limit)
	}
	// The O_DIRECT child's charge is its own memory: about 18MiB of a
	// -race child here (the race runtime's shadow memory), under 1MiB
	// of page cache; a cached scan would fill the limit.
	if direct := runs[1]; direct.Peak > direct.Limit*3/4 {
		t.Errorf("O_DIRECT scan peaked at %d of the limit %d: it should bypass the page cache", direct.Peak, direct.Limit)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%s still holds %v", dir, left)
	}
}

// TestChildRefusesWithoutLimit starts a child's work in a process that is
// not in the cgroup it was given: it must refuse rather than run unlimited.
func TestChildRefusesWithoutLimit(t *testing.T) {
	spec := `{"Path":"/nonexistent","Setup":{"Name":"mmap","Backend":"mmap"},"Pattern":"rand","BS":4096,"Readers":1,"Rows":1,` +
		`"Interval":1000000000,"Cgroup":"/sys/fs/cgroup/memory/mmapbench-oom-not-joined","CgroupVersion":1}`
	err := childMain(spec, strings.NewReader("go\n"))
	if err == nil || !strings.Contains(err.Error(), "refusing to run without the limit") {
		t.Fatalf("childMain outside its cgroup: err = %v", err)
	}
}

func TestConfigCheckNamesTheValue(t *testing.T) {
	good := Config{Size: 2 << 30, Limit: 256 << 20, Duration: 20 * time.Second, Interval: time.Second,
		Setups: Setups, Patterns: Patterns, Readers: 1, RandBS: 4096, SeqBS: 1 << 20,
		Dir: bench.ResolveBenchDir("").Path}
	if why := bench.NoEviction(good.Dir); why != "" {
		t.Skip(why)
	}
	if err := good.check(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Limit = 1 << 20 }, "limit 1MiB"},
		{func(c *Config) { c.Size = 300 << 20 }, "file size 300MiB"},
		{func(c *Config) { c.Duration = time.Second }, "duration 1s"},
		{func(c *Config) { c.Readers = 0 }, "readers 0"},
		{func(c *Config) { c.RandBS = 1000 }, "block size 1000B"},
		{func(c *Config) { c.Patterns = []string{"zigzag"} }, `pattern "zigzag"`},
		{func(c *Config) { c.Dir = "/nonexistent" }, "-dir /nonexistent does not exist"},
	} {
		c := good
		tc.change(&c)
		err := c.check()
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want ErrUsage naming %q", err, tc.want)
		}
	}
}

// TestConfigCheckRefusesMemoryDir: a -dir on tmpfs or ramfs is refused
// before anything runs, with the reason: its pages cannot be evicted, so
// no run would start from an evicted file.
func TestConfigCheckRefusesMemoryDir(t *testing.T) {
	const shm = "/dev/shm"
	if bench.MemoryFS(shm) == "" {
		t.Skipf("%s is not tmpfs here", shm)
	}
	c := Config{Size: 2 << 30, Limit: 256 << 20, Duration: 20 * time.Second, Interval: time.Second,
		Setups: Setups, Patterns: Patterns, Readers: 1, RandBS: 4096, SeqBS: 1 << 20, Dir: shm}
	err := c.check()
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), bench.NoEviction(shm)) {
		t.Errorf("-dir %s: err = %v, want ErrUsage with %q", shm, err, bench.NoEviction(shm))
	}
}
