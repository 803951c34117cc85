package ipc

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// memfdChildFD is the memfd's descriptor number in a child: the first of
// exec.Cmd.ExtraFiles.
const memfdChildFD = 3

func createMemfd(string) (*object, error) {
	fd, err := unix.MemfdCreate("mmapbench-ipc", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("ipc: memfd_create: %w", err)
	}
	if err := initFD("memfd", fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// os/exec dup2s ExtraFiles into the child without O_CLOEXEC.
	f := os.NewFile(uintptr(fd), "memfd:mmapbench-ipc")
	o := &object{attach: attach{FD: memfdChildFD}, files: []*os.File{f}, fd: fd}
	o.release = func() {} // nameless: it dies with the last descriptor
	o.cleanup = once(func() { f.Close() })
	return o, nil
}

func openMemfd(a attach) (*Region, error) {
	if a.FD <= 2 {
		return nil, fmt.Errorf("ipc: memfd: descriptor %d: want an inherited descriptor (3 or more)", a.FD)
	}
	return mapFD(fmt.Sprintf("memfd fd %d", a.FD), a.FD, true)
}
