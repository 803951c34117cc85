package impl_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

// The helper-process pattern of os/exec's tests: a test re-runs this test
// binary with helperEnvVar set to the name of a helper, and TestMain runs
// that helper instead of the tests. Helpers take their arguments from the
// command line, report failures on stderr and exit non-zero; the parent
// checks both.
const helperEnvVar = "IMPL_TEST_HELPER"

var (
	implHelpers = map[string]func(args []string) error{}

	implHelpersMu   sync.Mutex
	implHelpersUsed = map[string]bool{}
)

// registerImplHelper adds a helper command. It panics on a duplicate name.
func registerImplHelper(name string, fn func(args []string) error) {
	if _, dup := implHelpers[name]; dup {
		panic("duplicate helper command " + name)
	}
	implHelpers[name] = fn
}

// markImplHelperUsed records that a test exercised the helper, or covered
// what it checks some other way (for instance without a child process).
func markImplHelperUsed(name string) {
	implHelpersMu.Lock()
	defer implHelpersMu.Unlock()
	implHelpersUsed[name] = true
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnvVar); name != "" {
		fn, ok := implHelpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper command %q\n", name)
			os.Exit(2)
		}
		if err := fn(os.Args[1:]); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", name, err)
			os.Exit(1)
		}
		os.Exit(0)
	}

	code := m.Run()
	// As in os/exec: after a full passing run, an unused helper fails the
	// suite, so that stale helpers do not accrete.
	if code == 0 && ranEveryTest() {
		var unused []string
		for name := range implHelpers {
			if !implHelpersUsed[name] {
				unused = append(unused, name)
			}
		}
		sort.Strings(unused)
		for _, name := range unused {
			fmt.Fprintf(os.Stderr, "helper command %q was not used by any test\n", name)
			code = 1
		}
	}
	os.Exit(code)
}

// ranEveryTest reports whether the run was a plain one, with no test
// filtered out and no fuzzing.
func ranEveryTest() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		return false
	}
	return !testing.Short()
}

// implHelperCmd returns a command that runs this test binary as the named
// helper with args.
func implHelperCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	if _, ok := implHelpers[name]; !ok {
		t.Fatalf("no helper command %q", name)
	}
	markImplHelperUsed(name)
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("os.Executable: %v; cannot re-run the test binary", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), helperEnvVar+"="+name)
	return cmd
}

// runImplHelper runs cmd and fails the test unless it exits 0 with nothing on
// stderr. It returns the helper's stdout.
func runImplHelper(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		name := ""
		for _, kv := range cmd.Env {
			if v, ok := strings.CutPrefix(kv, helperEnvVar+"="); ok {
				name = v
			}
		}
		t.Fatalf("helper %s %q: %v\nstderr:\n%s\nstdout:\n%s", name, cmd.Args[1:], err, stderr.Bytes(), stdout.Bytes())
	}
	return stdout.String()
}

// testPage is the page size, the unit the offsets of the suite are built on.
var testPage = os.Getpagesize()

// testStoreSize is a few pages and an odd tail, so that the last page is
// partial.
var testStoreSize = int64(3*testPage + 123)

// storePattern returns n bytes that depend on seed and on the position, and
// are never zero, so that a missing write, a shifted one, and a page from
// another test all show.
func storePattern(seed byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte((i*131+(i>>9)*7+int(seed)*29)%255) + 1
	}
	return p
}

// createTestStore creates a store of size bytes with be in a new file of
// t.TempDir and closes it when the test ends. It returns the store and the
// file's path.
func createTestStore(t *testing.T, be impl.Backend, size int64) (impl.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), be.Name+".store")
	return openTestStore(t, be, path, impl.Options{Create: true, Size: size}), path
}

// openTestStore opens path with be and opt, failing the test on error, and
// closes the store when the test ends.
func openTestStore(t *testing.T, be impl.Backend, path string, opt impl.Options) impl.Store {
	t.Helper()
	s, err := be.Open(path, opt)
	if err != nil {
		t.Fatalf("%s: Open(%s, %+v): %v", be.Name, path, opt, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("%s: Close: %v", be.Name, err)
		}
	})
	return s
}

// writeTestStore writes all of p at off, failing the test on a short write.
func writeTestStore(t *testing.T, s impl.Store, p []byte, off int64) {
	t.Helper()
	if n, err := s.WriteAt(p, off); n != len(p) || err != nil {
		t.Fatalf("%v: WriteAt(%d bytes, %d) = %d, %v, want %d, nil", s, len(p), off, n, err, len(p))
	}
}

// checkTestStore reads len(want) bytes at off and fails the test unless they
// are want.
func checkTestStore(t *testing.T, s impl.Store, want []byte, off int64) {
	t.Helper()
	got := make([]byte, len(want))
	n, err := s.ReadAt(got, off)
	if n != len(want) || (err != nil && !(err == io.EOF && off+int64(n) == s.Size())) {
		t.Fatalf("%v: ReadAt(%d bytes, %d) = %d, %v, want %d, nil", s, len(want), off, n, err, len(want))
	}
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("%v: ReadAt(%d bytes, %d): byte %d (offset %d) is %#02x, want %#02x", s, len(want), off, i, off+int64(i), got[i], want[i])
	}
}

// firstDiff returns the index of the first byte where a and b differ, or -1
// if they are equal.
func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// backendsWith returns the backends that have every capability in c.
func backendsWith(c impl.Caps) []impl.Backend {
	var bes []impl.Backend
	for _, be := range impl.Backends() {
		if be.Has(c) {
			bes = append(bes, be)
		}
	}
	return bes
}

// skipUnlessCaps skips the test unless be has every capability in c, giving
// the missing capability as the reason.
func skipUnlessCaps(t *testing.T, be impl.Backend, c impl.Caps, name, why string) {
	t.Helper()
	if !be.Has(c) {
		t.Skipf("%s lacks %s: %s", be.Name, name, why)
	}
}

// mustNotExist fails the test if path exists: a failed Open must leave
// nothing behind.
func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after the failed Open, Lstat(%s) = %v, want an error wrapping fs.ErrNotExist: something was left behind", path, err)
	}
}
