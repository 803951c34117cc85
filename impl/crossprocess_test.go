//go:build linux

package impl_test

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

func init() {
	registerImplHelper("read-check", helperReadCheck)
	registerImplHelper("write", helperWrite)
}

// TestCrossBackend opens one file with two backends at once and writes with
// one, without Sync, and reads with the other: on Linux the page cache is
// shared, so every pair sees the other's writes at once.
func TestCrossBackend(t *testing.T) {
	persistent := backendsWith(impl.CapPersistent)
	for i, w := range persistent {
		t.Run("writer="+w.Name, func(t *testing.T) {
			t.Parallel()
			for j, r := range persistent {
				t.Run("reader="+r.Name, func(t *testing.T) {
					ws, path := createTestStore(t, w, testStoreSize)
					rs := openTestStore(t, r, path, impl.Options{})
					if got := rs.Size(); got != testStoreSize {
						t.Fatalf("%s: Size() = %d, want the file's %d", r.Name, got, testStoreSize)
					}
					seed := byte(20 + 2*(i*len(persistent)+j))
					want := storePattern(seed, int(testStoreSize))
					writeTestStore(t, ws, want, 0)
					checkTestStore(t, rs, want, 0)

					// And back the other way, across a page boundary.
					p := storePattern(seed+1, 100)
					off := int64(testPage) - 50
					writeTestStore(t, rs, p, off)
					checkTestStore(t, ws, p, off)
				})
			}
		})
	}
}

// TestCrossProcess writes with each backend and, with no Sync, has another
// process read the file with every backend; then the other way round.
func TestCrossProcess(t *testing.T) {
	persistent := backendsWith(impl.CapPersistent)
	for i, w := range persistent {
		t.Run("writer="+w.Name, func(t *testing.T) {
			t.Parallel()
			s, path := createTestStore(t, w, testStoreSize)
			seed := byte(60 + i)
			want := storePattern(seed, int(testStoreSize))
			writeTestStore(t, s, want, 0)

			// The store stays open and unsynced while the child reads.
			out := runImplHelper(t, implHelperCmd(t, "read-check", path, strconv.Itoa(int(seed)), strconv.FormatInt(testStoreSize, 10)))
			var wantOut strings.Builder
			for _, r := range persistent {
				fmt.Fprintf(&wantOut, "%s %08x\n", r.Name, crc32.ChecksumIEEE(want))
			}
			if out != wantOut.String() {
				t.Fatalf("read-check %s: output\n%s\nwant\n%s", path, out, wantOut.String())
			}
		})

		t.Run("child="+w.Name, func(t *testing.T) {
			t.Parallel()
			creator := persistent[0]
			_, path := createTestStore(t, creator, testStoreSize)
			var readers []impl.Store
			for _, r := range persistent {
				readers = append(readers, openTestStore(t, r, path, impl.Options{}))
			}
			seed := byte(80 + i)
			runImplHelper(t, implHelperCmd(t, "write", w.Name, path, strconv.Itoa(int(seed))))
			want := storePattern(seed, int(testStoreSize))
			for _, rs := range readers {
				checkTestStore(t, rs, want, 0)
			}
		})
	}
}

// helperReadCheck opens the file args[0] with every persistent backend and
// checks that it holds storePattern(args[1], args[2]). It prints each
// backend's name and the CRC-32 of what it read.
func helperReadCheck(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("want arguments path seed size, got %q", args)
	}
	path := args[0]
	seed, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	size, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		return err
	}
	want := storePattern(byte(seed), int(size))
	for _, be := range backendsWith(impl.CapPersistent) {
		s, err := be.Open(path, impl.Options{})
		if err != nil {
			return err
		}
		got := make([]byte, size)
		gotSize := s.Size()
		n, err := s.ReadAt(got, 0)
		if cerr := s.Close(); cerr != nil {
			return cerr
		}
		if gotSize != size || n != len(got) || err != nil {
			return fmt.Errorf("%s: Size() = %d, ReadAt(%d, 0) = %d, %v, want %d, nil", be.Name, gotSize, len(got), n, err, size)
		}
		if i := firstDiff(got, want); i >= 0 {
			return fmt.Errorf("%s: byte %d is %#02x, want %#02x", be.Name, i, got[i], want[i])
		}
		fmt.Printf("%s %08x\n", be.Name, crc32.ChecksumIEEE(got))
	}
	return nil
}

// helperWrite opens the file args[1] with the backend args[0] and writes
// storePattern(args[2]) over all of it, without Sync.
func helperWrite(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("want arguments backend path seed, got %q", args)
	}
	seed, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	s, err := impl.Open(args[0], args[1], impl.Options{})
	if err != nil {
		return err
	}
	p := storePattern(byte(seed), int(s.Size()))
	if n, err := s.WriteAt(p, 0); n != len(p) || err != nil {
		return fmt.Errorf("%v: WriteAt(%d, 0) = %d, %v, want %d, nil", s, len(p), n, err, len(p))
	}
	return s.Close()
}
