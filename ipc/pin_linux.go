package ipc

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// CPUs returns the CPUs this process may run on, in increasing order.
func CPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("ipc: sched_getaffinity: %w", err)
	}
	var cpus []int
	for i := 0; i < len(set)*64; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// pinThread locks the calling goroutine to its thread and the thread to
// cpu. It returns a function that restores the thread's previous affinity
// and unlocks it, so that the thread goes back to the Go scheduler as it
// was (a goroutine that exits locked kills its thread, and with it the
// parent-death signal of any child that thread started).
func pinThread(cpu int) (undo func(), err error) {
	runtime.LockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("ipc: sched_getaffinity: %w", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("ipc: pinning to CPU %d: sched_setaffinity: %w", cpu, err)
	}
	return func() {
		unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}
