package impl

import (
	"fmt"
	"runtime/debug"
)

// CatchFault runs f and turns a memory fault inside it (SIGBUS from a mapped
// file truncated underneath, or SIGSEGV) into an error wrapping [ErrFault],
// instead of a crash. Callers of View that cannot rule out truncation wrap
// their accesses in it. Other panics pass through unchanged.
func CatchFault(f func()) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(&err)
	f()
	return nil
}

// guardedCopy is copy with CatchFault's protection, without a closure, so the
// mapped backends' ReadAt and WriteAt stay free of allocations.
func guardedCopy(dst, src []byte) (n int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(&err)
	return copy(dst, src), nil
}

// recoverFault must be deferred directly, for recover to see the panic.
func recoverFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	// The runtime's fault panics carry the faulting address.
	if f, ok := r.(interface{ Addr() uintptr }); ok {
		*err = fmt.Errorf("impl: %w at address %#x", ErrFault, f.Addr())
		return
	}
	panic(r)
}
