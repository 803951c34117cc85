package bench

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/internal/privdir"
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
	return fmt.Sprintf("cold cases (and partial and memory-pressure ones) need a filesystem whose pages can be evicted; %s is %s; set MMAPBENCH_DIR to a disk directory", dir, name)
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
// process can create files in (privdir.CheckParent).
func CheckDir(dir string) error { return privdir.CheckParent(dir) }

// PrivatePrefix begins the name of every private directory.
const PrivatePrefix = privdir.Prefix

// A PrivateDir is a run's own directory (privdir.Dir).
type PrivateDir = privdir.Dir

// MakePrivateDir removes dead runs' private directories under parent,
// then makes this run's (privdir.Make).
func MakePrivateDir(parent, prefix string, log io.Writer) (*PrivateDir, error) {
	return privdir.Make(parent, prefix, log)
}

// RemoveStale removes the private directories under parent whose owner
// has died (privdir.RemoveStale).
func RemoveStale(parent string, log io.Writer) []string { return privdir.RemoveStale(parent, log) }
