package ipc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// region opens the driver's own view of the session's object. For the file
// backends it must run before spawn removes the file's name.
func (s *session) region() (*Region, error) {
	switch {
	case s.b.File:
		return s.b.open(s.obj.attach)
	case s.b.Name == "sysv":
		return openSysv(s.obj.attach)
	}
	fd, err := unix.FcntlInt(uintptr(s.obj.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ipc: %s: dup: %w", s.b.Name, err)
	}
	return mapFD(s.b.Name, fd, true)
}
