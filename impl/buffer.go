package impl

import (
	"os"
	"unsafe"
)

// AlignedBuffer returns a zeroed n-byte slice whose address is a multiple of
// the page size, which satisfies every O_DIRECT alignment Linux asks for.
func AlignedBuffer(n int) []byte {
	ps := os.Getpagesize()
	buf := make([]byte, n+ps)
	skip := ps - int(uintptr(unsafe.Pointer(&buf[0]))%uintptr(ps))
	if skip == ps {
		skip = 0
	}
	return buf[skip : skip+n : skip+n]
}
