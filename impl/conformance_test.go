//go:build linux

package impl_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/mmapbench/mmapbench/impl"
)

// evictTestSize is the store size of the page cache tests: large enough that
// "most pages" means something, small enough to be fast.
const evictTestSize = 4 << 20

// conformanceCases is the suite every backend runs. A case that does not
// apply to a backend skips, naming the capability or interface it lacks.
var conformanceCases = []struct {
	name string
	test func(t *testing.T, be impl.Backend)
}{
	{"RoundTrip", confRoundTrip},
	{"ShortRead", confShortRead},
	{"ReadPastEnd", confReadPastEnd},
	{"WritePastEnd", confWritePastEnd},
	{"Close", confClose},
	{"ConcurrentReads", confConcurrentReads},
	{"SectionReader", confSectionReader},
	{"View", confView},
	{"Persist", confPersist},
	{"ReadOnly", confReadOnly},
	{"Private", confPrivate},
	{"Populate", confPopulate},
	{"Direct", confDirect},
	{"Evict", confEvict},
	{"Advise", confAdvise},
}

func TestConformance(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			for _, c := range conformanceCases {
				t.Run(c.name, func(t *testing.T) { c.test(t, be) })
			}
		})
	}
}

// confRoundTrip writes at the edges of pages and of the store and reads each
// write back, then checks the whole store against a model of it.
func confRoundTrip(t *testing.T, be impl.Backend) {
	s, _ := createTestStore(t, be, testStoreSize)
	size := s.Size()
	if size != testStoreSize {
		t.Fatalf("Size() = %d, want %d", size, testStoreSize)
	}
	model := make([]byte, size)
	checkTestStore(t, s, model, 0) // a new store reads as zeros

	page := int64(testPage)
	for i, off := range []int64{0, page - 1, page, page + 1, size - 1} {
		p := storePattern(byte(i+1), 17)
		p = p[:min(int64(len(p)), size-off)]
		writeTestStore(t, s, p, off)
		copy(model[off:], p)
		checkTestStore(t, s, p, off)
	}
	checkTestStore(t, s, model, 0)
}

// confShortRead reads across Size: the bytes before it come back with io.EOF,
// unwrapped, and nothing past them is touched.
func confShortRead(t *testing.T, be impl.Backend) {
	s, _ := createTestStore(t, be, testStoreSize)
	size := s.Size()
	want := storePattern(3, int(size))
	writeTestStore(t, s, want, 0)

	for _, tail := range []int{1, 40, testPage + 7} {
		off := size - int64(tail)
		buf := make([]byte, tail+100)
		for i := range buf {
			buf[i] = 0xfe
		}
		n, err := s.ReadAt(buf, off)
		if n != tail || err != io.EOF {
			t.Fatalf("ReadAt(%d, %d) = %d, %v, want %d, io.EOF (unwrapped)", len(buf), off, n, err, tail)
		}
		if i := firstDiff(buf[:n], want[off:]); i >= 0 {
			t.Fatalf("ReadAt(%d, %d): byte %d is %#02x, want %#02x", len(buf), off, i, buf[i], want[off+int64(i)])
		}
		for i := n; i < len(buf); i++ {
			if buf[i] != 0xfe {
				t.Fatalf("ReadAt(%d, %d) = %d: wrote %#02x to buf[%d], past the bytes it returned", len(buf), off, n, buf[i], i)
			}
		}
	}
}

// confReadPastEnd reads at and past Size: 0, io.EOF.
func confReadPastEnd(t *testing.T, be impl.Backend) {
	s, _ := createTestStore(t, be, testStoreSize)
	size := s.Size()
	for _, off := range []int64{size, size + 1, size + int64(testPage), 1 << 62} {
		buf := make([]byte, 10)
		if n, err := s.ReadAt(buf, off); n != 0 || err != io.EOF {
			t.Errorf("ReadAt(%d, %d) = %d, %v, want 0, io.EOF (unwrapped)", len(buf), off, n, err)
		}
	}
}

// confWritePastEnd writes across and past Size: what fits is written, the
// rest is refused with ErrNoExtend, and the file does not grow.
func confWritePastEnd(t *testing.T, be impl.Backend) {
	s, path := createTestStore(t, be, testStoreSize)
	size := s.Size()
	base := storePattern(4, int(size))
	writeTestStore(t, s, base, 0)

	p := storePattern(5, 100)
	off := size - 40
	n, err := s.WriteAt(p, off)
	if n != 40 || !errors.Is(err, impl.ErrNoExtend) {
		t.Fatalf("WriteAt(%d, %d) = %d, %v, want 40 and an error wrapping ErrNoExtend", len(p), off, n, err)
	}
	checkTestStore(t, s, base[:off], 0)
	checkTestStore(t, s, p[:40], off)

	for _, off := range []int64{size, size + 1, size + int64(testPage)} {
		if n, err := s.WriteAt(p, off); n != 0 || !errors.Is(err, impl.ErrNoExtend) {
			t.Errorf("WriteAt(%d, %d) = %d, %v, want 0 and an error wrapping ErrNoExtend", len(p), off, n, err)
		}
	}
	if got := s.Size(); got != size {
		t.Errorf("after writes past the end, Size() = %d, want %d", got, size)
	}
	if be.Has(impl.CapPersistent) {
		if fi, err := os.Stat(path); err != nil || fi.Size() != size {
			t.Errorf("after writes past the end, Stat(%s) = %v, %v, want a file of %d bytes", path, fi, err, size)
		}
	}
}

// confClose closes twice, then calls every method: each fails with ErrClosed
// and names the call.
func confClose(t *testing.T, be impl.Backend) {
	s, err := be.Open(filepath.Join(t.TempDir(), "store"), impl.Options{Create: true, Size: testStoreSize})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close() = %v, want nil", err)
	}

	buf := make([]byte, 10)
	calls := []struct {
		op string
		fn func() error
	}{
		{"ReadAt", func() error {
			n, err := s.ReadAt(buf, 0)
			if n != 0 {
				t.Errorf("ReadAt after Close returned %d bytes", n)
			}
			return err
		}},
		{"WriteAt", func() error {
			n, err := s.WriteAt(buf, 0)
			if n != 0 {
				t.Errorf("WriteAt after Close returned %d bytes", n)
			}
			return err
		}},
		{"Sync", s.Sync},
	}
	if v, ok := s.(impl.Viewer); ok {
		calls = append(calls, struct {
			op string
			fn func() error
		}{"View", func() error { _, err := v.View(0, 1); return err }})
	}
	if a, ok := s.(impl.Advisor); ok {
		calls = append(calls, struct {
			op string
			fn func() error
		}{"Advise", func() error { return a.Advise(impl.AdviceNormal) }})
	}
	if e, ok := s.(impl.Evicter); ok {
		calls = append(calls, struct {
			op string
			fn func() error
		}{"Evict", e.Evict}, struct {
			op string
			fn func() error
		}{"Resident", func() error { _, _, err := e.Resident(); return err }})
	}
	for _, c := range calls {
		err := c.fn()
		if !errors.Is(err, impl.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping ErrClosed", c.op, err)
		} else if !strings.Contains(err.Error(), c.op) {
			t.Errorf("%s after Close = %q, want the message to name %s", c.op, err, c.op)
		}
	}
}

// confConcurrentReads reads from 16 goroutines at once, each its own range
// and then the whole store. Run with -race.
func confConcurrentReads(t *testing.T, be impl.Backend) {
	s, _ := createTestStore(t, be, testStoreSize)
	size := s.Size()
	want := storePattern(6, int(size))
	writeTestStore(t, s, want, 0)

	const readers = 16
	chunk := size / readers
	var wg sync.WaitGroup
	for g := range int64(readers) {
		wg.Go(func() {
			off, end := g*chunk, (g+1)*chunk
			if g == readers-1 {
				end = size
			}
			own := make([]byte, end-off)
			all := make([]byte, size)
			for range 4 {
				if n, err := s.ReadAt(own, off); n != len(own) || err != nil {
					t.Errorf("reader %d: ReadAt(%d, %d) = %d, %v, want %d, nil", g, len(own), off, n, err, len(own))
					return
				}
				if i := firstDiff(own, want[off:end]); i >= 0 {
					t.Errorf("reader %d: ReadAt(%d, %d): byte %d is %#02x, want %#02x", g, len(own), off, i, own[i], want[off+int64(i)])
					return
				}
				if n, err := s.ReadAt(all, 0); n != len(all) || err != nil {
					t.Errorf("reader %d: ReadAt(%d, 0) = %d, %v, want %d, nil", g, len(all), n, err, len(all))
					return
				}
				if i := firstDiff(all, want); i >= 0 {
					t.Errorf("reader %d: ReadAt(%d, 0): byte %d is %#02x, want %#02x", g, len(all), i, all[i], want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// confSectionReader runs iotest.TestReader over the store.
func confSectionReader(t *testing.T, be impl.Backend) {
	s, _ := createTestStore(t, be, testStoreSize)
	want := storePattern(7, int(s.Size()))
	writeTestStore(t, s, want, 0)
	if err := iotest.TestReader(io.NewSectionReader(s, 0, s.Size()), want); err != nil {
		t.Fatalf("iotest.TestReader(NewSectionReader(%v, 0, %d)): %v", s, s.Size(), err)
	}
}

// confView checks that View aliases what ReadAt and WriteAt see.
func confView(t *testing.T, be impl.Backend) {
	s, path := createTestStore(t, be, testStoreSize)
	_, ok := s.(impl.Viewer)
	if ok != be.Has(impl.CapView) {
		t.Fatalf("%s: store implements impl.Viewer = %v, but the table says CapView = %v", be.Name, ok, be.Has(impl.CapView))
	}
	if !ok {
		t.Skipf("%s's store is not an impl.Viewer", be.Name)
	}
	size := s.Size()
	want := storePattern(8, int(size))
	writeTestStore(t, s, want, 0)

	for _, r := range []struct {
		off int64
		n   int
	}{{0, int(size)}, {0, 1}, {int64(testPage) - 1, 2}, {size - 10, 10}, {size, 0}} {
		v, err := impl.View(s, r.off, r.n)
		if err != nil || len(v) != r.n {
			t.Fatalf("View(%d, %d) = %d bytes, %v, want %d bytes, nil", r.off, r.n, len(v), err, r.n)
		}
		if cap(v) != r.n {
			t.Errorf("View(%d, %d) has capacity %d: an append would write the store past the view", r.off, r.n, cap(v))
		}
		if i := firstDiff(v, want[r.off:r.off+int64(r.n)]); i >= 0 {
			t.Fatalf("View(%d, %d): byte %d is %#02x, ReadAt has %#02x", r.off, r.n, i, v[i], want[r.off+int64(i)])
		}
	}

	off := int64(testPage) - 3
	v, err := impl.View(s, off, 6)
	if err != nil {
		t.Fatalf("View(%d, 6): %v", off, err)
	}
	p := storePattern(9, 6)
	copy(v, p)
	checkTestStore(t, s, p, off)
	if be.Has(impl.CapPersistent) {
		// The page cache is shared: a descriptor on the file sees it too.
		r := openTestStore(t, mustLookup(t, "pread"), path, impl.Options{ReadOnly: true})
		checkTestStore(t, r, p, off)
	}
}

// confPersist syncs, closes and reopens: the data is in the file.
func confPersist(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapPersistent, "CapPersistent", "no file outlives the store")
	path := filepath.Join(t.TempDir(), "store")
	s, err := be.Open(path, impl.Options{Create: true, Size: testStoreSize})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := storePattern(10, int(testStoreSize))
	writeTestStore(t, s, want, 0)
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	s = openTestStore(t, be, path, impl.Options{})
	if got := s.Size(); got != testStoreSize {
		t.Fatalf("reopened: Size() = %d, want the file's %d", got, testStoreSize)
	}
	checkTestStore(t, s, want, 0)

	// A positive Size opens a prefix of the file.
	s = openTestStore(t, be, path, impl.Options{Size: int64(testPage)})
	if got := s.Size(); got != int64(testPage) {
		t.Fatalf("reopened with Size %d: Size() = %d", testPage, got)
	}
	checkTestStore(t, s, want[:testPage], 0)
	if n, err := s.ReadAt(make([]byte, 1), int64(testPage)); n != 0 || err != io.EOF {
		t.Fatalf("reopened with Size %d: ReadAt(1, %d) = %d, %v, want 0, io.EOF", testPage, testPage, n, err)
	}
}

// confReadOnly reopens a file read-only: reads work, writes fail with
// ErrReadOnly and change nothing.
func confReadOnly(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapPersistent, "CapPersistent", "no file to reopen read-only")
	w, path := createTestStore(t, be, testStoreSize)
	want := storePattern(11, int(testStoreSize))
	writeTestStore(t, w, want, 0)

	s := openTestStore(t, be, path, impl.Options{ReadOnly: true})
	checkTestStore(t, s, want, 0)
	for _, off := range []int64{0, s.Size() - 1} {
		if n, err := s.WriteAt([]byte{0, 0}, off); n != 0 || !errors.Is(err, impl.ErrReadOnly) {
			t.Errorf("read-only: WriteAt(2, %d) = %d, %v, want 0 and an error wrapping ErrReadOnly", off, n, err)
		}
	}
	checkTestStore(t, w, want, 0)

	if v, ok := s.(impl.Viewer); ok {
		view, err := v.View(0, 16)
		if err != nil {
			t.Fatalf("read-only: View(0, 16): %v", err)
		}
		checkTestStore(t, s, view, 0)
		// The mapping is PROT_READ: a write through the view is a SIGSEGV,
		// which CatchFault turns into ErrFault.
		if err := impl.CatchFault(func() { view[0] = 0 }); !errors.Is(err, impl.ErrFault) {
			t.Errorf("read-only: CatchFault(write to a view) = %v, want an error wrapping ErrFault", err)
		}
		checkTestStore(t, w, want, 0)
	}
}

// confPrivate maps MAP_PRIVATE: the store sees its own writes, the file and
// every other reader do not.
func confPrivate(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapMapped, "CapMapped", "Options.Private applies to mappings only")
	w, path := createTestStore(t, be, testStoreSize)
	orig := storePattern(12, int(testStoreSize))
	writeTestStore(t, w, orig, 0)

	s := openTestStore(t, be, path, impl.Options{Private: true})
	p := storePattern(13, testPage+2)
	off := int64(testPage) - 1
	writeTestStore(t, s, p, off)
	checkTestStore(t, s, p, off)
	if err := s.Sync(); err != nil {
		t.Errorf("private: Sync() = %v, want nil", err)
	}
	for _, name := range []string{"pread", "osfile"} {
		r := openTestStore(t, mustLookup(t, name), path, impl.Options{ReadOnly: true})
		checkTestStore(t, r, orig, 0)
	}
	checkTestStore(t, w, orig, 0)

	// Dropping a private mapping's pages would lose its writes: refused.
	if e, ok := s.(impl.Evicter); ok {
		if err := e.Evict(); err == nil {
			t.Errorf("private: Evict() = nil, want an error: it would discard the store's writes")
		}
	}
	if a, ok := s.(impl.Advisor); ok {
		if err := a.Advise(impl.AdviceDontNeed); err == nil || !strings.Contains(err.Error(), "dontneed") {
			t.Errorf("private: Advise(dontneed) = %v, want an error naming dontneed", err)
		}
	}
	checkTestStore(t, s, p, off)
}

// confPopulate maps with MAP_POPULATE a file whose pages were evicted: the
// pages are resident as soon as Open returns.
func confPopulate(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapPopulate, "CapPopulate", "Options.Populate does not apply")
	skipUnlessEvictable(t)
	w, path := createTestStore(t, be, evictTestSize)
	want := storePattern(14, evictTestSize)
	writeTestStore(t, w, want, 0)
	ev := mustEvicter(t, w)
	if err := ev.Evict(); err != nil {
		t.Fatalf("Evict() = %v", err)
	}
	if pages, total := mustResident(t, ev); pages > total/10 {
		t.Fatalf("after Evict, Resident() = %d of %d pages, want at most %d", pages, total, total/10)
	}

	s := openTestStore(t, be, path, impl.Options{Populate: true})
	if pages, total := mustResident(t, mustEvicter(t, s)); pages < total*9/10 {
		t.Errorf("after Open with Populate, Resident() = %d of %d pages, want at least %d", pages, total, total*9/10)
	}
	checkTestStore(t, s, want, 0)

	// A new file can be populated too.
	c := openTestStore(t, be, path+".new", impl.Options{Create: true, Size: testStoreSize, Populate: true})
	p := storePattern(15, 100)
	writeTestStore(t, c, p, int64(testPage)-50)
	checkTestStore(t, c, p, int64(testPage)-50)
}

// confDirect opens with O_DIRECT and moves aligned buffers both ways.
func confDirect(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapDirect, "CapDirect", "Options.Direct does not apply")
	size := int64(4 * testPage)
	path := filepath.Join(t.TempDir(), "store")
	s := openTestStore(t, be, path, impl.Options{Create: true, Size: size, Direct: true})
	align, err := impl.DirectAlignment(path)
	if err != nil || align <= 0 {
		t.Fatalf("DirectAlignment(%s) = %d, %v, want a positive alignment", path, align, err)
	}
	if a, ok := s.(interface{ Alignment() int }); ok && a.Alignment() != align {
		t.Errorf("Alignment() = %d, DirectAlignment(%s) = %d", a.Alignment(), path, align)
	}

	p := impl.AlignedBuffer(2 * testPage)
	copy(p, storePattern(16, len(p)))
	off := int64(testPage)
	if n, err := s.WriteAt(p, off); n != len(p) || err != nil {
		t.Fatalf("direct: WriteAt(%d, %d) = %d, %v, want %d, nil", len(p), off, n, err, len(p))
	}
	got := impl.AlignedBuffer(len(p))
	if n, err := s.ReadAt(got, off); n != len(got) || err != nil {
		t.Fatalf("direct: ReadAt(%d, %d) = %d, %v, want %d, nil", len(got), off, n, err, len(got))
	}
	if i := firstDiff(got, p); i >= 0 {
		t.Fatalf("direct: ReadAt(%d, %d): byte %d is %#02x, want %#02x", len(got), off, i, got[i], p[i])
	}
	// The write reached the file, which a reader through the page cache sees.
	r := openTestStore(t, be, path, impl.Options{ReadOnly: true})
	checkTestStore(t, r, p, off)
	checkTestStore(t, r, make([]byte, off), 0)
}

// confEvict reads a file in, evicts it, and checks with Resident that the
// pages left and that the data is still there.
func confEvict(t *testing.T, be impl.Backend) {
	skipUnlessCaps(t, be, impl.CapPersistent, "CapPersistent", "no file, so no page cache to evict from")
	skipUnlessEvictable(t)
	s, want := syncedTestStore(t, be, evictTestSize, 17)
	ev, ok := s.(impl.Evicter)
	if !ok {
		t.Skipf("%s's store is not an impl.Evicter", be.Name)
	}

	checkTestStore(t, s, want, 0)
	pages, total := mustResident(t, ev)
	if wantTotal := (evictTestSize + testPage - 1) / testPage; total != wantTotal {
		t.Fatalf("Resident() = %d, %d, want a total of %d pages", pages, total, wantTotal)
	}
	if pages < total*9/10 {
		t.Errorf("after reading it all, Resident() = %d of %d pages, want at least %d", pages, total, total*9/10)
	}

	if err := ev.Evict(); err != nil {
		t.Fatalf("Evict() = %v", err)
	}
	if pages, total := mustResident(t, ev); pages > total/10 {
		t.Errorf("after Evict, Resident() = %d of %d pages, want at most %d", pages, total, total/10)
	}
	checkTestStore(t, s, want, 0)
}

// confAdvise passes every hint, then checks that populate brings evicted
// pages back.
func confAdvise(t *testing.T, be impl.Backend) {
	size := int64(evictTestSize)
	if !be.Has(impl.CapPersistent) {
		size = testStoreSize
	}
	s, _ := createTestStore(t, be, size)
	adv, ok := s.(impl.Advisor)
	if !ok {
		t.Skipf("%s's store is not an impl.Advisor", be.Name)
	}
	want := storePattern(18, int(size))
	writeTestStore(t, s, want, 0)

	for a := impl.AdviceNormal; a <= impl.AdvicePopulate; a++ {
		err := adv.Advise(a)
		switch {
		case err != nil && !strings.Contains(err.Error(), a.String()):
			t.Errorf("Advise(%v) = %q, want nil or an error naming %q", a, err, a.String())
		case a == impl.AdviceHugePage && !be.Has(impl.CapMapped) && !errors.Is(err, errors.ErrUnsupported):
			t.Errorf("Advise(%v) on a descriptor = %v, want an error wrapping errors.ErrUnsupported", a, err)
		case err != nil:
			t.Logf("Advise(%v) = %v", a, err)
		}
	}
	checkTestStore(t, s, want, 0)

	ev, ok := s.(impl.Evicter)
	if !ok {
		return
	}
	skipUnlessEvictable(t) // the hints are checked; what follows needs eviction
	if err := ev.Evict(); err != nil {
		t.Fatalf("Evict() = %v", err)
	}
	if pages, total := mustResident(t, ev); pages > total/10 {
		t.Fatalf("after Evict, Resident() = %d of %d pages, want at most %d", pages, total, total/10)
	}
	if err := adv.Advise(impl.AdvicePopulate); err != nil {
		t.Fatalf("Advise(populate) = %v", err)
	}
	if pages, total := mustResident(t, ev); pages < total*9/10 {
		t.Errorf("after Evict and Advise(populate), Resident() = %d of %d pages, want at least %d", pages, total, total*9/10)
	}
	checkTestStore(t, s, want, 0)
}

// TestTruncateUnderneath shrinks the file of a live store: the mapped
// backends turn the SIGBUS into ErrFault, the descriptor backends report an
// unexpected EOF, and the process survives.
func TestTruncateUnderneath(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			skipUnlessCaps(t, be, impl.CapPersistent, "CapPersistent", "no file to truncate")
			size := int64(4 * testPage)
			page := int64(testPage)
			s, path := createTestStore(t, be, size)
			want := storePattern(19, int(size))
			writeTestStore(t, s, want, 0)
			if err := os.Truncate(path, page); err != nil {
				t.Fatal(err)
			}
			checkTestStore(t, s, want[:page], 0) // the page that is left still reads

			buf := make([]byte, page)
			n, rerr := s.ReadAt(buf, 2*page)
			if !be.Has(impl.CapMapped) {
				if n != 0 || !errors.Is(rerr, io.ErrUnexpectedEOF) || errors.Is(rerr, io.EOF) {
					t.Errorf("truncated: ReadAt(%d, %d) = %d, %v, want 0 and an error wrapping io.ErrUnexpectedEOF, not io.EOF", len(buf), 2*page, n, rerr)
				}
				buf = make([]byte, 2*page)
				if n, err := s.ReadAt(buf, 0); n != int(page) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("truncated: ReadAt(%d, 0) = %d, %v, want %d and an error wrapping io.ErrUnexpectedEOF", len(buf), n, err, page)
				}
				return
			}

			if n != 0 || !errors.Is(rerr, impl.ErrFault) {
				t.Errorf("truncated: ReadAt(%d, %d) = %d, %v, want 0 and an error wrapping ErrFault", len(buf), 2*page, n, rerr)
			}
			if n, err := s.WriteAt(buf, 2*page); n != 0 || !errors.Is(err, impl.ErrFault) {
				t.Errorf("truncated: WriteAt(%d, %d) = %d, %v, want 0 and an error wrapping ErrFault", len(buf), 2*page, n, err)
			}
			v, err := impl.View(s, 2*page, 16)
			if err != nil {
				t.Fatalf("truncated: View(%d, 16) = %v", 2*page, err)
			}
			var b byte
			if err := impl.CatchFault(func() { b = v[5] }); !errors.Is(err, impl.ErrFault) {
				t.Errorf("truncated: CatchFault(read view[5]) = %v (read %#02x), want an error wrapping ErrFault", err, b)
			}
			if err := impl.CatchFault(func() { v[5] = 1 }); !errors.Is(err, impl.ErrFault) {
				t.Errorf("truncated: CatchFault(write view[5]) = %v, want an error wrapping ErrFault", err)
			}

			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			if n, err := s.ReadAt(buf, 0); n != 0 || !errors.Is(err, impl.ErrFault) {
				t.Errorf("truncated to 0: ReadAt(%d, 0) = %d, %v, want 0 and an error wrapping ErrFault", len(buf), n, err)
			}
			if n, err := s.WriteAt(buf[:1], 0); n != 0 || !errors.Is(err, impl.ErrFault) {
				t.Errorf("truncated to 0: WriteAt(1, 0) = %d, %v, want 0 and an error wrapping ErrFault", n, err)
			}
		})
	}
}

// TestCatchFault checks CatchFault without a fault: nil for a normal return,
// other panics pass through, and panic-on-fault is restored either way.
func TestCatchFault(t *testing.T) {
	if err := impl.CatchFault(func() {}); err != nil {
		t.Errorf("CatchFault(func() {}) = %v, want nil", err)
	}
	if debug.SetPanicOnFault(false) {
		t.Errorf("CatchFault left SetPanicOnFault on")
	}
	func() {
		defer func() {
			if r := recover(); r != "not a fault" {
				t.Errorf("CatchFault(panic(%q)) recovered %v, want the panic to pass through", "not a fault", r)
			}
		}()
		impl.CatchFault(func() { panic("not a fault") })
	}()
	if debug.SetPanicOnFault(false) {
		t.Errorf("CatchFault left SetPanicOnFault on after a panic")
	}
}

// TestAlignedBuffer checks the address and length of AlignedBuffer.
func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{1, 512, testPage, 3*testPage + 1} {
		b := impl.AlignedBuffer(n)
		if len(b) != n {
			t.Errorf("AlignedBuffer(%d) has length %d", n, len(b))
		}
		if addr := addrOf(b); addr%uintptr(testPage) != 0 {
			t.Errorf("AlignedBuffer(%d) is at %#x, not a multiple of the page size %d", n, addr, testPage)
		}
	}
}

func mustLookup(t *testing.T, name string) impl.Backend {
	t.Helper()
	be, err := impl.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return be
}

func mustEvicter(t *testing.T, s impl.Store) impl.Evicter {
	t.Helper()
	ev, ok := s.(impl.Evicter)
	if !ok {
		t.Fatalf("%v is not an impl.Evicter", s)
	}
	return ev
}

func mustResident(t *testing.T, ev impl.Evicter) (pages, total int) {
	t.Helper()
	pages, total, err := ev.Resident()
	if err != nil || total <= 0 || pages < 0 || pages > total {
		t.Fatalf("Resident() = %d, %d, %v, want 0 <= pages <= total, 0 < total and no error", pages, total, err)
	}
	return pages, total
}

// addrOf returns the address of b's first byte.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
