package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	mmapgo "github.com/edsrzf/mmap-go"
	"github.com/mmapbench/mmapbench/schema"
	"golang.org/x/sys/unix"
)

// A ConfigLine is one benchfmt configuration line, "Key: Value".
type ConfigLine struct {
	Key, Value string
}

// unknown stands for any value that could not be read. It is never empty:
// a benchfmt line "key:" with no value deletes the key instead.
const unknown = "unknown"

// Config describes the machine and the benchmark directory dir as benchfmt
// configuration lines, always the same keys in the same order. Values that
// cannot be read are "unknown" rather than missing, so that a run where one
// probe failed still groups with other runs on the same key set.
//
// Only values that stay the same across runs on one machine are included:
// benchstat splits results into separate tables when any configuration
// value differs, so a timestamp, commit or hostname here would stop every
// comparison. go test already prints goos, goarch, pkg and cpu; none of
// those keys is repeated.
//
// The keys are:
//
//	kernel        uname release
//	cpu-model     "model name" from /proc/cpuinfo
//	cpu-count     runtime.NumCPU (CPUs usable by this process)
//	gomaxprocs    runtime.GOMAXPROCS(0) when Config runs; go test -cpu changes it per benchmark
//	go-version    runtime.Version
//	page-size     os.Getpagesize, as an IEC size
//	thp           transparent_hugepage/enabled, the selected mode
//	thp-shmem     transparent_hugepage/shmem_enabled, the selected mode
//	fault-around  /sys/kernel/debug/fault_around_bytes (needs debugfs mounted and readable)
//	read-ahead    read_ahead_kb of dir's block device, in KiB; "none" without one (tmpfs, overlayfs)
//	llc-size      the last-level cache of CPU 0 (sysfs cpu0/cache), as an IEC size
//	fs-type       file system type of dir, from statfs
//	hypervisor    vendor from DMI if /proc/cpuinfo flags "hypervisor", else "yes"; "none" on bare metal;
//	              "unknown" where cpuinfo has no x86 flags line (arm64)
//	mitigations   counts of /sys/devices/system/cpu/vulnerabilities/* states
//	mmap-go       version of github.com/edsrzf/mmap-go linked into this binary
func Config(dir string) []ConfigLine {
	cpuModel, hvFlag, haveFlags := readCPUInfo()
	return []ConfigLine{
		{"kernel", kernelRelease()},
		{"cpu-model", cpuModel},
		{"cpu-count", strconv.Itoa(runtime.NumCPU())},
		{"gomaxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"go-version", oneLine(runtime.Version())},
		{"page-size", schema.FormatSize(int64(os.Getpagesize()))},
		{"thp", bracketed("/sys/kernel/mm/transparent_hugepage/enabled")},
		{"thp-shmem", bracketed("/sys/kernel/mm/transparent_hugepage/shmem_enabled")},
		{"fault-around", faultAround()},
		{"read-ahead", readAhead(dir)},
		{"llc-size", llcSize()},
		{"fs-type", fsType(dir)},
		{"hypervisor", hypervisor(hvFlag, haveFlags)},
		{"mitigations", mitigations("/sys/devices/system/cpu/vulnerabilities")},
		{"mmap-go", mmapGoVersion()},
	}
}

// WriteConfig writes Config(dir) to w as "key: value" lines. Print them
// before the results they describe (from TestMain before m.Run, or at the
// start of the driver's output); they apply to every following result.
func WriteConfig(w io.Writer, dir string) error {
	for _, l := range Config(dir) {
		if _, err := fmt.Fprintf(w, "%s: %s\n", l.Key, l.Value); err != nil {
			return fmt.Errorf("bench: writing config lines: %w", err)
		}
	}
	return nil
}

// oneLine makes s safe as a configuration value: a single line with no
// leading or trailing space (benchfmt keeps trailing space as part of the
// value), and never empty.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return unknown
	}
	return s
}

func readTrimmed(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	s := strings.TrimSpace(string(b))
	return s, s != ""
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return unknown
	}
	return oneLine(unix.ByteSliceToString(u.Release[:]))
}

// readCPUInfo returns the first "model name", whether the first "flags"
// line has "hypervisor" (the CPUID bit a hypervisor sets for its guests),
// and whether there was a flags line at all (x86 has one, arm64 does not).
func readCPUInfo() (model string, hypervisor, haveFlags bool) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return unknown, false, false
	}
	defer f.Close()
	model = unknown
	var sawModel bool
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20) // flags lines are long on modern x86
	for s.Scan() && !(sawModel && haveFlags) {
		key, val, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "model name":
			if !sawModel {
				model, sawModel = oneLine(val), true
			}
		case "flags":
			if !haveFlags {
				hypervisor = slices.Contains(strings.Fields(val), "hypervisor")
				haveFlags = true
			}
		}
	}
	return model, hypervisor, haveFlags
}

// bracketed returns the selected mode from a sysfs multiple-choice file
// such as "always [madvise] never".
func bracketed(path string) string {
	s, ok := readTrimmed(path)
	if !ok {
		return unknown
	}
	_, rest, ok := strings.Cut(s, "[")
	if !ok {
		return unknown
	}
	mode, _, ok := strings.Cut(rest, "]")
	if !ok {
		return unknown
	}
	return oneLine(mode)
}

// faultAround reads the number of bytes the kernel maps around a file
// fault. It only reads debugfs where someone mounted it; mounting it here
// would change the machine being described.
func faultAround() string {
	s, ok := readTrimmed("/sys/kernel/debug/fault_around_bytes")
	if !ok {
		return unknown
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return unknown
	}
	return schema.FormatSize(n)
}

// readAhead reports the read-ahead window of the block device holding dir,
// which bounds both read(2) read-ahead and mmap read-around.
func readAhead(dir string) string {
	n, err := ReadAheadBytes(dir)
	switch {
	case err != nil:
		return unknown
	case n < 0:
		// Anonymous device: tmpfs, overlayfs, proc and similar have no
		// block device and so no device read-ahead.
		return "none"
	}
	return strconv.FormatInt(n>>10, 10) + "KiB" // as read_ahead_kb says it, and as earlier results did
}

// ReadAheadBytes returns the read-ahead window (read_ahead_kb) of the block
// device holding dir, in bytes, or −1 when dir is on no block device
// (tmpfs, overlayfs). The window is also mmap's read-around: a fault on a
// mapping with default advice reads this much around the faulting page.
func ReadAheadBytes(dir string) (int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0, fmt.Errorf("bench: read-ahead of %s: %w", dir, err)
	}
	major, minor := unix.Major(st.Dev), unix.Minor(st.Dev)
	dev := fmt.Sprintf("%d:%d", major, minor)
	candidates := []string{
		// A whole disk, device-mapper or loop device has its own queue.
		filepath.Join("/sys/dev/block", dev, "queue/read_ahead_kb"),
		// A partition has none; its queue is its parent disk's. The
		// kernel resolves ".." after following the symlink.
		"/sys/dev/block/" + dev + "/../queue/read_ahead_kb",
		// File systems with their own backing device (FUSE, NFS) name it
		// major:minor in /sys/class/bdi.
		filepath.Join("/sys/class/bdi", dev, "read_ahead_kb"),
	}
	for _, p := range candidates {
		if s, ok := readTrimmed(p); ok {
			if kb, err := strconv.ParseInt(s, 10, 64); err == nil && kb >= 0 {
				return kb << 10, nil
			}
		}
	}
	if major == 0 {
		return -1, nil
	}
	return 0, fmt.Errorf("bench: read-ahead of %s: no read_ahead_kb for device %s in /sys", dir, dev)
}

// BlockDevice names the block device holding dir as /sys/dev/block's
// uevent does (vda, vda1, zram0, nvme0n1p2), "none" for a file system on
// no block device (tmpfs, overlayfs), "unknown" when sysfs does not say.
// Results from two devices (the disk and zram) differ by this line.
func BlockDevice(dir string) string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return unknown
	}
	major, minor := unix.Major(st.Dev), unix.Minor(st.Dev)
	if major == 0 {
		return "none"
	}
	text, ok := readTrimmed(fmt.Sprintf("/sys/dev/block/%d:%d/uevent", major, minor))
	if !ok {
		return unknown
	}
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "DEVNAME="); ok && name != "" {
			return name
		}
	}
	return unknown
}

// LLCSize returns the size of the last-level cache that CPU 0 sees (the
// highest-level data or unified cache in
// /sys/devices/system/cpu/cpu0/cache). A warm file smaller than it is read
// from the cache, not from memory: the regime labels depend on it.
func LLCSize() (int64, error) {
	const dir = "/sys/devices/system/cpu/cpu0/cache"
	idx, _ := filepath.Glob(filepath.Join(dir, "index*"))
	best, bestLevel := int64(0), -1
	for _, d := range idx {
		typ, ok1 := readTrimmed(filepath.Join(d, "type"))
		lvl, ok2 := readTrimmed(filepath.Join(d, "level"))
		size, ok3 := readTrimmed(filepath.Join(d, "size"))
		if !ok1 || !ok2 || !ok3 || typ == "Instruction" {
			continue
		}
		level, err := strconv.Atoi(lvl)
		if err != nil {
			continue
		}
		// sysfs writes sizes as "32768K".
		n, err := schema.ParseSize(strings.TrimSuffix(size, "K") + "KiB")
		if err != nil {
			continue
		}
		if level > bestLevel {
			best, bestLevel = n, level
		}
	}
	if bestLevel < 0 {
		return 0, fmt.Errorf("bench: no data or unified cache in %s", dir)
	}
	return best, nil
}

func llcSize() string {
	n, err := LLCSize()
	if err != nil {
		return unknown
	}
	return schema.FormatSize(n)
}

// fsMagic maps statfs f_type values to names. 0xEF53 is shared by ext2,
// ext3 and ext4; current kernels serve all three with the ext4 driver, so
// "ext4" names the code that runs.
var fsMagic = map[int64]string{
	0xEF53:     "ext4",
	0x01021994: "tmpfs",
	0x58465342: "xfs",
	0x9123683E: "btrfs",
	0x794C7630: "overlayfs",
	0x6969:     "nfs",
	0xF2F52010: "f2fs",
	0x2FC12FC1: "zfs",
	0x65735546: "fuse",
	0x01021997: "9p",
	0x858458F6: "ramfs",
}

func fsType(dir string) string {
	var sf unix.Statfs_t
	if err := unix.Statfs(dir, &sf); err != nil {
		return unknown
	}
	// f_type is signed on some architectures; the magic is 32 bits.
	magic := int64(uint32(sf.Type))
	if name, ok := fsMagic[magic]; ok {
		return name
	}
	return fmt.Sprintf("0x%x", magic)
}

// hypervisor names the hypervisor when the CPU says it runs under one.
// Hypervisors differ in how they handle page faults (nested paging, EPT
// violations) and syscalls, so it matters for both backends.
func hypervisor(flag, haveFlags bool) string {
	if !haveFlags {
		return unknown
	}
	if !flag {
		return "none"
	}
	for _, p := range []string{
		"/sys/class/dmi/id/sys_vendor",
		"/sys/class/dmi/id/product_name",
		"/sys/hypervisor/type", // Xen
	} {
		if s, ok := readTrimmed(p); ok {
			return oneLine(s)
		}
	}
	return "yes"
}

// mitigations summarizes the CPU vulnerability files as counts of
// mitigated, vulnerable and unaffected issues. Mitigations such as page
// table isolation and retpolines change the cost of every syscall and
// fault, which is what pread versus mmap measures. The digest does not tell
// which mitigation a kernel picked (retpolines versus IBRS count the same);
// compare the files themselves when two machines disagree.
func mitigations(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return unknown
	}
	var mitigated, vulnerable, notAffected, other int
	for _, e := range entries {
		s, ok := readTrimmed(filepath.Join(dir, e.Name()))
		// itlb_multihit reports the KVM side, e.g. "KVM: Mitigation: Split huge pages".
		s = strings.TrimPrefix(s, "KVM: ")
		switch {
		case !ok:
			other++
		case strings.HasPrefix(s, "Mitigation"):
			mitigated++
		case strings.HasPrefix(s, "Not affected"):
			notAffected++
		case strings.HasPrefix(s, "Vulnerable"), strings.HasPrefix(s, "Processor vulnerable"):
			vulnerable++
		default: // e.g. "Unknown: Dependent on hypervisor status"
			other++
		}
	}
	out := fmt.Sprintf("%d mitigated, %d vulnerable, %d not affected", mitigated, vulnerable, notAffected)
	if other > 0 {
		out += fmt.Sprintf(", %d unknown", other)
	}
	return out
}

const mmapGoPath = "github.com/edsrzf/mmap-go"

// mmapGoVersion returns the version of mmap-go linked into this binary.
// Binaries built by go build list their modules in the build info, but go
// test binaries list none (golang/go#76926, still open in Go 1.26), and
// benchmarks usually run as go test binaries. The fallback reads the
// version from the path of mmap-go's source file as recorded in the line
// table: module cache paths end in ".../github.com/edsrzf/mmap-go@v1.2.0/
// mmap.go", and -trimpath keeps the "module@version" part. Vendored or
// locally replaced copies have no version in the path and give "unknown".
func mmapGoVersion() string {
	if v := moduleVersion(mmapGoPath); v != unknown {
		return v
	}
	fn := runtime.FuncForPC(reflect.ValueOf(mmapgo.Map).Pointer())
	if fn == nil {
		return unknown
	}
	file, _ := fn.FileLine(fn.Entry())
	return versionFromSourcePath(file, mmapGoPath)
}

// versionFromSourcePath extracts the version from a module cache source
// path such as "/root/go/pkg/mod/github.com/edsrzf/mmap-go@v1.2.0/mmap.go".
func versionFromSourcePath(file, module string) string {
	_, rest, ok := strings.Cut(filepath.ToSlash(file), module+"@")
	if !ok {
		return unknown
	}
	v, _, _ := strings.Cut(rest, "/")
	if !strings.HasPrefix(v, "v") {
		return unknown
	}
	return oneLine(v)
}

// moduleVersion returns the version of module path from the running
// binary's build info, or "unknown" if the build info does not list it
// (the module is not linked in, or this is a go test binary).
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return unknown
	}
	for _, m := range bi.Deps {
		if m.Path != path {
			continue
		}
		if r := m.Replace; r != nil {
			// A local replacement's path differs between machines, so
			// leave it out: it would split benchstat tables.
			if r.Version != "" {
				return oneLine(r.Version + " (replaced)")
			}
			return "replaced"
		}
		return oneLine(m.Version)
	}
	return unknown
}
