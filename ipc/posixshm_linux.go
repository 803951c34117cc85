package ipc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ShmDir is where POSIX shared memory objects live on Linux: shm_open(3) is
// open(2) of a file in this tmpfs.
const ShmDir = "/dev/shm"

// ShmPrefix starts the name of every object the driver creates in ShmDir,
// followed by the driver's pid, so that leftovers can be told apart.
const ShmPrefix = "mmapbench-ipc-"

func createPosixShm(string) (*object, error) {
	var r [8]byte
	rand.Read(r[:])
	path := fmt.Sprintf("%s/%s%d-%s", ShmDir, ShmPrefix, os.Getpid(), hex.EncodeToString(r[:]))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "shm_open", Path: path, Err: err}
	}
	if err := initFD("posixshm "+path, fd); err != nil {
		unix.Close(fd)
		os.Remove(path)
		return nil, err
	}
	return pathObject(path, fd), nil
}

func openPosixShm(a attach) (*Region, error) {
	fd, err := unix.Open(a.Path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "shm_open", Path: a.Path, Err: err}
	}
	return mapFD("posixshm "+a.Path, fd, true)
}
