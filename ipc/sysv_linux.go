package ipc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// createSysv makes a private segment, attaches it and marks it IPC_RMID at
// once. Linux lets other processes attach a segment marked for removal
// while someone is attached (shmctl(2), NOTES), and removes it when the
// last process detaches or dies, so no segment can outlive the run, even a
// driver killed with SIGKILL.
func createSysv(string) (*object, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, RecordSize, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, fmt.Errorf("ipc: shmget: %w", err)
	}
	mem, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		return nil, fmt.Errorf("ipc: shmat %d: %w", id, err)
	}
	if _, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil); err != nil {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("ipc: shmctl %d IPC_RMID: %w", id, err)
	}
	copy(mem, header())
	o := &object{attach: attach{ShmID: id}, fd: -1}
	o.release = func() {}
	o.cleanup = once(func() { unix.SysvShmDetach(mem) })
	return o, nil
}

func openSysv(a attach) (*Region, error) {
	label := fmt.Sprintf("sysv shmid %d", a.ShmID)
	mem, err := unix.SysvShmAttach(a.ShmID, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("ipc: %s: shmat: %w", label, err)
	}
	if len(mem) < RecordSize {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("ipc: %s: %d bytes, want %d: %w", label, len(mem), RecordSize, ErrNotRecord)
	}
	return newMappedRegion(label, mem, -1, func() error { return unix.SysvShmDetach(mem) })
}
