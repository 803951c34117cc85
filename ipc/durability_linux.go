package ipc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cachestat returns the page-cache counts of the first RecordSize bytes of
// the file open as fd.
func cachestat(fd int) (unix.Cachestat_t, error) {
	var st unix.Cachestat_t
	err := unix.Cachestat(uint(fd), &unix.CachestatRange{Off: 0, Len: RecordSize}, &st, 0)
	if errors.Is(err, unix.ENOSYS) {
		return st, fmt.Errorf("cachestat(2): %v (it needs Linux 6.5 or later; this kernel is %s)", err, kernelRelease())
	}
	if err != nil {
		// EPERM from a seccomp filter, for example: no counts either.
		return st, fmt.Errorf("cachestat(2): %v", err)
	}
	return st, nil
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// noDevice says why dir's file system has no dirty pages to write back
// (tmpfs and ramfs keep pages in memory only), or "" when it has a device.
func noDevice(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return ""
	}
	switch st.Type {
	case unix.TMPFS_MAGIC:
		return "the file is on tmpfs, which has no device to write back to"
	case unix.RAMFS_MAGIC:
		return "the file is on ramfs, which has no device to write back to"
	}
	return ""
}

// WritebackSettings returns the kernel flusher's settings: how old a dirty
// page must be before the flusher writes it (vm.dirty_expire_centisecs) and
// how often it wakes (vm.dirty_writeback_centisecs). Either is -1 when it
// cannot be read.
func WritebackSettings() (expire, interval int) {
	read := func(name string) int {
		b, err := os.ReadFile("/proc/sys/vm/" + name)
		if err != nil {
			return -1
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return -1
		}
		return n
	}
	return read("dirty_expire_centisecs"), read("dirty_writeback_centisecs")
}

// RunDurability runs the changer that stores and, once the monitor has read
// the value, dies of SIGKILL; then a fresh reader; then the file's last
// close and a sync, with cachestat(2) at every stage.
func RunDurability(ctx context.Context, cfg DurabilityConfig) (DurabilityResult, error) {
	if cfg.Sync == "" {
		cfg.Sync = SyncFdatasync
	}
	res := DurabilityResult{Config: cfg, Value: uint64(time.Now().UnixNano())&(1<<40-1) | 1}
	b, err := LookupBackend(cfg.Backend)
	if err != nil {
		return res, fmt.Errorf("%w: %w", err, ErrUsage)
	}
	if !b.File {
		return res, usageError("durability with backend %s: it has no file on disk; want mmap, mmapgo, pread or osfile", b.Name)
	}
	if cfg.Sync != SyncFdatasync && cfg.Sync != SyncMsync {
		return res, usageError("durability sync %q: want %s or %s", cfg.Sync, SyncFdatasync, SyncMsync)
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
	path := s.obj.attach.Path

	res.Unmeasured = noDevice(s.dir)
	measure := res.Unmeasured == ""
	// check records the file's counts at stage through fd; the first
	// failure of cachestat turns the durability half off (the visibility
	// half still runs).
	var told time.Time
	check := func(stage string, fd int) {
		if !measure {
			return
		}
		st, err := cachestat(fd)
		if err != nil {
			res.Unmeasured, res.Checks, measure = err.Error(), nil, false
			return
		}
		c := CacheCheck{Stage: stage, Cached: st.Cache, Dirty: st.Dirty, Writeback: st.Writeback}
		if !told.IsZero() {
			c.Since = time.Since(told)
		}
		res.Checks = append(res.Checks, c)
	}

	// Creating the file wrote its header through the page cache: write it
	// back, so that a dirty page later is the changer's store. Then close
	// the driver's descriptor, so that no one holds the file open but the
	// children, and the close checked below is the file's last.
	if err := fdatasync(s.obj.fd); err != nil {
		return res, fmt.Errorf("ipc: fdatasync %s: %w", path, err)
	}
	check(StageBeforeStore, s.obj.fd)
	unix.Close(s.obj.fd)
	s.obj.fd = -1
	s.obj.cleanup = once(func() { os.Remove(path) })

	// The monitor maps the file with mmap whatever the changer uses: it
	// stands for the article's monitor.
	watchCfg := childConfig{Role: "watch", Backend: "mmap", CPU: -1, Value: res.Value}
	if err := s.spawn(ctx, watchCfg, childConfig{Role: "storekill", Backend: b.Name, CPU: -1, Value: res.Value}); err != nil {
		return res, err
	}
	logf(cfg.Log, "ipc: durability backend=%s sync=%s: %s\n", b.Name, cfg.Sync, s.kids.pids())
	told = time.Now()
	if err := s.start(); err != nil {
		return res, err
	}
	mon, killer := s.kids[0], s.kids[1]
	mr, err := mon.result(ctx)
	if err != nil {
		return res, err
	}
	res.Monitor = mr.Value
	// The monitor has read the value while the changer is alive, with the
	// file open and mapped; now the changer may die.
	if _, err := killer.stdin.Write([]byte("die\n")); err != nil {
		return res, fmt.Errorf("ipc: telling %s to die: %w", killer, err)
	}
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

	fd1, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return res, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	check(StageAfterKill, fd1)

	// A process that did not exist at the time of the store.
	fresh := &session{b: s.b, dir: s.dir, obj: s.obj, keep: true}
	err = fresh.spawn(ctx, watchCfg)
	if err == nil {
		err = fresh.start()
	}
	var fr childResult
	if err == nil {
		fr, err = fresh.kids[0].result(ctx)
	}
	fresh.kids.kill()
	if err != nil {
		unix.Close(fd1)
		return res, err
	}
	res.Fresh = fr.Value

	check(StageBeforeClose, fd1)
	if err := unix.Close(fd1); err != nil {
		return res, fmt.Errorf("ipc: close %s: %w", path, err)
	}
	fd2, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return res, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd2)
	check(StageAfterClose, fd2)

	t0 := time.Now()
	if cfg.Sync == SyncMsync {
		err = msync(fd2)
	} else {
		err = fdatasync(fd2)
	}
	if err != nil {
		return res, fmt.Errorf("ipc: %s %s: %w", cfg.Sync, path, err)
	}
	res.SyncTime = time.Since(t0)
	check(StageAfterSync, fd2)
	return res, nil
}

// msync maps the record of fd read-only and calls msync(MS_SYNC) on the
// mapping. The driver never stores through it: what msync writes back is
// the file's dirty range, whichever mapping dirtied it.
func msync(fd int) error {
	mem, err := unix.Mmap(fd, 0, RecordSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(mem)
	for {
		if err := unix.Msync(mem, unix.MS_SYNC); err != unix.EINTR {
			return err
		}
	}
}

func fdatasync(fd int) error {
	for {
		if err := unix.Fdatasync(fd); err != unix.EINTR {
			return err
		}
	}
}

// storeAndDie stores the pid and v, waits until the driver says the monitor
// has read them (a line on stdin, or its end), then kills its own process
// with SIGKILL: no close, no munmap, no msync, no exit handlers. childMain
// has read "go\n" from stdin with a buffered reader, but the driver writes
// the next line only after the monitor saw the store, so nothing of it can
// be in that buffer.
func storeAndDie(r *Region, v uint64) (err error) {
	defer catchRegion(&err)
	r.store64(offPID, uint64(os.Getpid()))
	r.store64(offCounter, v)
	bufio.NewReader(os.Stdin).ReadString('\n')
	unix.Kill(os.Getpid(), unix.SIGKILL)
	select {} // never reached
}

// watchFor bounds a watcher's wait: a store is visible through the page
// cache within microseconds, so a watcher that has not seen it by then
// reports what it read instead of waiting for the driver's timeout.
const watchFor = 5 * time.Second

// watch waits until the counter holds v, polling every 100 µs for at most
// watchFor, and returns what it read last.
func watch(r *Region, v uint64) (got uint64, err error) {
	defer catchRegion(&err)
	deadline := time.Now().Add(watchFor)
	for {
		if got = r.load64(offCounter); got == v || time.Now().After(deadline) {
			return got, nil
		}
		time.Sleep(100 * time.Microsecond)
	}
}
