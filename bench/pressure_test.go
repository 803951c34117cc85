//go:build linux

package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/internal/memcg"
	"github.com/mmapbench/mmapbench/schema"
)

// skipUnlessLimitable skips where no memory cgroup can be made (not root,
// no memory controller): the pressure rows skip there too.
func skipUnlessLimitable(t *testing.T) {
	t.Helper()
	skipUnlessEvictable(t)
	cg, err := memcg.New(fmt.Sprintf("%s-%d-probe", PressurePrefix, os.Getpid()), 64<<20)
	if errors.Is(err, memcg.ErrNoLimit) {
		t.Skipf("no memory limit can be placed here: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	if err := cg.Remove(); err != nil {
		t.Fatal(err)
	}
}

// TestPressureRowHoldsItsLimit: a cache=mem:4 row of a 64MiB file runs
// under a 16MiB limit: about a quarter of the file resident at its end
// (mincore), reads from the device in steady state (the limit evicts),
// per-op latency reported, and afterwards the process is outside the
// cgroup and the cgroup is gone. With the limit not applied the file
// would stay resident (resident-frac 1, no device reads) and the test
// fails.
func TestPressureRowHoldsItsLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads from the device")
	}
	skipUnlessLimitable(t)
	for _, c := range []schema.Case{
		{Backend: "pread", Access: schema.Copy, Pattern: schema.Rand, BS: 4 << 10, Cache: schema.Pressure(4), Size: 64 << 20, Threads: 1},
		{Backend: "mmap", Access: schema.View, Pattern: schema.Rand, BS: 4 << 10, Cache: schema.Pressure(4), Size: 64 << 20, Advice: schema.AdviceRand, Threads: 4},
	} {
		var skipped, failed bool
		r := testing.Benchmark(func(b *testing.B) {
			defer func() { skipped, failed = b.Skipped(), b.Failed() }()
			runCase(b, c, OpRead)
		})
		if err := harness.ReleasePressure(); err != nil {
			t.Fatal(err)
		}
		if skipped || failed {
			t.Fatalf("%s: skipped %v, failed %v", c.Name(), skipped, failed)
		}
		frac := r.Extra[UnitResidentFrac]
		if frac < 0.15 || frac > 0.25+pressureSlack {
			t.Errorf("%s: resident-frac %.3f, want about 0.25 (16MiB of 64MiB)", c.Name(), frac)
		}
		if r.Extra["dev-B/op"] <= 0 {
			t.Errorf("%s: dev-B/op %v: a steady state under the limit reads from the device", c.Name(), r.Extra["dev-B/op"])
		}
		if r.Extra[string(schema.IPCP99)] <= 0 {
			t.Errorf("%s: no p99-nsec: pressure rows time every op", c.Name())
		}
		own, err := os.ReadFile("/proc/self/cgroup")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(own), PressurePrefix) {
			t.Errorf("%s: still inside a pressure cgroup after the row: %s", c.Name(), own)
		}
		if left := ownPressureCgroups(t); len(left) > 0 {
			t.Errorf("%s: cgroups left behind: %v", c.Name(), left)
		}
	}
}

// ownPressureCgroups lists this process's pressure cgroups still present.
func ownPressureCgroups(t *testing.T) []string {
	t.Helper()
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, line := range strings.Split(string(own), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.Contains(parts[1], "memory") {
			continue
		}
		parent := filepath.Join("/sys/fs/cgroup/memory", parts[2])
		matches, _ := filepath.Glob(filepath.Join(parent, fmt.Sprintf("%s-%d-*", PressurePrefix, os.Getpid())))
		found = append(found, matches...)
	}
	return found
}

// TestRemoveStalePressure: a cgroup named for a process that is gone (what
// kill -9 of a run in a pressure row leaves) is removed at the next start;
// one named for a live process is kept.
func TestRemoveStalePressure(t *testing.T) {
	skipUnlessLimitable(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stale, err := memcg.New(fmt.Sprintf("%s-%d-1", PressurePrefix, gone.Process.Pid), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	live, err := memcg.New(fmt.Sprintf("%s-%d-stale-test", PressurePrefix, os.Getpid()), 64<<20)
	if err != nil {
		stale.Remove()
		t.Fatal(err)
	}
	defer live.Remove()
	var said strings.Builder
	if err := RemoveStalePressure(&said); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale.Dir); !errors.Is(err, os.ErrNotExist) {
		stale.Remove()
		t.Errorf("%s of a process that is gone was kept (%v)", stale.Dir, err)
	}
	if !strings.Contains(said.String(), stale.Dir) {
		t.Errorf("RemoveStalePressure said %q, want %s named", said.String(), stale.Dir)
	}
	if _, err := os.Stat(live.Dir); err != nil {
		t.Errorf("%s of this live process was removed: %v", live.Dir, err)
	}
}
