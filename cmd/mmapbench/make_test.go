package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeCompareBadInput: make compare and make backends fail when
// benchstat cannot read a file or finds no results in it (benchstat itself
// exits 0 then), and pass on a real results file.
func TestMakeCompareBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make and benchstat")
	}
	makePath, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make on PATH")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", "")
	garbage := write("garbage.txt", "not a benchmark file\n")
	unparsable := write("unparsable.txt", "BenchmarkX abc\n")
	good := write("good.txt", "BenchmarkRead/backend=pread 10 5 ns/op\nBenchmarkRead/backend=mmap 10 4 ns/op\n")
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"compare", "OLD=" + filepath.Join(dir, "missing"), "NEW=" + good}, false},
		{[]string{"compare", "OLD=" + garbage, "NEW=" + garbage}, false},
		{[]string{"compare", "OLD=" + unparsable, "NEW=" + good}, false},
		{[]string{"backends", "FILE=" + empty}, false},
		{[]string{"backends", "FILE=" + filepath.Join(dir, "missing")}, false},
		{[]string{"compare", "OLD=" + good, "NEW=" + good}, true},
		{[]string{"backends", "FILE=" + good}, true},
	} {
		cmd := exec.Command(makePath, append([]string{"-s", "-C", "../..", "GO=" + goBin}, tc.args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case tc.ok && err != nil:
			t.Errorf("make %s: %v\n%s", strings.Join(tc.args, " "), err, stderr.String())
		case tc.ok && stdout.Len() == 0:
			t.Errorf("make %s: no table", strings.Join(tc.args, " "))
		case !tc.ok && (!errors.As(err, &ee) || ee.ExitCode() != 2):
			t.Errorf("make %s: %v, want exit status 2\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), err, stdout.String(), stderr.String())
		case !tc.ok && !strings.Contains(stderr.String(), "benchstat could not read its input"):
			t.Errorf("make %s: stderr %q does not say why", strings.Join(tc.args, " "), stderr.String())
		}
	}
}
