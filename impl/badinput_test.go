//go:build linux

package impl_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/mmapbench/mmapbench/internal/testproc"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
)

func init() {
	registerImplHelper("open-denied", helperOpenDenied)
	registerImplHelper("map-refused", helperMapRefused)
}

// wantErrContains fails the test unless err is non-nil and its message
// contains every one of subs.
func wantErrContains(t *testing.T, call string, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s = nil, want an error containing %q", call, subs)
		return
	}
	for _, sub := range subs {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("%s = %q, want it to contain %q", call, err, sub)
		}
	}
}

func TestBadSize(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, size := range []int64{0, -1, -4096} {
				path := filepath.Join(dir, "store")
				opt := impl.Options{Create: true, Size: size}
				s, err := be.Open(path, opt)
				if err == nil {
					s.Close()
				}
				wantErrContains(t, fmt.Sprintf("Open(%+v)", opt), err, strconv.FormatInt(size, 10), "positive")
				mustNotExist(t, path)
			}
			// Without Create a negative size is as wrong; zero means "the
			// whole file", which the null backend does not have.
			opt := impl.Options{Size: -1}
			_, err := be.Open(filepath.Join(dir, "missing"), opt)
			wantErrContains(t, fmt.Sprintf("Open(%+v)", opt), err, "-1")
			if !be.Has(impl.CapPersistent) {
				_, err := be.Open("", impl.Options{})
				wantErrContains(t, "Open(Options{})", err, "size 0")
			}
		})
	}
}

func TestNegativeOffset(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s, _ := createTestStore(t, be, testStoreSize)
			buf := make([]byte, 10)
			for _, off := range []int64{-1, -int64(testPage) - 3} {
				n, err := s.ReadAt(buf, off)
				if n != 0 || err == nil || err == io.EOF {
					t.Errorf("ReadAt(%d, %d) = %d, %v, want 0 and an error other than io.EOF", len(buf), off, n, err)
				}
				wantErrContains(t, fmt.Sprintf("ReadAt(%d, %d)", len(buf), off), err, "negative", strconv.FormatInt(off, 10))
				n, err = s.WriteAt(buf, off)
				if n != 0 || err == nil {
					t.Errorf("WriteAt(%d, %d) = %d, %v, want 0 and an error", len(buf), off, n, err)
				}
				wantErrContains(t, fmt.Sprintf("WriteAt(%d, %d)", len(buf), off), err, "negative", strconv.FormatInt(off, 10))
			}
		})
	}
}

func TestOffsetPastSize(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s, _ := createTestStore(t, be, testStoreSize)
			size := s.Size()
			buf := make([]byte, 10)
			for _, off := range []int64{size, size + 1, 1 << 40} {
				if n, err := s.ReadAt(buf, off); n != 0 || err != io.EOF {
					t.Errorf("ReadAt(%d, %d) = %d, %v, want 0, io.EOF", len(buf), off, n, err)
				}
				n, err := s.WriteAt(buf, off)
				if n != 0 || !errors.Is(err, impl.ErrNoExtend) {
					t.Errorf("WriteAt(%d, %d) = %d, %v, want 0 and an error wrapping ErrNoExtend", len(buf), off, n, err)
				}
				// The message gives the offset and the size it is past.
				wantErrContains(t, fmt.Sprintf("WriteAt(%d, %d)", len(buf), off), err, strconv.FormatInt(off, 10), strconv.FormatInt(size, 10))
			}
		})
	}
}

func TestWriteReadOnly(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			var s impl.Store
			want := storePattern(30, int(testStoreSize))
			if be.Has(impl.CapPersistent) {
				w, path := createTestStore(t, be, testStoreSize)
				writeTestStore(t, w, want, 0)
				s = openTestStore(t, be, path, impl.Options{ReadOnly: true})
			} else {
				// No file to reopen: a read-only store of zeros.
				want = make([]byte, testStoreSize)
				s = openTestStore(t, be, "", impl.Options{ReadOnly: true, Size: testStoreSize})
			}
			for _, off := range []int64{0, 1, s.Size() - 1} {
				n, err := s.WriteAt([]byte{1}, off)
				if n != 0 || !errors.Is(err, impl.ErrReadOnly) {
					t.Errorf("read-only: WriteAt(1, %d) = %d, %v, want 0 and an error wrapping ErrReadOnly", off, n, err)
				}
				wantErrContains(t, fmt.Sprintf("read-only: WriteAt(1, %d)", off), err, "WriteAt", "read-only")
			}
			checkTestStore(t, s, want, 0)
		})
	}
}

// TestViewBadInput checks which backends have View, what impl.View says for the
// others, and that a range outside the store is refused.
func TestViewBadInput(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s, _ := createTestStore(t, be, testStoreSize)
			_, isViewer := s.(impl.Viewer)
			// The mappings have views, and so does the in-memory control.
			if want := be.Has(impl.CapMapped) || !be.Has(impl.CapPersistent); isViewer != want {
				t.Fatalf("%s: store is a Viewer: %v, want %v (Caps %#x)", be.Name, isViewer, want, be.Caps)
			}
			if !isViewer {
				v, err := impl.View(s, 0, 1)
				if v != nil || !errors.Is(err, impl.ErrNoView) {
					t.Fatalf("View(%v, 0, 1) = %d bytes, %v, want nil and an error wrapping ErrNoView", s, len(v), err)
				}
				wantErrContains(t, "View(0, 1)", err, be.Name)
				return
			}
			size := s.Size()
			for _, r := range []struct {
				off int64
				n   int
			}{{-1, 1}, {0, -1}, {size - 1, 2}, {size + 1, 0}, {0, int(size) + 1}} {
				v, err := impl.View(s, r.off, r.n)
				if v != nil || err == nil {
					t.Errorf("View(%d, %d) = %d bytes, %v, want nil and an error", r.off, r.n, len(v), err)
					continue
				}
				wantErrContains(t, fmt.Sprintf("View(%d, %d)", r.off, r.n), err, fmt.Sprintf("View(%d, %d)", r.off, r.n), strconv.FormatInt(size, 10))
			}
		})
	}
}

func TestOpenDirectory(t *testing.T) {
	for _, be := range backendsWith(impl.CapPersistent) {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, opt := range []impl.Options{{}, {ReadOnly: true}, {Size: 1}} {
				s, err := be.Open(dir, opt)
				if err == nil {
					s.Close()
				}
				wantErrContains(t, fmt.Sprintf("Open(%s, %+v)", dir, opt), err, "directory", dir)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Errorf("after the failed Opens, Stat(%s) = %v, %v, want the directory", dir, fi, err)
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	for _, be := range backendsWith(impl.CapPersistent) {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "missing")
			for _, opt := range []impl.Options{{}, {ReadOnly: true}} {
				_, err := be.Open(path, opt)
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Open(%s, %+v) = %v, want an error wrapping fs.ErrNotExist", path, opt, err)
				}
				wantErrContains(t, fmt.Sprintf("Open(%s, %+v)", path, opt), err, path)
				mustNotExist(t, path)
			}
			// Create in a directory that does not exist.
			path = filepath.Join(dir, "nodir", "store")
			_, err := be.Open(path, impl.Options{Create: true, Size: testStoreSize})
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(%s, Create) = %v, want an error wrapping fs.ErrNotExist", path, err)
			}
			mustNotExist(t, filepath.Dir(path))
		})
	}
}

func TestOpenNotRegular(t *testing.T) {
	const path = "/dev/null"
	for _, be := range backendsWith(impl.CapPersistent) {
		for _, opt := range []impl.Options{{}, {ReadOnly: true}} {
			s, err := be.Open(path, opt)
			if err == nil {
				s.Close()
			}
			wantErrContains(t, fmt.Sprintf("%s: Open(%s, %+v)", be.Name, path, opt), err, "not a regular file", path)
		}
	}
}

func TestOpenEmpty(t *testing.T) {
	for _, be := range backendsWith(impl.CapPersistent) {
		path := filepath.Join(t.TempDir(), "empty")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := be.Open(path, impl.Options{})
		wantErrContains(t, fmt.Sprintf("%s: Open(%s)", be.Name, path), err, "empty", path)
		if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
			t.Errorf("%s: after the failed Open, Stat(%s) = %v, %v, want the empty file", be.Name, path, fi, err)
		}
	}
}

func TestOpenLargerThanFile(t *testing.T) {
	for _, be := range backendsWith(impl.CapPersistent) {
		path := filepath.Join(t.TempDir(), "small")
		if err := os.WriteFile(path, storePattern(31, 100), 0o600); err != nil {
			t.Fatal(err)
		}
		opt := impl.Options{Size: 200}
		_, err := be.Open(path, opt)
		wantErrContains(t, fmt.Sprintf("%s: Open(%s, %+v)", be.Name, path, opt), err, "200", "100")
		if fi, err := os.Stat(path); err != nil || fi.Size() != 100 {
			t.Errorf("%s: after the failed Open, Stat(%s) = %v, %v, want the file of 100 bytes", be.Name, path, fi, err)
		}
	}
}

// TestOpenUnreadable opens a file the caller has no permission for. Root
// may read anything, so as root the check runs in a child process with the
// credentials of nobody.
func TestOpenUnreadable(t *testing.T) {
	if os.Geteuid() != 0 {
		markImplHelperUsed("open-denied") // what it checks is checked here
		path := filepath.Join(t.TempDir(), "unreadable")
		if err := os.WriteFile(path, storePattern(32, 100), 0o000); err != nil {
			t.Fatal(err)
		}
		if err := helperOpenDenied([]string{path}); err != nil {
			t.Fatal(err)
		}
		return
	}

	const nobody = testproc.Nobody
	dir := testproc.OthersTempDir(t, "impl-test-")
	path := filepath.Join(dir, "unreadable")
	if err := os.WriteFile(path, storePattern(32, 100), 0o000); err != nil {
		t.Fatal(err)
	}
	// The test binary may sit in a directory only root can enter: run a copy.
	exe := testproc.CopyTestBinary(t, dir)
	cmd := implHelperCmd(t, "open-denied", path)
	cmd.Path, cmd.Args[0], cmd.Dir = exe, exe, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(err, syscall.EPERM) && stderr.Len() == 0 {
		t.Skipf("cannot start a process as uid %d: %v", nobody, err)
	}
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("helper open-denied as uid %d: %v\nstderr:\n%s", nobody, err, stderr.Bytes())
	}
	var want strings.Builder
	for _, be := range backendsWith(impl.CapPersistent) {
		fmt.Fprintf(&want, "denied %s\n", be.Name)
	}
	if stdout.String() != want.String() {
		t.Fatalf("helper open-denied: output\n%s\nwant\n%s", stdout.Bytes(), want.String())
	}
}

// helperOpenDenied opens the unreadable file args[0] with every persistent
// backend, read-write and read-only, and wants fs.ErrPermission.
func helperOpenDenied(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want argument path, got %q", args)
	}
	if os.Geteuid() == 0 {
		return errors.New("running as root, which may open any file")
	}
	path := args[0]
	for _, be := range backendsWith(impl.CapPersistent) {
		for _, opt := range []impl.Options{{}, {ReadOnly: true}} {
			s, err := be.Open(path, opt)
			if err == nil {
				s.Close()
				return fmt.Errorf("%s: Open(%s, %+v) of a mode 0000 file succeeded as uid %d", be.Name, path, opt, os.Geteuid())
			}
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
				return fmt.Errorf("%s: Open(%s, %+v) = %v, want an error wrapping fs.ErrPermission that names the path", be.Name, path, opt, err)
			}
		}
		fmt.Printf("denied %s\n", be.Name)
	}
	return nil
}

var numberRE = regexp.MustCompile(`-?\d+`)

// TestCreateTooLarge asks for more bytes than there is room for: the error
// gives the size asked for and the room there is, and no file is left.
func TestCreateTooLarge(t *testing.T) {
	const size = int64(1) << 60
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "store")
			// The room: free space for a file, memory for the null backend.
			var room int64
			if be.Has(impl.CapPersistent) {
				var sfs unix.Statfs_t
				if err := unix.Statfs(dir, &sfs); err != nil {
					t.Fatal(err)
				}
				room = int64(sfs.Bavail) * sfs.Bsize
			} else {
				var si unix.Sysinfo_t
				if err := unix.Sysinfo(&si); err != nil {
					t.Fatal(err)
				}
				room = int64(si.Totalram) * int64(si.Unit)
			}
			opt := impl.Options{Create: true, Size: size}
			s, err := be.Open(path, opt)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s, %+v) succeeded", path, opt)
			}
			mustNotExist(t, path)
			msg := strings.ReplaceAll(err.Error(), path, "")
			var sawSize, sawRoom bool
			for _, m := range numberRE.FindAllString(msg, -1) {
				n, err := strconv.ParseInt(m, 10, 64)
				switch {
				case err != nil:
				case n == size:
					sawSize = true
				case n >= room/2 && n <= room*2: // the room changes as others write
					sawRoom = true
				}
			}
			if !sawSize || !sawRoom {
				t.Errorf("Open(%+v) = %q, want an error that gives the size %d and the room there is (about %d bytes)", opt, err, size, room)
			}
		})
	}
}

func TestCreateExisting(t *testing.T) {
	for _, be := range backendsWith(impl.CapPersistent) {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "precious")
			want := []byte("precious data, not to be truncated\n")
			if err := os.WriteFile(path, want, 0o640); err != nil {
				t.Fatal(err)
			}
			for _, opt := range []impl.Options{{Create: true, Size: testStoreSize}, {Create: true, Size: 10}} {
				s, err := be.Open(path, opt)
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, fs.ErrExist) {
					t.Errorf("Open(%s, %+v) = %v, want an error wrapping fs.ErrExist", path, opt, err)
				}
				wantErrContains(t, fmt.Sprintf("Open(%s, %+v)", path, opt), err, path)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after the failed Creates, ReadFile(%s) = %q, %v, want %q", path, got, err, want)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("after the failed Creates, Stat(%s) = %v, %v, want mode 0640", path, fi, err)
			}
		})
	}
}

func TestCreateReadOnly(t *testing.T) {
	for _, be := range impl.Backends() {
		path := filepath.Join(t.TempDir(), "store")
		opt := impl.Options{Create: true, ReadOnly: true, Size: testStoreSize}
		s, err := be.Open(path, opt)
		if err == nil {
			s.Close()
		}
		wantErrContains(t, fmt.Sprintf("%s: Open(%+v)", be.Name, opt), err, "Create", "ReadOnly")
		mustNotExist(t, path)
	}
}

// TestMapRefused has a child process, its address space limited, map a 1 GiB
// file: the kernel refuses with ENOMEM, and the error says so.
func TestMapRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // sparse
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := runImplHelper(t, implHelperCmd(t, "map-refused", path, dir))
	var want strings.Builder
	for _, be := range backendsWith(impl.CapMapped) {
		fmt.Fprintf(&want, "refused %s\n", be.Name)
		mustNotExist(t, filepath.Join(dir, be.Name+".new"))
	}
	if out != want.String() {
		t.Fatalf("helper map-refused: output\n%s\nwant\n%s", out, want.String())
	}
}

// helperMapRefused lowers RLIMIT_AS to a little above the address space in
// use, then opens the 1 GiB file args[0] with every mapped backend, and
// creates 1 GiB files in the directory args[1]: each must fail with ENOMEM,
// leave no file and no descriptor behind.
func helperMapRefused(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("want arguments path dir, got %q", args)
	}
	path, dir := args[0], args[1]
	vm, err := vmSize()
	if err != nil {
		return err
	}
	// Room for the runtime to grow, far less than the mapping needs.
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &lim); err != nil {
		return err
	}
	lim.Cur = uint64(vm + 256<<20)
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_AS, %d): %w", lim.Cur, err)
	}
	fdsBefore, err := openFDCount()
	if err != nil {
		return err
	}
	for _, be := range backendsWith(impl.CapMapped) {
		create := filepath.Join(dir, be.Name+".new")
		for _, c := range []struct {
			path string
			opt  impl.Options
		}{{path, impl.Options{}}, {path, impl.Options{ReadOnly: true}}, {create, impl.Options{Create: true, Size: 1 << 30}}} {
			s, err := be.Open(c.path, c.opt)
			if err == nil {
				s.Close()
				return fmt.Errorf("%s: Open(%s, %+v) mapped 1 GiB under RLIMIT_AS %d", be.Name, c.path, c.opt, lim.Cur)
			}
			if !errors.Is(err, unix.ENOMEM) || !strings.Contains(err.Error(), "refused") {
				return fmt.Errorf("%s: Open(%s, %+v) = %v, want an error wrapping ENOMEM that says the kernel refused", be.Name, c.path, c.opt, err)
			}
		}
		if _, err := os.Lstat(create); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: after the failed Create, Lstat(%s) = %v: the file was left behind", be.Name, create, err)
		}
		fmt.Printf("refused %s\n", be.Name)
	}
	fdsAfter, err := openFDCount()
	if err != nil {
		return err
	}
	if fdsAfter != fdsBefore {
		return fmt.Errorf("%d descriptors open after the failed Opens, %d before", fdsAfter, fdsBefore)
	}
	return nil
}

// vmSize returns the process's address space size, VmSize in
// /proc/self/status, in bytes.
func vmSize() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/status: VmSize:%s: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("/proc/self/status has no VmSize")
}

// openFDCount counts the process's open descriptors.
func openFDCount() (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	return len(ents), err
}

// TestFailedOpenLeaksNothing checks that every way Open fails after opening
// the file closes the descriptor again. It must not run in parallel with
// other tests, which open descriptors of their own.
func TestFailedOpenLeaksNothing(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(small, []byte("small"), 0o600); err != nil {
		t.Fatal(err)
	}
	failures := func() {
		for _, be := range backendsWith(impl.CapPersistent) {
			cases := []struct {
				path string
				opt  impl.Options
			}{
				{dir, impl.Options{ReadOnly: true}},
				{"/dev/null", impl.Options{}},
				{empty, impl.Options{}},
				{small, impl.Options{Size: 100}},
			}
			if be.Has(impl.CapDirect) {
				cases = append(cases, struct {
					path string
					opt  impl.Options
				}{filepath.Join(dir, "unaligned"), impl.Options{Create: true, Size: testStoreSize, Direct: true}})
			}
			for _, c := range cases {
				if s, err := be.Open(c.path, c.opt); err == nil {
					s.Close()
					t.Fatalf("%s: Open(%s, %+v) succeeded, want an error", be.Name, c.path, c.opt)
				}
			}
		}
	}
	failures() // warm up: the runtime may open descriptors of its own once
	before, err := openFDCount()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		failures()
	}
	after, err := openFDCount()
	if err != nil {
		t.Fatal(err)
	}
	// Fewer is not a leak: a finalizer may have closed a file another test
	// dropped.
	if after > before {
		t.Errorf("%d descriptors open after failed Opens, %d before: each failed Open leaked some", after, before)
	}
}

// TestDirectUnaligned checks that O_DIRECT transfers with a misaligned
// offset, length or buffer are refused with an error that says what must be
// a multiple of what, and that an unaligned size is refused at Create.
func TestDirectUnaligned(t *testing.T) {
	for _, be := range backendsWith(impl.CapDirect) {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "store")
			s := openTestStore(t, be, path, impl.Options{Create: true, Size: int64(4 * testPage), Direct: true})
			align, err := impl.DirectAlignment(path)
			if err != nil || align < 2 {
				t.Fatalf("DirectAlignment(%s) = %d, %v, want an alignment of 2 or more", path, align, err)
			}
			alignStr := strconv.Itoa(align)
			misaddr := impl.AlignedBuffer(2 * align)[1 : 1+align]
			for _, c := range []struct {
				what string
				p    []byte
				off  int64
				say  string
			}{
				{"offset", impl.AlignedBuffer(align), int64(align / 2), strconv.Itoa(align / 2)},
				{"length", impl.AlignedBuffer(align)[:align-1], 0, strconv.Itoa(align - 1)},
				{"buffer address", misaddr, 0, fmt.Sprintf("%#x", addrOf(misaddr))},
			} {
				n, err := s.ReadAt(c.p, c.off)
				if n != 0 || err == nil {
					t.Errorf("misaligned %s: ReadAt(%d, %d) = %d, %v, want 0 and an error", c.what, len(c.p), c.off, n, err)
				}
				wantErrContains(t, fmt.Sprintf("misaligned %s: ReadAt(%d, %d)", c.what, len(c.p), c.off), err, "multiple", alignStr, c.say)
				n, err = s.WriteAt(c.p, c.off)
				if n != 0 || err == nil {
					t.Errorf("misaligned %s: WriteAt(%d, %d) = %d, %v, want 0 and an error", c.what, len(c.p), c.off, n, err)
				}
				wantErrContains(t, fmt.Sprintf("misaligned %s: WriteAt(%d, %d)", c.what, len(c.p), c.off), err, "multiple", alignStr, c.say)
			}

			path = filepath.Join(dir, "unaligned")
			opt := impl.Options{Create: true, Size: testStoreSize, Direct: true}
			_, err = be.Open(path, opt)
			wantErrContains(t, fmt.Sprintf("Open(%+v)", opt), err, "multiple of", strconv.FormatInt(testStoreSize, 10))
			mustNotExist(t, path)
		})
	}
}

func TestUnknownBackend(t *testing.T) {
	const name = "mmapp"
	be, err := impl.Lookup(name)
	if err == nil {
		t.Fatalf("Lookup(%q) = %v, nil, want an error", name, be.Name)
	}
	wantErrContains(t, fmt.Sprintf("Lookup(%q)", name), err, append([]string{strconv.Quote(name)}, impl.Names()...)...)

	path := filepath.Join(t.TempDir(), "store")
	_, err = impl.Open(name, path, impl.Options{Create: true, Size: testStoreSize})
	wantErrContains(t, fmt.Sprintf("Open(%q)", name), err, append([]string{strconv.Quote(name)}, impl.Names()...)...)
	mustNotExist(t, path)

	for _, be := range impl.Backends() {
		if got, err := impl.Lookup(be.Name); err != nil || got.Name != be.Name {
			t.Errorf("Lookup(%q) = %q, %v", be.Name, got.Name, err)
		}
	}
}

// TestOptionNotApplicable opens every backend with each option it lacks the
// capability for: the error names the option, nothing is created.
func TestOptionNotApplicable(t *testing.T) {
	options := []struct {
		name string
		cap  impl.Caps
		set  func(*impl.Options)
	}{
		{"Private", impl.CapMapped, func(o *impl.Options) { o.Private = true }},
		{"Populate", impl.CapPopulate, func(o *impl.Options) { o.Populate = true }},
		{"Direct", impl.CapDirect, func(o *impl.Options) { o.Direct = true }},
	}
	for _, be := range impl.Backends() {
		for _, o := range options {
			if be.Has(o.cap) {
				continue
			}
			path := filepath.Join(t.TempDir(), "store")
			opt := impl.Options{Create: true, Size: int64(4 * testPage)}
			o.set(&opt)
			s, err := be.Open(path, opt)
			if err == nil {
				s.Close()
			}
			var able []string
			for _, b := range backendsWith(o.cap) {
				able = append(able, b.Name)
			}
			// The error names the option, this backend, and those that have it.
			wantErrContains(t, fmt.Sprintf("%s: Open(%+v)", be.Name, opt), err, append([]string{o.name, be.Name}, able...)...)
			mustNotExist(t, path)
		}
	}
}

func TestUnknownAdvice(t *testing.T) {
	for _, be := range impl.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s, _ := createTestStore(t, be, testStoreSize)
			adv, ok := s.(impl.Advisor)
			if !ok {
				t.Skipf("%s's store is not an impl.Advisor", be.Name)
			}
			for _, a := range []impl.Advice{-1, impl.AdvicePopulate + 1, 99} {
				err := adv.Advise(a)
				wantErrContains(t, fmt.Sprintf("Advise(%d)", int(a)), err, "unknown advice", strconv.Itoa(int(a)))
			}
		})
	}
}

func TestParseAdvice(t *testing.T) {
	for a := impl.AdviceNormal; a <= impl.AdvicePopulate; a++ {
		if got, err := impl.ParseAdvice(a.String()); got != a || err != nil {
			t.Errorf("ParseAdvice(%q) = %v, %v, want %v, nil", a.String(), got, err, a)
		}
	}
	if got := impl.Advice(99).String(); got != "Advice(99)" {
		t.Errorf("Advice(99).String() = %q, want %q", got, "Advice(99)")
	}
	_, err := impl.ParseAdvice("huge")
	var names []string
	for a := impl.AdviceNormal; a <= impl.AdvicePopulate; a++ {
		names = append(names, a.String())
	}
	wantErrContains(t, `ParseAdvice("huge")`, err, append([]string{`"huge"`}, names...)...)
}
