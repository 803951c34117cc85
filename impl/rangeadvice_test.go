//go:build linux

package impl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

// TestAdviseRange: every file backend is a RangeAdvisor; dontneed drops
// just its range (the rest stays resident), populate (mappings) brings it
// back and waits, willneed is accepted, and bad ranges, an unaligned start
// of a mapping's range and populate on a descriptor are errors that say so.
func TestAdviseRange(t *testing.T) {
	for _, be := range impl.Backends() {
		if !be.Has(impl.CapPersistent) {
			continue
		}
		t.Run(be.Name, func(t *testing.T) {
			s, want := syncedTestStore(t, be, evictTestSize, 19)
			ra, ok := s.(impl.RangeAdvisor)
			if !ok {
				t.Fatalf("%s's store is not an impl.RangeAdvisor", be.Name)
			}
			half := int64(evictTestSize / 2)
			for _, tc := range []struct {
				a       impl.Advice
				off, n  int64
				wantErr string
			}{
				{impl.AdviceWillNeed, 0, half, ""},
				{impl.AdviceWillNeed, -1, 10, "non-empty range"},
				{impl.AdviceWillNeed, half, half + 1, "non-empty range"},
				{impl.AdviceWillNeed, 0, 0, "non-empty range"},
				{impl.AdviceRandom, 0, half, "want willneed"},
			} {
				err := ra.AdviseRange(tc.a, tc.off, tc.n)
				if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("AdviseRange(%v, %d, %d) = %v, want an error containing %q", tc.a, tc.off, tc.n, err, tc.wantErr)
				}
			}
			mapped := be.Has(impl.CapMapped)
			err := ra.AdviseRange(impl.AdvicePopulate, 0, half)
			if mapped && err != nil || !mapped && !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("AdviseRange(populate) = %v; want nil for a mapping, ErrUnsupported for a descriptor", err)
			}
			if mapped {
				if err := ra.AdviseRange(impl.AdviceWillNeed, int64(testPage)/2, 100); err == nil || !strings.Contains(err.Error(), "page-aligned") {
					t.Errorf("AdviseRange at half a page = %v, want an error naming the page alignment", err)
				}
			}

			ev := s.(impl.Evicter)
			skipUnlessEvictable(t)
			checkTestStore(t, s, want, 0) // all of it resident
			if err := ra.AdviseRange(impl.AdviceDontNeed, 0, half); err != nil {
				t.Fatal(err)
			}
			pages, total := mustResident(t, ev)
			if pages > total*6/10 || pages < total*4/10 {
				t.Errorf("after dontneed on the first half, %d of %d pages resident, want about half", pages, total)
			}
			if mapped {
				if err := ra.AdviseRange(impl.AdvicePopulate, 0, half); err != nil {
					t.Fatal(err)
				}
				if pages, total := mustResident(t, ev); pages < total*9/10 {
					t.Errorf("after populate of the first half, %d of %d pages resident, want all", pages, total)
				}
			}
			checkTestStore(t, s, want, 0)
		})
	}
}

// syncedTestStore is a new store of size bytes holding storePattern(seed)
// and synced, so that its pages are clean and can be dropped.
func syncedTestStore(t *testing.T, be impl.Backend, size int64, seed byte) (impl.Store, []byte) {
	t.Helper()
	s, _ := createTestStore(t, be, size)
	want := storePattern(seed, int(size))
	writeTestStore(t, s, want, 0)
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	return s, want
}
