//go:build linux

package ipc

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func countConfig(t *testing.T, backend, mode string, increments int) CountConfig {
	return CountConfig{Backend: backend, Mode: mode, Changers: 2, Increments: increments, Dir: t.TempDir(), Timeout: time.Minute}
}

func TestCountExact(t *testing.T) {
	for _, tc := range []struct{ backend, mode string }{
		{"mmap", CountAtomic}, {"memfd", CountAtomic}, {"sysv", CountAtomic},
		{"mmap", CountFlock}, {"pread", CountFlock}, {"memfd", CountFlock},
	} {
		t.Run(tc.backend+"/"+tc.mode, func(t *testing.T) {
			n := 20000
			if tc.mode == CountFlock {
				n = 2000 // two system calls per increment
			}
			res, err := RunCount(context.Background(), countConfig(t, tc.backend, tc.mode, n))
			if err != nil {
				t.Fatalf("RunCount: %v", err)
			}
			if res.Final != res.Want {
				t.Errorf("RunCount(%s, %s): final counter %d, want exactly %d (lost %d)", tc.backend, tc.mode, res.Final, res.Want, res.Lost())
			}
		})
	}
}

// TestCountNaiveLoses shows that the article's counter++ can lose updates.
// Whether it does in one run depends on the scheduler, so the test never
// fails for the absence of a loss: it tries harder a bounded number of
// times and skips if the machine never interleaved the two changers. It
// fails only if the counter exceeds the increments made, which no
// interleaving allows.
func TestCountNaiveLoses(t *testing.T) {
	for n := 20000; n <= 2000000; n *= 10 {
		res, err := RunCount(context.Background(), countConfig(t, "mmap", CountNaive, n))
		if err != nil {
			t.Fatalf("RunCount: %v", err)
		}
		if res.Final > res.Want {
			t.Fatalf("RunCount(naive): final counter %d exceeds the %d increments made", res.Final, res.Want)
		}
		if res.Lost() > 0 {
			t.Logf("naive: %d changers x %d increments: lost %d of %d", 2, n, res.Lost(), res.Want)
			return
		}
	}
	t.Skip("naive increments lost nothing in three tries: the changers never overlapped on this machine")
}

func TestCountUsage(t *testing.T) {
	for _, c := range []CountConfig{
		{Backend: "pread", Mode: CountAtomic, Changers: 2, Increments: 1, Timeout: time.Second},
		{Backend: "sysv", Mode: CountFlock, Changers: 2, Increments: 1, Timeout: time.Second},
		{Backend: "mmap", Mode: "nosuch", Changers: 2, Increments: 1, Timeout: time.Second},
		{Backend: "mmap", Mode: CountAtomic, Changers: 0, Increments: 1, Timeout: time.Second},
		{Backend: "floor", Mode: CountAtomic, Changers: 2, Increments: 1, Timeout: time.Second},
	} {
		if _, err := RunCount(context.Background(), c); !isUsage(err) {
			t.Errorf("RunCount(%+v) = %v; want a usage error", c, err)
		}
	}
}

// TestDurability checks both halves of a durability run. Visibility: the
// monitor and a fresh process read the store, and the changer died of
// SIGKILL. Durability, where cachestat(2) works: the store left the page
// dirty, and the sync left it clean. Whether close wrote is what the run
// measures, not what the test demands: the kernel's flusher (or another
// process's sync on this shared machine) may clean the page at any moment,
// so the test only checks that the counts are in a possible order.
func TestDurability(t *testing.T) {
	for _, tc := range []struct{ backend, sync string }{
		{"mmap", SyncFdatasync}, {"mmap", SyncMsync}, {"pread", SyncFdatasync},
	} {
		t.Run(tc.backend+"/"+tc.sync, func(t *testing.T) {
			res, err := RunDurability(context.Background(), DurabilityConfig{Backend: tc.backend, Sync: tc.sync, Dir: t.TempDir(), Timeout: time.Minute})
			if err != nil {
				t.Fatalf("RunDurability: %v", err)
			}
			if !res.Killed {
				t.Errorf("the changer did not die of SIGKILL")
			}
			if res.Monitor != res.Value || res.Fresh != res.Value {
				t.Errorf("after the changer stored %d and was killed: monitor read %d, fresh process %d; want the value in both", res.Value, res.Monitor, res.Fresh)
			}
			if res.Unmeasured != "" {
				t.Skipf("durability not measured here: %s", res.Unmeasured)
			}
			if len(res.Checks) != len(Stages) {
				t.Fatalf("%d cachestat checks, want one per stage %v: %+v", len(res.Checks), Stages, res.Checks)
			}
			for i, c := range res.Checks {
				if c.Stage != Stages[i] {
					t.Errorf("check %d is %q, want %q", i, c.Stage, Stages[i])
				}
				if i > 1 && c.Since < res.Checks[i-1].Since {
					t.Errorf("%s taken %v after the store, before the previous check (%v)", c.Stage, c.Since, res.Checks[i-1].Since)
				}
			}
			before, _ := res.Check(StageBeforeStore)
			kill, _ := res.Check(StageAfterKill)
			synced, _ := res.Check(StageAfterSync)
			if before.Dirty != 0 {
				t.Errorf("before the store, after fdatasync of the header: %d dirty pages, want 0", before.Dirty)
			}
			if synced.Dirty != 0 || synced.Writeback != 0 {
				t.Errorf("after %s: %d dirty, %d under writeback; want 0 and 0", tc.sync, synced.Dirty, synced.Writeback)
			}
			if kill.Dirty == 0 {
				// Background writeback or reclaim on a busy machine.
				t.Logf("the store's page was already clean after the kill (%v): written back early", kill.Since)
			}
			// No page becomes dirty again once clean: nothing stores after the kill.
			for i := 2; i < len(res.Checks); i++ {
				if res.Checks[i].Dirty > res.Checks[i-1].Dirty {
					t.Errorf("%s: %d dirty, more than at %s (%d); nothing stores after the kill", res.Checks[i].Stage, res.Checks[i].Dirty, res.Checks[i-1].Stage, res.Checks[i-1].Dirty)
				}
			}
		})
	}
	// On tmpfs there is no device: the durability half says so, and the
	// visibility half still runs.
	if shm, err := os.MkdirTemp("/dev/shm", "mmapbench-test-"); err == nil {
		defer os.RemoveAll(shm)
		if noDevice(shm) != "" {
			res, err := RunDurability(context.Background(), DurabilityConfig{Backend: "mmap", Dir: shm, Timeout: time.Minute})
			if err != nil {
				t.Fatalf("RunDurability on tmpfs: %v", err)
			}
			if !strings.Contains(res.Unmeasured, "tmpfs") || len(res.Checks) != 0 {
				t.Errorf("on tmpfs: unmeasured %q with %d checks; want the reason naming tmpfs and no checks", res.Unmeasured, len(res.Checks))
			}
			if res.Monitor != res.Value || res.Fresh != res.Value {
				t.Errorf("on tmpfs: monitor read %d, fresh %d; want %d in both", res.Monitor, res.Fresh, res.Value)
			}
		}
	}
	if _, err := cachestat(-1); err == nil || !strings.Contains(err.Error(), "cachestat(2)") {
		t.Errorf("cachestat(-1) = %v; want an error naming cachestat(2)", err)
	}
	for _, c := range []DurabilityConfig{
		{Backend: "posixshm", Timeout: time.Second},
		{Backend: "mmap", Sync: "fsync", Timeout: time.Second},
	} {
		if _, err := RunDurability(context.Background(), c); !isUsage(err) {
			t.Errorf("RunDurability(%+v) = %v; want a usage error", c, err)
		}
	}
}
