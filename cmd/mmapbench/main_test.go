package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

func runCapture(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode int
		wantErr  string // substring of stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"nosuch"}, exitUsage, `unknown command "nosuch": want one of backends`},
		{[]string{"backends", "-nosuch"}, exitUsage, "flag provided but not defined: -nosuch"},
		{[]string{"backends", "extra"}, exitUsage, `unexpected argument "extra"`},
	} {
		code, _, stderr := runCapture(tc.args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and stderr containing %q", tc.args, code, stderr, tc.wantCode, tc.wantErr)
		}
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := runCapture("help")
	if code != exitOK || !strings.Contains(stdout, "backends") {
		t.Errorf("run(help) = %d, stdout %q; want 0 and the command list", code, stdout)
	}
	code, _, stderr := runCapture("backends", "-h")
	if code != exitOK || !strings.Contains(stderr, "Usage: mmapbench backends") {
		t.Errorf("run(backends -h) = %d, stderr %q; want 0 and usage", code, stderr)
	}
	// help <command> is the command's own help, not the command list.
	for _, c := range commands {
		code, stdout, stderr := runCapture("help", c.name)
		if code != exitOK || !strings.Contains(stdout, "Usage: mmapbench "+c.name) || strings.Contains(stdout, "Commands:") {
			t.Errorf("run(help %s) = %d, stdout %q, stderr %q; want 0 and the command's usage", c.name, code, stdout, stderr)
		}
	}
	if code, _, stderr := runCapture("help", "nosuch"); code != exitUsage || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("run(help nosuch) = %d, stderr %q; want 2 naming it", code, stderr)
	}
}

func TestBackendsListsEveryBackend(t *testing.T) {
	code, stdout, stderr := runCapture("backends")
	if code != exitOK {
		t.Fatalf("run(backends) = %d, stderr %q", code, stderr)
	}
	for _, name := range impl.Names() {
		if !strings.Contains(stdout, "\n"+name+" ") {
			t.Errorf("backends output lacks a row for %q:\n%s", name, stdout)
		}
	}
}
