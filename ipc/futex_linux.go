package ipc

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The futex operations, without FUTEX_PRIVATE_FLAG (128): a private futex
// is keyed by the address in one process's address space, so a wake from
// another process would never reach the sleeper. The shared form is keyed
// by the page behind the address, which both processes map.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

// futexWaitTimeout sleeps while *addr == val, for at most d. It returns on
// a wake-up, a timeout, a signal, or at once if *addr != val (EAGAIN); the
// caller re-reads the word in every case, so the error is not needed.
func futexWaitTimeout(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	// unix.Syscall, not RawSyscall: the wait blocks, and the Go scheduler
	// must know this thread is in the kernel.
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWakeOne wakes one sleeper on addr.
func futexWakeOne(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake, 1, 0, 0, 0)
}
