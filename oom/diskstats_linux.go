package oom

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// A device is the block device holding a file, as /proc/diskstats names it.
type device struct {
	Major, Minor uint32
}

// deviceOf returns the block device of the file system holding path, and
// false for file systems without one (tmpfs, overlay: major 0).
func deviceOf(path string) (device, bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return device{}, false, fmt.Errorf("oom: %s: %w", path, err)
	}
	d := device{unix.Major(st.Dev), unix.Minor(st.Dev)}
	return d, d.Major != 0, nil
}

// Name is the kernel's name of the device ("vda", "nvme0n1p2", "zram1"),
// from its /sys/dev/block link; "none" for a file system without one, and
// "major:minor" when sysfs does not tell.
func (d device) Name() string {
	if d.Major == 0 {
		return "none"
	}
	id := fmt.Sprintf("%d:%d", d.Major, d.Minor)
	link, err := os.Readlink("/sys/dev/block/" + id)
	if err != nil {
		return id
	}
	return filepath.Base(link)
}

// bytesRead returns the device's "sectors read" from /proc/diskstats
// (field 6; a sector there is always 512 bytes), or -1 when the kernel does
// not list the device.
func (d device) bytesRead() int64 {
	data, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return -1
	}
	return parseDiskstats(data, d)
}

func parseDiskstats(data []byte, d device) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 {
			continue
		}
		maj, err1 := strconv.ParseUint(string(f[0]), 10, 32)
		mnr, err2 := strconv.ParseUint(string(f[1]), 10, 32)
		if err1 != nil || err2 != nil || uint32(maj) != d.Major || uint32(mnr) != d.Minor {
			continue
		}
		sectors, err := strconv.ParseInt(string(f[5]), 10, 64)
		if err != nil {
			return -1
		}
		return sectors * 512
	}
	return -1
}
