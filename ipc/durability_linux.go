package ipc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/impl"
	"golang.org/x/sys/unix"
)

// DurabilityConfig describes a durability run on a record file.
type DurabilityConfig struct {
	Backend string // how the changer stores: mmap, mmapgo, pread or osfile
	Dir     string
	Timeout time.Duration
	Log     interface{ Write([]byte) (int, error) }
}

// A DurabilityResult answers the article's "the data is written to the file
// when it is closed": a changer stores a value and is killed with SIGKILL
// before it can close, unmap or sync anything.
type DurabilityResult struct {
	Config    DurabilityConfig
	Value     uint64        // what the changer stored
	Killed    bool          // the changer died of SIGKILL, as it should
	Monitor   uint64        // what a monitor that had the file open read afterwards
	Fresh     uint64        // what a process started after the kill read
	SyncTime  time.Duration // how long fdatasync of the file took
	OnDisk    uint64        // what an O_DIRECT read (from the device, not the page cache) read after fdatasync
	DirectErr error         // why OnDisk could not be read, if it could not (a file system without O_DIRECT)
}

// RunDurability runs the changer that kills itself right after its store,
// then checks the value with the monitor, a fresh reader, and the disk.
func RunDurability(ctx context.Context, cfg DurabilityConfig) (DurabilityResult, error) {
	res := DurabilityResult{Config: cfg, Value: uint64(time.Now().UnixNano())&(1<<40-1) | 1}
	b, err := LookupBackend(cfg.Backend)
	if err != nil {
		return res, fmt.Errorf("%w: %w", err, ErrUsage)
	}
	if !b.File {
		return res, usageError("durability with backend %s: it has no file on disk; want mmap, mmapgo, pread or osfile", b.Name)
	}
	if cfg.Timeout <= 0 {
		return res, usageError("timeout %v: want a positive duration", cfg.Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	s, err := newSession(cfg.Dir, b)
	if err != nil {
		return res, err
	}
	s.keep = true
	defer s.close()

	// The monitor maps the file with mmap whatever the changer uses: it
	// stands for the article's monitor.
	watchCfg := childConfig{Role: "watch", Backend: "mmap", CPU: -1, Value: res.Value}
	if err := s.spawn(ctx, watchCfg, childConfig{Role: "storekill", Backend: b.Name, CPU: -1, Value: res.Value}); err != nil {
		return res, err
	}
	logf(cfg.Log, "ipc: durability backend=%s: %s\n", b.Name, s.kids.pids())
	if err := s.start(); err != nil {
		return res, err
	}
	mon, killer := s.kids[0], s.kids[1]
	werr := killer.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			res.Killed = true
		}
	}
	if !res.Killed {
		return res, killer.failure("death by SIGKILL", werr)
	}
	mr, err := mon.result(ctx)
	if err != nil {
		return res, err
	}
	res.Monitor = mr.Value

	// A process that did not exist at the time of the store.
	fresh := &session{b: s.b, dir: s.dir, obj: s.obj, keep: true}
	if err := fresh.spawn(ctx, watchCfg); err != nil {
		return res, err
	}
	defer fresh.kids.kill()
	if err := fresh.start(); err != nil {
		return res, err
	}
	fr, err := fresh.kids[0].result(ctx)
	if err != nil {
		return res, err
	}
	res.Fresh = fr.Value

	t0 := time.Now()
	if err := fdatasync(s.obj.fd); err != nil {
		return res, fmt.Errorf("ipc: fdatasync %s: %w", s.obj.attach.Path, err)
	}
	res.SyncTime = time.Since(t0)
	res.OnDisk, res.DirectErr = readDirect(s.obj.attach.Path)
	return res, nil
}

// readDirect reads the counter with O_DIRECT, from the device rather than the
// page cache.
func readDirect(path string) (uint64, error) {
	st, err := impl.Open("pread", path, impl.Options{Direct: true, ReadOnly: true, Size: RecordSize})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	buf := impl.AlignedBuffer(RecordSize)
	if _, err := st.ReadAt(buf, 0); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(buf[offCounter:]), nil
}

func fdatasync(fd int) error {
	for {
		if err := unix.Fdatasync(fd); err != unix.EINTR {
			return err
		}
	}
}

// storeAndDie stores the pid and v, then kills its own process with
// SIGKILL: no close, no munmap, no msync, no exit handlers.
func storeAndDie(r *Region, v uint64) (err error) {
	defer catchRegion(&err)
	r.store64(offPID, uint64(os.Getpid()))
	r.store64(offCounter, v)
	unix.Kill(os.Getpid(), unix.SIGKILL)
	select {} // never reached
}

// watch waits until the counter holds v and returns what it read. It polls
// every 100 µs; the driver's timeout bounds it.
func watch(r *Region, v uint64) (got uint64, err error) {
	defer catchRegion(&err)
	for {
		if got = r.load64(offCounter); got == v {
			return got, nil
		}
		time.Sleep(100 * time.Microsecond)
	}
}
