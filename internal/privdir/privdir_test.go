package privdir

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRemoveStale: a directory whose owner let go of its lock (as a dead
// process does) is removed and reported; a live one, one without a lock
// file, one under another prefix and a plain file are not.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	live, err := Make(parent, Prefix+"live-", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	dead, err := Make(parent, Prefix+"dead-", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !Held(dead.Path) {
		t.Fatalf("%s is not locked after Make", dead.Path)
	}
	dead.lock.Close() // what the kernel does when the owner dies
	dead.lock = nil
	if Held(dead.Path) {
		t.Fatalf("%s is still locked after its owner let go", dead.Path)
	}
	keep := []string{filepath.Join(parent, Prefix+"nolock"), filepath.Join(parent, "other-dir")}
	for _, d := range keep {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(parent, Prefix+"measure.lock")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, file, live.Path)

	var log bytes.Buffer
	got := RemoveStale(parent, &log)
	if len(got) != 1 || got[0] != dead.Path {
		t.Errorf("RemoveStale = %v, want [%s]", got, dead.Path)
	}
	if _, err := os.Stat(dead.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: %v, want it removed", dead.Path, err)
	}
	if want := "mmapbench: removed " + dead.Path + ", left by process " + strconv.Itoa(os.Getpid()) + " which has exited"; !strings.Contains(log.String(), want) {
		t.Errorf("log = %q, want %q", log.String(), want)
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed (%v)", p, err)
		}
	}
}

func TestMake(t *testing.T) {
	parent := t.TempDir()
	if _, err := Make(parent, "other-", nil); err == nil {
		t.Error("Make accepted a prefix RemoveStale does not look at")
	}
	if _, err := Make(filepath.Join(parent, "missing"), Prefix, nil); err == nil {
		t.Error("Make under a missing parent succeeded")
	}
	d, err := Make(parent, Prefix+"x-", nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(d.Path); err != nil || fi.Mode().Perm() != 0o700 || !strings.HasPrefix(filepath.Base(d.Path), Prefix+"x-") {
		t.Errorf("%s: %v, %v; want a 0700 directory named with the prefix", d.Path, fi, err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
	if err := d.Remove(); err != nil {
		t.Errorf("a second Remove: %v", err)
	}
}

func TestCheckParent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct{ dir, want string }{
		{dir, ""},
		{filepath.Join(dir, "missing"), "missing does not exist"},
		{file, "f is not a directory"},
	} {
		err := CheckParent(tc.dir)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckParent(%s) = %v, want %q", tc.dir, err, tc.want)
		}
	}
}
