package memcg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A Cgroup is a memory cgroup made for one run and removed after it.
type Cgroup struct {
	Dir     string // its directory in the cgroup file system
	Version int    // 1 or 2
	Limit   int64  // the limit as the kernel reports it (rounded to pages)
}

// hierarchy is where new memory cgroups go: a parent directory and the
// cgroup version of the hierarchy it belongs to.
type hierarchy struct {
	parent  string
	version int
}

// findHierarchy picks the v2 hierarchy when its memory controller can be
// used, else the v1 memory hierarchy. New cgroups go under the one this
// process is in, so limits set around us (a container's, a CI job's) still
// apply.
func findHierarchy() (hierarchy, error) {
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return hierarchy{}, fmt.Errorf("memcg: %w: reading /proc/self/mountinfo: %v", ErrNoLimit, err)
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return hierarchy{}, fmt.Errorf("memcg: %w: reading /proc/self/cgroup: %v", ErrNoLimit, err)
	}
	v1, v2 := cgroupMounts(mounts)
	paths := ownCgroups(own)
	if v2.point != "" {
		dir := filepath.Join(v2.point, strings.TrimPrefix(paths["v2"], v2.root))
		if hasWord(filepath.Join(dir, "cgroup.controllers"), "memory") {
			return hierarchy{dir, 2}, nil
		}
	}
	if v1.point != "" {
		if p, ok := paths["memory"]; ok {
			return hierarchy{filepath.Join(v1.point, strings.TrimPrefix(p, v1.root)), 1}, nil
		}
	}
	return hierarchy{}, fmt.Errorf("memcg: %w: no memory cgroup controller is mounted (neither cgroup v2 with memory in cgroup.controllers nor a v1 memory hierarchy)", ErrNoLimit)
}

type mount struct{ root, point string }

// cgroupMounts finds the cgroup2 mount and the v1 mount carrying the
// memory controller in mountinfo: "id parent maj:min root point opts -
// fstype source superopts".
func cgroupMounts(mountinfo []byte) (v1, v2 mount) {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		m := mount{root: unescape(f[3]), point: unescape(f[4])}
		switch {
		case g[0] == "cgroup2" && v2.point == "":
			v2 = m
		case g[0] == "cgroup" && v1.point == "" && hasOption(g[2], "memory"):
			v1 = m
		}
	}
	return v1, v2
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasOption(opts, name string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == name {
			return true
		}
	}
	return false
}

// ownCgroups maps each controller of /proc/self/cgroup ("4:memory:/a/b")
// to its path, and the v2 entry ("0::/a") to "v2".
func ownCgroups(text []byte) map[string]string {
	paths := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			paths["v2"] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			paths[c] = parts[2]
		}
	}
	return paths
}

func hasWord(path, word string) bool {
	data, err := os.ReadFile(path)
	return err == nil && hasOption(strings.Join(strings.Fields(string(data)), ","), word)
}

// New creates the memory cgroup name (a single path element) with
// the given limit in bytes, covering anonymous memory and page cache, and
// no swap.
func New(name string, limit int64) (*Cgroup, error) {
	h, err := findHierarchy()
	if err != nil {
		return nil, err
	}
	if h.version == 2 {
		// A v2 cgroup gets the memory controller only if its parent
		// delegates it; enabling it here fails (EBUSY) when the parent
		// holds processes, and the error below says so.
		if !hasWord(filepath.Join(h.parent, "cgroup.subtree_control"), "memory") {
			if err := os.WriteFile(filepath.Join(h.parent, "cgroup.subtree_control"), []byte("+memory"), 0); err != nil {
				return nil, fmt.Errorf("memcg: %w: enabling the memory controller for children of %s: %v", ErrNoLimit, h.parent, err)
			}
		}
	}
	cg := &Cgroup{Dir: filepath.Join(h.parent, name), Version: h.version}
	if err := os.Mkdir(cg.Dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("memcg: %w: creating memory cgroup %s: %v (run as root, or in a cgroup delegated to this user)", ErrNoLimit, cg.Dir, err)
		}
		return nil, fmt.Errorf("memcg: %w: creating memory cgroup %s: %v", ErrNoLimit, cg.Dir, err)
	}
	if err := cg.setLimit(limit); err != nil {
		cg.Remove()
		return nil, err
	}
	return cg, nil
}

func (cg *Cgroup) setLimit(limit int64) error {
	limitFile, swapFile := "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	swapValue := limit // v1's memsw counts memory plus swap
	if cg.Version == 2 {
		limitFile, swapFile, swapValue = "memory.max", "memory.swap.max", 0
	}
	if err := cg.write(limitFile, limit); err != nil {
		return fmt.Errorf("memcg: %w: %v", ErrNoLimit, err)
	}
	// The swap file exists only when swap accounting is on; without it
	// there is nothing to cap (this machine has no swap at all).
	if _, err := os.Stat(filepath.Join(cg.Dir, swapFile)); err == nil {
		if err := cg.write(swapFile, swapValue); err != nil {
			return fmt.Errorf("memcg: %w: %v", ErrNoLimit, err)
		}
	}
	got, err := cg.read(limitFile)
	if err != nil {
		return fmt.Errorf("memcg: %w: %v", ErrNoLimit, err)
	}
	// The kernel rounds the limit down to whole pages; anything else means
	// it was not applied.
	if got > limit || got < limit-int64(os.Getpagesize()) {
		return fmt.Errorf("memcg: %w: wrote %d to %s, read back %d", ErrNoLimit, limit, filepath.Join(cg.Dir, limitFile), got)
	}
	cg.Limit = got
	return nil
}

func (cg *Cgroup) write(file string, v int64) error {
	path := filepath.Join(cg.Dir, file)
	if err := os.WriteFile(path, []byte(strconv.FormatInt(v, 10)), 0); err != nil {
		return fmt.Errorf("setting %s to %d: %w", path, v, err)
	}
	return nil
}

func (cg *Cgroup) read(file string) (int64, error) {
	path := filepath.Join(cg.Dir, file)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("memcg: %s: %q is not a number", path, s)
	}
	return v, nil
}

// UsageFile is the file holding the cgroup's current charge in bytes.
func (cg *Cgroup) UsageFile() string {
	if cg.Version == 2 {
		return filepath.Join(cg.Dir, "memory.current")
	}
	return filepath.Join(cg.Dir, "memory.usage_in_bytes")
}

// Peak returns the highest charge the cgroup has had, as the kernel
// tracked it (every charge, not only the ones a sampler happened to see).
func (cg *Cgroup) Peak() (int64, error) {
	file := "memory.max_usage_in_bytes"
	if cg.Version == 2 {
		file = "memory.peak" // Linux 5.19 and later
	}
	return cg.read(file)
}

// Join moves process pid (all its threads) into the cgroup.
func (cg *Cgroup) Join(pid int) error {
	path := filepath.Join(cg.Dir, "cgroup.procs")
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("memcg: %w: moving pid %d into %s: %v", ErrNoLimit, pid, cg.Dir, err)
	}
	return nil
}

// Contains reports whether /proc/<pid>/cgroup names this cgroup.
func (cg *Cgroup) Contains(pid int) (bool, error) {
	text, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return false, err
	}
	return ContainsPath(text, cg.Dir, cg.Version), nil
}

// ContainsPath reports whether a /proc/<pid>/cgroup text names dir, a
// cgroup of the given version.
func ContainsPath(procCgroup []byte, dir string, version int) bool {
	key := "memory"
	if version == 2 {
		key = "v2"
	}
	p, ok := ownCgroups(procCgroup)[key]
	return ok && p != "/" && strings.HasSuffix(dir, p)
}

// Remove deletes the cgroup. A process that just exited may still be
// charged for a moment, so it retries briefly; the page cache charged to
// the cgroup moves to its parent.
func (cg *Cgroup) Remove() error {
	var err error
	for range 50 {
		if err = os.Remove(cg.Dir); err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("memcg: removing cgroup %s: %w", cg.Dir, err)
}

// Leave moves process pid (all its threads) back to the cgroup the
// cgroup was made in, its parent. Charges stay where they were made (v1
// does not move them; v2 never does); Remove hands them to the parent.
func (cg *Cgroup) Leave(pid int) error {
	path := filepath.Join(filepath.Dir(cg.Dir), "cgroup.procs")
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("memcg: moving pid %d out of %s into its parent: %v", pid, cg.Dir, err)
	}
	return nil
}

// Usage is the cgroup's current charge in bytes.
func (cg *Cgroup) Usage() (int64, error) {
	data, err := os.ReadFile(cg.UsageFile())
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("memcg: %s: %q is not a number", cg.UsageFile(), strings.TrimSpace(string(data)))
	}
	return v, nil
}

// RemoveStale removes the cgroups named prefix-<pid>-... beside the ones
// New makes whose process <pid> is gone: what a run killed with SIGKILL
// left behind (an empty cgroup; the kernel keeps it until it is removed).
// It returns the directories it removed. Without a memory controller
// there is nothing to remove.
func RemoveStale(prefix string) ([]string, error) {
	h, err := findHierarchy()
	if err != nil {
		return nil, nil
	}
	entries, err := os.ReadDir(h.parent)
	if err != nil {
		return nil, fmt.Errorf("memcg: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix+"-")
		if !e.IsDir() || !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // its run is alive
		}
		cg := &Cgroup{Dir: filepath.Join(h.parent, e.Name()), Version: h.version}
		if err := cg.Remove(); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, cg.Dir)
	}
	return removed, errors.Join(errs...)
}
