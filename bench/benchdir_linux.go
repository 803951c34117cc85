package bench

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

// The bench directory's file system decides whether a cold case can be
// cold: tmpfs and ramfs keep every page of a file in memory (they have no
// backing store to read it back from), so eviction leaves it resident and
// the mincore check of every cold case fails. tmpfs is the default /tmp on
// Fedora, Arch and Debian 13, so the default directory has to look before
// anything runs.

// MemoryFS returns the name of dir's file system ("tmpfs", "ramfs") when
// its pages live in memory only and cannot be evicted, and "" otherwise,
// from statfs's f_type. A dir that cannot be statted is "": the error
// comes from whatever uses the directory next, with its own message.
func MemoryFS(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return ""
	}
	// f_type is signed on some architectures; the magic is 32 bits.
	switch uint32(st.Type) {
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.RAMFS_MAGIC:
		return "ramfs"
	}
	return ""
}

// NoEviction returns why cold cases cannot run with their files under dir,
// or "" when they can: the reason every cold case, every test that needs
// eviction, and mmapbench oom give when they skip or refuse.
func NoEviction(dir string) string {
	name := MemoryFS(dir)
	if name == "" {
		return ""
	}
	return fmt.Sprintf("cold cases need a filesystem whose pages can be evicted; %s is %s; set MMAPBENCH_DIR to a disk directory", dir, name)
}

// diskTempDir is where the default directory moves when the system temp
// dir is in memory: the FHS's temp dir that survives reboots, on disk on
// every distribution that puts /tmp on tmpfs.
var diskTempDir = "/var/tmp"

// A BenchDir is the parent directory of a run's private directory, with
// how it was chosen.
type BenchDir struct {
	Path string
	// Explicit is true when the user named it (a flag or $MMAPBENCH_DIR):
	// it is used as it is, and cold cases skip if it is in memory.
	Explicit bool
	// MovedFrom is the in-memory temp dir the default moved away from, or
	// "" when it did not move.
	MovedFrom string
}

// ResolveBenchDir picks the parent directory: flagValue when the user
// passed one, else $MMAPBENCH_DIR, else the system temp dir, unless that
// is tmpfs or ramfs and /var/tmp is not, when it is /var/tmp.
func ResolveBenchDir(flagValue string) BenchDir {
	if flagValue != "" {
		return BenchDir{Path: flagValue, Explicit: true}
	}
	if d := os.Getenv("MMAPBENCH_DIR"); d != "" {
		return BenchDir{Path: d, Explicit: true}
	}
	tmp := os.TempDir()
	if MemoryFS(tmp) == "" || MemoryFS(diskTempDir) != "" {
		return BenchDir{Path: tmp}
	}
	if fi, err := os.Stat(diskTempDir); err != nil || !fi.IsDir() || unix.Access(diskTempDir, unix.W_OK|unix.X_OK) != nil {
		return BenchDir{Path: tmp}
	}
	return BenchDir{Path: diskTempDir, MovedFrom: tmp}
}

// Note is the line for stderr that says how the directory was chosen when
// that changes what runs, or "".
func (d BenchDir) Note() string {
	switch {
	case d.MovedFrom != "":
		return fmt.Sprintf("the temp dir %s is %s, whose pages cannot be evicted: files go under %s (%s) instead; set MMAPBENCH_DIR to choose", d.MovedFrom, MemoryFS(d.MovedFrom), d.Path, fsType(d.Path))
	case NoEviction(d.Path) != "":
		return NoEviction(d.Path) + ": cold cases skip"
	}
	return ""
}

// ConfigValue is the bench-dir-fs configuration line's value: the file
// system the files are on, and why when it is not the one the user would
// expect. No path: a configuration value must stay the same from run to
// run, or benchstat splits the tables.
func (d BenchDir) ConfigValue() string {
	fsName := fsType(d.Path)
	switch {
	case d.MovedFrom != "":
		return fmt.Sprintf("%s (the temp dir is %s)", fsName, MemoryFS(d.MovedFrom))
	case MemoryFS(d.Path) != "":
		return fsName + " (cold cases skip)"
	}
	return fsName
}

// CheckDir returns an error naming dir unless it is a directory this
// process can create files in: the check a command makes before any work,
// so that a missing directory exits 2 and never 1.
func CheckDir(dir string) error {
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

// Private directories. Every run works in a directory of its own (0700)
// under a parent that others share, and removes it when it ends. A run
// killed with SIGKILL cannot: its directory, gigabytes with the full
// profile, would stay forever. So each private directory holds a lock file
// that its owner keeps under flock(2) for as long as it lives; the kernel
// releases the lock when the owner dies, however it dies, and the next run
// under the same parent removes every mmapbench-* directory whose lock is
// free. A pid file would not do: pids are reused.

// privateLock is the lock file's name inside a private directory.
const privateLock = ".mmapbench-lock"

// PrivatePrefix begins the name of every private directory: the cleanup
// looks at those only.
const PrivatePrefix = "mmapbench-"

// A PrivateDir is a directory only this process uses, locked while it
// lives.
type PrivateDir struct {
	Path string
	lock *os.File
}

// MakePrivateDir first removes the private directories under parent left
// by dead runs, saying so on log (nil for silence), then makes a new one
// named prefix (which must begin with PrivatePrefix) and a random suffix,
// and locks it. The directory has no lock file until it is locked, and a
// directory without one is never removed by another run, so a run cannot
// remove one that is being made.
func MakePrivateDir(parent, prefix string, log io.Writer) (*PrivateDir, error) {
	if !strings.HasPrefix(prefix, PrivatePrefix) {
		return nil, fmt.Errorf("bench: private directory prefix %q does not begin with %q", prefix, PrivatePrefix)
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
	return &PrivateDir{Path: dir, lock: lock}, nil
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
		return nil, fmt.Errorf("bench: locking %s: %w", tmp, err)
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
func (d *PrivateDir) Remove() error {
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
		if !e.IsDir() || !strings.HasPrefix(e.Name(), PrivatePrefix) {
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
