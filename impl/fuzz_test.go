//go:build linux

package impl_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

// FuzzStoreOps decodes its input into a store size and a short sequence of
// operations, applies them to every backend and to an in-memory model, and
// compares the two after each operation and once more at the end.
//
// Input layout (every read past the end of the input yields zeros):
//
//	u16 size     size = 1 + size % fuzzMaxSize
//	then up to fuzzMaxOps operations, each an opcode byte and its arguments:
//	  read   off len           off = kind byte + u16, len = u16 (see fuzzDecode)
//	  write  off len seed
//	  view   off len flags     flags&1: write through the view
//	  sync | close | evict | reopen   beyond fuzzMaxCostly of these, dropped
//	  advise a                 Advice(a%9 - 1): -1 and 7 are invalid
func FuzzStoreOps(f *testing.F) {
	ps := os.Getpagesize()
	for _, seed := range [][]byte{
		// Writes and reads that straddle Size on a page-and-a-bit store.
		fuzzSeed(ps+17,
			fuzzWriteOp(fuzzFromEnd(5), 10, 1),
			fuzzReadOp(fuzzFromEnd(8), 8),
			fuzzReadOp(fuzzFromEnd(8), 9),
			fuzzWriteOp(fuzzAt(0), ps+17, 2),
			fuzzReadOp(fuzzAt(0), ps+18),
		),
		// Reads and zero-length transfers at and past Size.
		fuzzSeed(100,
			fuzzWriteOp(fuzzAt(90), 10, 3),
			fuzzReadOp(fuzzFromEnd(0), 0),
			fuzzReadOp(fuzzFromEnd(0), 1),
			fuzzReadOp(fuzzPast(0), 0),
			fuzzReadOp(fuzzPast(7), 4),
			fuzzWriteOp(fuzzFromEnd(0), 0, 4),
			fuzzWriteOp(fuzzPast(0), 0, 5),
			fuzzWriteOp(fuzzPast(3), 3, 6),
			fuzzReadOp(fuzzExtreme(1), 5),
			fuzzWriteOp(fuzzExtreme(1), 5, 7),
		),
		// Negative offsets, including the most negative.
		fuzzSeed(4096,
			fuzzReadOp(fuzzNeg(0), 1),
			fuzzReadOp(fuzzNeg(0), 0),
			fuzzWriteOp(fuzzNeg(4), 8, 8),
			fuzzReadOp(fuzzExtreme(0), 8),
			fuzzWriteOp(fuzzExtreme(0), 0, 9),
			fuzzViewOp(fuzzNeg(0), 1, 0),
		),
		// Close, then use: every operation fails with ErrClosed, Close again is nil.
		fuzzSeed(3*ps+17,
			fuzzWriteOp(fuzzAt(ps-3), 6, 10),
			fuzzCloseOp(),
			fuzzReadOp(fuzzAt(0), 4),
			fuzzReadOp(fuzzAt(0), 0),
			fuzzWriteOp(fuzzAt(0), 4, 11),
			fuzzWriteOp(fuzzAt(0), 0, 11),
			fuzzViewOp(fuzzAt(0), 4, 0),
			fuzzSyncOp(),
			fuzzAdviseOp(impl.AdviceWillNeed),
			fuzzEvictOp(),
			fuzzCloseOp(),
		),
		// Reopen a persistent store, after writing across a page boundary.
		fuzzSeed(2*ps+1,
			fuzzWriteOp(fuzzAt(ps-100), 200, 12),
			fuzzWriteOp(fuzzFromEnd(1), 1, 13),
			fuzzReopenOp(),
			fuzzReadOp(fuzzAt(ps-100), 200),
			fuzzWriteOp(fuzzAt(0), 1, 14),
			fuzzReopenOp(),
		),
		// Close, then reopen: a persistent store comes back with its bytes.
		fuzzSeed(3*ps,
			fuzzWriteOp(fuzzFromEnd(ps+1), 2, 15),
			fuzzCloseOp(),
			fuzzReopenOp(),
			fuzzWriteOp(fuzzFromEnd(10), 20, 16),
		),
		// Views: read, write through, then read back through ReadAt.
		fuzzSeed(2*ps+17,
			fuzzWriteOp(fuzzAt(ps), 300, 17),
			fuzzViewOp(fuzzAt(ps-10), 40, 0),
			fuzzViewOp(fuzzAt(ps-10), 40, 1|18<<1),
			fuzzReadOp(fuzzAt(ps-20), 80),
			fuzzViewOp(fuzzFromEnd(0), 0, 0),
			fuzzViewOp(fuzzFromEnd(3), 4, 0),
			fuzzViewOp(fuzzFromEnd(17), 17, 1|19<<1),
			fuzzReopenOp(),
			fuzzReadOp(fuzzFromEnd(17), 17),
		),
		// Every advice, valid and not, between writes: data never changes.
		fuzzSeed(2*ps+5,
			fuzzWriteOp(fuzzAt(1), 2*ps, 20),
			fuzzAdviseOp(-1),
			fuzzAdviseOp(impl.AdviceNormal),
			fuzzAdviseOp(impl.AdviceSequential),
			fuzzAdviseOp(impl.AdviceRandom),
			fuzzAdviseOp(impl.AdviceWillNeed),
			fuzzWriteOp(fuzzAt(7), 9, 21),
			fuzzAdviseOp(impl.AdviceDontNeed),
			fuzzAdviseOp(impl.AdviceHugePage),
			fuzzAdviseOp(impl.AdvicePopulate),
			fuzzAdviseOp(impl.AdvicePopulate+1),
		),
		// Evict dirty pages and check residency; the bytes survive.
		fuzzSeed(3*ps+17,
			fuzzWriteOp(fuzzAt(0), 2*ps, 22),
			fuzzEvictOp(),
			fuzzWriteOp(fuzzFromEnd(20), 20, 23),
			fuzzViewOp(fuzzFromEnd(40), 40, 1|24<<1),
			fuzzEvictOp(),
			fuzzReadOp(fuzzFromEnd(50), 50),
		),
		// A one-byte store.
		fuzzSeed(1,
			fuzzReadOp(fuzzAt(0), 1),
			fuzzWriteOp(fuzzAt(0), 2, 25),
			fuzzViewOp(fuzzAt(0), 1, 1|26<<1),
			fuzzReadOp(fuzzFromEnd(0), 1),
			fuzzSyncOp(),
			fuzzReopenOp(),
		),
		// The smallest input: the zero size selector, no operations.
		{},
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		size, ops := fuzzDecode(data)
		dir := t.TempDir()
		for _, b := range impl.Backends() {
			fuzzRun(t, b, filepath.Join(dir, b.Name), size, ops)
		}
	})
}

const (
	fuzzMaxOps    = 64
	fuzzMaxCostly = 4           // syncs, evicts and reopens: each may reach the disk
	fuzzMaxSize   = 3*4096 + 17 // sizes are 1..fuzzMaxSize
	fuzzMaxLen    = 2*4096 + 1  // transfer lengths are 0..fuzzMaxLen
	fuzzNumAdvice = 9           // advice bytes decode to -1..7
	fuzzFill      = byte(0xA5)  // ReadAt buffers start with this
	fuzzViewWrite = byte(1)     // view flag: write through the view
	fuzzNumOffset = 5           // offset kinds, see fuzzInput.offset
)

type fuzzOpKind uint8

const (
	fuzzOpRead fuzzOpKind = iota
	fuzzOpWrite
	fuzzOpView
	fuzzOpSync
	fuzzOpClose
	fuzzOpAdvise
	fuzzOpEvict
	fuzzOpReopen
	fuzzOpNum
)

var fuzzOpNames = [...]string{"read", "write", "view", "sync", "close", "advise", "evict", "reopen"}

type fuzzOp struct {
	kind fuzzOpKind
	off  int64
	n    int
	arg  byte // write: pattern seed; view: flags; advise: the advice byte
}

func (op fuzzOp) String() string {
	switch op.kind {
	case fuzzOpRead:
		return fmt.Sprintf("ReadAt(len %d, off %d)", op.n, op.off)
	case fuzzOpWrite:
		return fmt.Sprintf("WriteAt(len %d, off %d)", op.n, op.off)
	case fuzzOpView:
		return fmt.Sprintf("View(%d, %d) flags %#x", op.off, op.n, op.arg)
	case fuzzOpAdvise:
		return fmt.Sprintf("Advise(%v)", fuzzAdvice(op.arg))
	}
	return fuzzOpNames[op.kind]
}

func fuzzAdvice(b byte) impl.Advice { return impl.Advice(int(b%fuzzNumAdvice) - 1) }

// fuzzInput hands out the input's bytes, then zeros.
type fuzzInput []byte

func (in *fuzzInput) byte() byte {
	if len(*in) == 0 {
		return 0
	}
	b := (*in)[0]
	*in = (*in)[1:]
	return b
}

func (in *fuzzInput) u16() int { return int(in.byte()) | int(in.byte())<<8 }

// offset decodes a kind byte and a u16 into an offset relative to size.
func (in *fuzzInput) offset(size int) int64 {
	kind, v, s := in.byte()%fuzzNumOffset, int64(in.u16()), int64(size)
	switch kind {
	case 0: // in range
		return v % s
	case 1: // v bytes before Size, down to 0: v == 0 is exactly Size
		return s - v%(s+1)
	case 2: // past Size
		return s + 1 + v
	case 3: // negative
		return -1 - v
	}
	return [...]int64{math.MinInt64, math.MaxInt64, math.MaxInt64 - s}[v%3]
}

func fuzzDecode(data []byte) (size int, ops []fuzzOp) {
	in := fuzzInput(data)
	size = 1 + in.u16()%fuzzMaxSize
	costly := 0
	for len(in) > 0 && len(ops) < fuzzMaxOps {
		op := fuzzOp{kind: fuzzOpKind(in.byte() % byte(fuzzOpNum))}
		switch op.kind {
		case fuzzOpRead, fuzzOpWrite, fuzzOpView:
			op.off = in.offset(size)
			op.n = in.u16() % (fuzzMaxLen + 1)
			if op.kind != fuzzOpRead {
				op.arg = in.byte()
			}
		case fuzzOpAdvise:
			op.arg = in.byte()
		case fuzzOpSync, fuzzOpEvict, fuzzOpReopen:
			if costly++; costly > fuzzMaxCostly {
				continue
			}
		}
		ops = append(ops, op)
	}
	return size, ops
}

// The seed encoders below are fuzzDecode's inverse.

func fuzzSeed(size int, ops ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(size-1))
	for _, op := range ops {
		b = append(b, op...)
	}
	return b
}

type fuzzOff [3]byte

func fuzzOffset(kind byte, v int) fuzzOff { return fuzzOff{kind, byte(v), byte(v >> 8)} }
func fuzzAt(off int) fuzzOff              { return fuzzOffset(0, off) }
func fuzzFromEnd(k int) fuzzOff           { return fuzzOffset(1, k) } // Size-k
func fuzzPast(k int) fuzzOff              { return fuzzOffset(2, k) } // Size+1+k
func fuzzNeg(k int) fuzzOff               { return fuzzOffset(3, k) } // -1-k
func fuzzExtreme(i int) fuzzOff           { return fuzzOffset(4, i) } // MinInt64, MaxInt64, MaxInt64-Size

func fuzzXfer(kind fuzzOpKind, off fuzzOff, n int) []byte {
	return append([]byte{byte(kind)}, off[0], off[1], off[2], byte(n), byte(n>>8))
}

func fuzzReadOp(off fuzzOff, n int) []byte { return fuzzXfer(fuzzOpRead, off, n) }
func fuzzWriteOp(off fuzzOff, n int, seed byte) []byte {
	return append(fuzzXfer(fuzzOpWrite, off, n), seed)
}
func fuzzViewOp(off fuzzOff, n int, flags byte) []byte {
	return append(fuzzXfer(fuzzOpView, off, n), flags)
}
func fuzzAdviseOp(a impl.Advice) []byte { return []byte{byte(fuzzOpAdvise), byte(int(a) + 1)} }
func fuzzSyncOp() []byte                { return []byte{byte(fuzzOpSync)} }
func fuzzCloseOp() []byte               { return []byte{byte(fuzzOpClose)} }
func fuzzEvictOp() []byte               { return []byte{byte(fuzzOpEvict)} }
func fuzzReopenOp() []byte              { return []byte{byte(fuzzOpReopen)} }

// fuzzPattern returns n bytes that differ from zero and from one write to the next.
func fuzzPattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed*7 + byte(i*31+i>>8) + 1
	}
	return p
}

// fuzzClass names the kind of error a Store method returned.
func fuzzClass(err error) string {
	switch {
	case err == nil:
		return "nil"
	case err == io.EOF:
		return "EOF"
	case errors.Is(err, io.EOF):
		return "wrapped EOF" // never expected: EOF must be returned bare
	case errors.Is(err, impl.ErrClosed):
		return "ErrClosed"
	case errors.Is(err, impl.ErrNoExtend):
		return "ErrNoExtend"
	case errors.Is(err, impl.ErrNoView):
		return "ErrNoView"
	}
	return "other"
}

// fuzzModel is what a store should hold.
type fuzzModel struct {
	data   []byte
	closed bool
}

// span is the model's answer to a transfer: how many bytes move, and the
// class of the error, given the class to use for a short transfer.
func (m *fuzzModel) span(off int64, n int, short string) (int, string) {
	switch {
	case m.closed:
		return 0, "ErrClosed"
	case off < 0:
		return 0, "other"
	}
	if avail := int64(len(m.data)) - off; int64(n) > avail {
		return int(max(avail, 0)), short
	}
	return n, "nil"
}

func fuzzRun(t *testing.T, b impl.Backend, path string, size int, ops []fuzzOp) {
	s, err := b.Open(path, impl.Options{Create: true, Size: int64(size)})
	if err != nil {
		t.Fatalf("%s: Open(Create, Size %d): %v", b.Name, size, err)
	}
	defer func() { s.Close() }()

	m := &fuzzModel{data: make([]byte, size)}
	_, isViewer := s.(impl.Viewer)
	for i, op := range ops {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s, size %d, op %d %v: %s", b.Name, size, i, op, fmt.Sprintf(format, args...))
		}
		switch op.kind {
		case fuzzOpRead:
			buf := bytes.Repeat([]byte{fuzzFill}, op.n)
			n, err := s.ReadAt(buf, op.off)
			wantN, wantErr := m.span(op.off, op.n, "EOF")
			if n != wantN || fuzzClass(err) != wantErr {
				fail("got %d, %v (%s); want %d, %s", n, err, fuzzClass(err), wantN, wantErr)
			}
			if wantN > 0 && !bytes.Equal(buf[:n], m.data[op.off:op.off+int64(n)]) {
				fail("read bytes differ from the model's")
			}

		case fuzzOpWrite:
			p := fuzzPattern(op.n, op.arg)
			n, err := s.WriteAt(p, op.off)
			wantN, wantErr := m.span(op.off, op.n, "ErrNoExtend")
			if n != wantN || fuzzClass(err) != wantErr {
				fail("got %d, %v (%s); want %d, %s", n, err, fuzzClass(err), wantN, wantErr)
			}
			if wantN > 0 {
				copy(m.data[op.off:], p[:wantN])
			}

		case fuzzOpView:
			v, err := impl.View(s, op.off, op.n)
			wantErr := "nil"
			switch {
			case !isViewer:
				wantErr = "ErrNoView"
			case m.closed:
				wantErr = "ErrClosed"
			case op.off < 0 || int64(op.n) > int64(size)-op.off:
				wantErr = "other"
			}
			if fuzzClass(err) != wantErr {
				fail("got error %v (%s); want %s", err, fuzzClass(err), wantErr)
			}
			if err != nil {
				break
			}
			if len(v) != op.n || !bytes.Equal(v, m.data[op.off:op.off+int64(op.n)]) {
				fail("view (len %d) differs from the model's bytes", len(v))
			}
			if op.arg&fuzzViewWrite != 0 {
				p := fuzzPattern(op.n, op.arg>>1)
				copy(v, p)
				copy(m.data[op.off:], p)
			}

		case fuzzOpSync:
			if err := s.Sync(); fuzzClass(err) != fuzzWantOK(m) {
				fail("got %v; want %s", err, fuzzWantOK(m))
			}

		case fuzzOpClose:
			// Close is idempotent: the first and any later Close return nil.
			if err := s.Close(); err != nil {
				fail("got %v; want nil", err)
			}
			m.closed = true

		case fuzzOpAdvise:
			adv, ok := s.(impl.Advisor)
			if !ok {
				break
			}
			a := fuzzAdvice(op.arg)
			err := adv.Advise(a)
			switch {
			case m.closed:
				if !errors.Is(err, impl.ErrClosed) {
					fail("got %v; want ErrClosed", err)
				}
			case a < impl.AdviceNormal || a > impl.AdvicePopulate:
				if err == nil || errors.Is(err, impl.ErrClosed) {
					fail("got %v; want an error for an unknown advice", err)
				}
			case a <= impl.AdviceDontNeed:
				// Every backend and kernel has these.
				if err != nil {
					fail("got %v; want nil", err)
				}
			case a == impl.AdviceHugePage && !b.Has(impl.CapMapped):
				if !errors.Is(err, errors.ErrUnsupported) {
					fail("got %v; want errors.ErrUnsupported", err)
				}
			default:
				// hugepage on a mapping and populate depend on the kernel.
				if errors.Is(err, impl.ErrClosed) {
					fail("got %v on an open store", err)
				}
			}
			fuzzCompare(t, b.Name, i, s, m)

		case fuzzOpEvict:
			ev, ok := s.(impl.Evicter)
			if !ok {
				break
			}
			if err := ev.Evict(); fuzzClass(err) != fuzzWantOK(m) {
				fail("Evict: got %v; want %s", err, fuzzWantOK(m))
			}
			pages, total, err := ev.Resident()
			if fuzzClass(err) != fuzzWantOK(m) {
				fail("Resident: got %v; want %s", err, fuzzWantOK(m))
			}
			ps := os.Getpagesize()
			if wantTotal := (size + ps - 1) / ps; err == nil && (total != wantTotal || pages < 0 || pages > total) {
				fail("Resident: %d pages of %d; want 0..%d of %d", pages, total, wantTotal, wantTotal)
			}
			fuzzCompare(t, b.Name, i, s, m)

		case fuzzOpReopen:
			if !b.Has(impl.CapPersistent) {
				break
			}
			if !m.closed {
				if err := s.Sync(); err != nil {
					fail("Sync: %v", err)
				}
				if err := s.Close(); err != nil {
					fail("Close: %v", err)
				}
			}
			if s, err = b.Open(path, impl.Options{}); err != nil {
				fail("reopen: %v", err)
			}
			m.closed = false
			fuzzCompare(t, b.Name, i, s, m)
		}

		// The size is fixed, even after Close.
		if got := s.Size(); got != int64(size) {
			t.Fatalf("%s, op %d %v: Size() = %d; want %d", b.Name, i, op, got, size)
		}
	}

	// Check every byte, through a fresh store if this one was closed.
	if m.closed {
		if !b.Has(impl.CapPersistent) {
			return
		}
		if s, err = b.Open(path, impl.Options{}); err != nil {
			t.Fatalf("%s: final reopen: %v", b.Name, err)
		}
		m.closed = false
	}
	fuzzCompare(t, b.Name, len(ops), s, m)
}

func fuzzWantOK(m *fuzzModel) string {
	if m.closed {
		return "ErrClosed"
	}
	return "nil"
}

// fuzzCompare reads the whole store, if it is open, and compares it with the model.
func fuzzCompare(t *testing.T, name string, i int, s impl.Store, m *fuzzModel) {
	t.Helper()
	if m.closed {
		return
	}
	buf := make([]byte, len(m.data))
	n, err := s.ReadAt(buf, 0)
	if n != len(buf) || err != nil {
		t.Fatalf("%s, after op %d: full ReadAt = %d, %v; want %d, nil", name, i, n, err, len(buf))
	}
	if !bytes.Equal(buf, m.data) {
		at := 0
		for buf[at] == m.data[at] {
			at++
		}
		t.Fatalf("%s, after op %d: store differs from the model from byte %d: %#x, want %#x", name, i, at, buf[at], m.data[at])
	}
}
