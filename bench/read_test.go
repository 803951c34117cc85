package bench

import (
	"fmt"
	"io"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

// BenchmarkRead reads a warm file with every backend, by copy (ReadAt into a
// reused buffer) and, where the backend has one, by view (a slice of the
// mapping). Both consume the bytes with Consume, so the difference between
// access=copy and access=view is the copy and nothing else.
func BenchmarkRead(b *testing.B) {
	const size = 16 << 20
	for _, be := range impl.Backends() {
		for _, access := range []string{"copy", "view"} {
			for _, bs := range []int{4 << 10, 1 << 20} {
				name := fmt.Sprintf("backend=%s/access=%s/pattern=seq/bs=%s/cache=warm/size=%s", be.Name, access, FormatSize(int64(bs)), FormatSize(size))
				b.Run(name, func(b *testing.B) {
					s := openWarm(b, be, size)
					if _, ok := s.(impl.Viewer); access == "view" && !ok {
						b.Skipf("%s has no zero-copy view", be.Name)
					}
					readLoop(b, s, access, bs)
				})
			}
		}
	}
}

// readLoop times sequential reads of bs bytes, wrapping at the end of s.
func readLoop(b *testing.B, s impl.Store, access string, bs int) {
	size := s.Size()
	buf := impl.AlignedBuffer(bs)
	prefault(buf)
	var view impl.Viewer
	if access == "view" {
		view = s.(impl.Viewer)
	}
	var before, after Counters
	b.SetBytes(int64(bs))
	b.ReportAllocs()
	if err := ReadCounters(&before); err != nil {
		b.Fatal(err)
	}
	var off int64
	var sum uint64
	for b.Loop() {
		if view != nil {
			p, err := view.View(off, bs)
			if err != nil {
				b.Fatal(err)
			}
			sum += Consume(p)
		} else {
			if _, err := s.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
			sum += Consume(buf)
		}
		if off += int64(bs); off+int64(bs) > size {
			off = 0
		}
	}
	if err := ReadCounters(&after); err != nil {
		b.Fatal(err)
	}
	after.Sub(before).Report(b, b.N)
}

// openWarm creates a file of size bytes filled with non-zero data, opens it
// with be, and reads it once so that every page is resident; it checks with
// mincore rather than assuming so.
func openWarm(b *testing.B, be impl.Backend, size int64) impl.Store {
	b.Helper()
	path := createFilled(b, be.Name, size)
	s, err := be.Open(path, impl.Options{})
	if be.Name == "null" {
		s, err = be.Open(path, impl.Options{Size: size})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, size)); err != nil {
		b.Fatal(err)
	}
	if ev, ok := s.(impl.Evicter); ok {
		pages, total, err := ev.Resident()
		if err != nil {
			b.Fatal(err)
		}
		if pages != total {
			b.Fatalf("cache=warm: only %d of %d pages of %s are resident after reading it", pages, total, path)
		}
	}
	return s
}
