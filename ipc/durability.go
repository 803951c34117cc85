package ipc

import "time"

// The ways a durability run makes the store durable after the close:
// fdatasync on a descriptor, or msync(MS_SYNC) on a mapping of the file
// (which the kernel turns into vfs_fsync_range over the mapped range, so it
// writes the file's dirty pages whichever mapping dirtied them).
const (
	SyncFdatasync = "fdatasync"
	SyncMsync     = "msync"
)

// DurabilitySyncs lists the sync variants, in the order a full run does them.
var DurabilitySyncs = []string{SyncFdatasync, SyncMsync}

// DurabilityConfig describes a durability run on a record file.
type DurabilityConfig struct {
	Backend string // how the changer stores: mmap, mmapgo, pread or osfile
	Sync    string // SyncFdatasync (the default when empty) or SyncMsync
	Dir     string
	Timeout time.Duration
	Log     interface{ Write([]byte) (int, error) }
}

// The stages at which a durability run takes cachestat(2) of the file, in
// order. Between after-kill and before-close a fresh process opens, maps,
// reads, unmaps and closes the file; between before-close and after-close
// the driver closes the file's last open descriptor, without a sync.
const (
	StageBeforeStore = "before-store" // after the header's fdatasync: the baseline, 0 dirty
	StageAfterKill   = "after-kill"   // the changer died of SIGKILL, the monitor exited: no one maps the file
	StageBeforeClose = "before-close" // the fresh reader exited; the driver's descriptor is the last one open
	StageAfterClose  = "after-close"  // that descriptor closed, the file reopened, no sync
	StageAfterSync   = "after-sync"   // after fdatasync or msync(MS_SYNC)
)

// Stages lists the stages in the order they are taken.
var Stages = []string{StageBeforeStore, StageAfterKill, StageBeforeClose, StageAfterClose, StageAfterSync}

// A CacheCheck is the file's page-cache state at one stage of a run.
type CacheCheck struct {
	Stage string
	// Since is the time since the changer was told to store; the store
	// happened within it, so it bounds the dirty page's age from above.
	// Zero for StageBeforeStore.
	Since                    time.Duration
	Cached, Dirty, Writeback uint64 // pages, from cachestat(2)
}

// A DurabilityResult answers the article's "the data is written to the file
// when it is closed", visibility and durability apart. Visibility: a
// changer stores a value through its mapping, a monitor that has the file
// mapped reads it while the changer still runs, then the changer dies of
// SIGKILL (no close(2), munmap or msync: the kernel drops its mapping and
// descriptors at exit) and a process started after that reads it too.
// Durability: cachestat(2) counts the file's dirty pages after the kill,
// around the file's last close, and after a sync.
type DurabilityResult struct {
	Config  DurabilityConfig
	Value   uint64 // what the changer stored
	Killed  bool   // the changer died of SIGKILL, as it should
	Monitor uint64 // what the monitor read while the changer was alive
	Fresh   uint64 // what a process started after the kill read

	// Unmeasured says why the durability half was not measured (no
	// cachestat on this kernel, a file system with no device); empty when
	// it was, and then Checks holds one check per stage.
	Unmeasured string
	Checks     []CacheCheck
	SyncTime   time.Duration // how long the fdatasync or msync took
}

// Check returns the check taken at stage, if there is one.
func (r DurabilityResult) Check(stage string) (CacheCheck, bool) {
	for _, c := range r.Checks {
		if c.Stage == stage {
			return c, true
		}
	}
	return CacheCheck{}, false
}
