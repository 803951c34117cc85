//go:build unix

// Package privdir makes the private directories every mmapbench run works
// in, and removes those of runs that died without removing their own.
//
// Every run works in a directory of its own (0700) under a parent that
// others share, and removes it when it ends. A run killed with SIGKILL
// cannot: its directory, gigabytes with the full profile, would stay
// forever. So each private directory holds a lock file that its owner keeps
// under flock(2) for as long as it lives; the kernel releases the lock when
// the owner dies, however it dies, and the next run under the same parent
// removes every mmapbench-* directory whose lock is free. A pid file would
// not do: pids are reused.
package privdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CheckParent returns an error naming dir unless it is a directory this
// process can create files in: the check a command makes before any work,
// so that a missing directory exits 2 and never 1.
func CheckParent(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist: want an existing directory", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return fmt.Errorf("%s: cannot create files in it: %w", dir, err)
	}
	return nil
}

// privateLock is the lock file's name inside a private directory.
const privateLock = ".mmapbench-lock"

// Prefix begins the name of every private directory: the cleanup
// looks at those only.
const Prefix = "mmapbench-"

// A Dir is a directory only this process uses, locked while it
// lives.
type Dir struct {
	Path string
	lock *os.File
}

// Make first removes the private directories under parent left
// by dead runs, saying so on log (nil for silence), then makes a new one
// named prefix (which must begin with Prefix) and a random suffix,
// and locks it. The directory has no lock file until it is locked, and a
// directory without one is never removed by another run, so a run cannot
// remove one that is being made.
func Make(parent, prefix string, log io.Writer) (*Dir, error) {
	if !strings.HasPrefix(prefix, Prefix) {
		return nil, fmt.Errorf("privdir: private directory prefix %q does not begin with %q", prefix, Prefix)
	}
	RemoveStale(parent, log)
	dir, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Dir{Path: dir, lock: lock}, nil
}

// lockDir makes dir's lock file already locked: written and flocked under
// another name, then renamed into place (the lock follows the inode), so
// that no other run ever sees the lock file unlocked while its owner lives.
func lockDir(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, privateLock+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("privdir: locking %s: %w", tmp, err)
	}
	// The pid is for the message of the run that removes the directory.
	if _, err := fmt.Fprintf(f, "%d\n", os.Getpid()); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, privateLock)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Remove removes the directory and releases its lock. It is safe to call
// more than once.
func (d *Dir) Remove() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	d.lock = nil
	return err
}

// RemoveStale removes the directories mmapbench-* under parent that hold
// an unlocked lock file and belong to this user, and returns their paths;
// each is reported on log (unless nil). Directories without a lock file
// (being made, or made by an older mmapbench) and other users' are left
// alone. Errors are reported, not returned: a leftover that cannot be
// removed must not stop the run.
func RemoveStale(parent string, log io.Writer) []string {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), Prefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		lock, pid := staleLock(dir)
		if lock == nil {
			continue
		}
		// The lock is held while the directory goes: a run cleaning up at
		// the same time finds it locked, or gone.
		err := os.RemoveAll(dir)
		lock.Close()
		if err != nil {
			if log != nil {
				fmt.Fprintf(log, "mmapbench: cannot remove %s, left by process %s which has exited: %v\n", dir, pid, err)
			}
			continue
		}
		if log != nil {
			fmt.Fprintf(log, "mmapbench: removed %s, left by process %s which has exited\n", dir, pid)
		}
		removed = append(removed, dir)
	}
	return removed
}

// staleLock returns dir's lock file, locked, when dir is a private
// directory of this user whose owner is gone (its lock could be taken),
// and the owner's pid as the lock file says; nil otherwise.
func staleLock(dir string) (*os.File, string) {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil || st.Uid != uint32(os.Geteuid()) {
		return nil, ""
	}
	f, err := os.OpenFile(filepath.Join(dir, privateLock), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, ""
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, ""
	}
	b := make([]byte, 32)
	n, _ := f.Read(b)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		pid = "unknown"
	}
	return f, pid
}

// Held reports whether dir is a private directory whose owner lives: its
// lock file exists and is locked.
func Held(dir string) bool {
	f, err := os.Open(filepath.Join(dir, privateLock))
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) != nil
}
