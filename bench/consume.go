package bench

import (
	"encoding/binary"
)

// Consume reads every byte of p and returns a checksum of them, so that a
// benchmark that claims to have read p really did: the compiler cannot drop
// the loads, and a caller keeps the result alive. It reads eight bytes at a
// time in eight independent lanes, fast enough (tens of GB/s) not to be the
// bottleneck of any backend it measures; the null backend's row shows its cost.
func Consume(p []byte) uint64 {
	var a, b, c, d, e, f, g, h uint64
	for len(p) >= 64 {
		q := p[:64] // one bounds check for the eight loads
		a += binary.LittleEndian.Uint64(q[0:])
		b += binary.LittleEndian.Uint64(q[8:])
		c += binary.LittleEndian.Uint64(q[16:])
		d += binary.LittleEndian.Uint64(q[24:])
		e += binary.LittleEndian.Uint64(q[32:])
		f += binary.LittleEndian.Uint64(q[40:])
		g += binary.LittleEndian.Uint64(q[48:])
		h += binary.LittleEndian.Uint64(q[56:])
		p = p[64:]
	}
	for _, v := range p {
		a = a<<1 + uint64(v)
	}
	return a + b<<1 + c<<2 + d<<3 + e<<4 + f<<5 + g<<6 + h<<7
}
