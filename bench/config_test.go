//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/mmapbench/mmapbench/schema"
	"golang.org/x/perf/benchfmt"
)

func TestConfigLines(t *testing.T) {
	dir := t.TempDir()
	lines := Config(dir)
	if len(lines) == 0 {
		t.Fatalf("Config(%q) returned no lines", dir)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		t.Logf("%s: %s", l.Key, l.Value)
		if !validConfigKey(l.Key) {
			t.Errorf("Config key %q: benchfmt wants a lower-case first letter and no space, upper case or colon", l.Key)
		}
		switch l.Key {
		case "cpu", "goos", "goarch", "pkg":
			t.Errorf("Config key %q duplicates a key go test prints", l.Key)
		}
		if seen[l.Key] {
			t.Errorf("Config key %q appears twice", l.Key)
		}
		seen[l.Key] = true
		if l.Value == "" || l.Value != strings.TrimSpace(l.Value) || strings.ContainsAny(l.Value, "\r\n") {
			t.Errorf("Config value for %q = %q; want non-empty, one line, no surrounding space", l.Key, l.Value)
		}
	}
	for _, key := range []string{"kernel", "cpu-model", "cpu-count", "gomaxprocs", "go-version", "page-size",
		"thp", "thp-shmem", "fault-around", "read-ahead", "llc-size", "fs-type", "hypervisor", "mitigations", "mmap-go"} {
		if !seen[key] {
			t.Errorf("Config(%q) has no %q line", dir, key)
		}
	}
	// statfs of an existing directory cannot fail, so the type is known
	// (a name or a hex magic) on any machine.
	if fs := configValue(lines, "fs-type"); fs == "" || fs == unknown {
		t.Errorf("Config(%q) fs-type = %q; want a name or hex magic", dir, fs)
	}
	if ps := configValue(lines, "page-size"); ps != schema.FormatSize(int64(os.Getpagesize())) {
		t.Errorf("Config(%q) page-size = %q; want %q", dir, ps, schema.FormatSize(int64(os.Getpagesize())))
	}
}

// validConfigKey applies the rule of benchfmt's parseKeyValueLine.
func validConfigKey(k string) bool {
	for i, r := range k {
		if i == 0 && !unicode.IsLower(r) {
			return false
		}
		if unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' {
			return false
		}
	}
	return k != ""
}

func configValue(lines []ConfigLine, key string) string {
	for _, l := range lines {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

func TestWriteConfigParses(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	if err := WriteConfig(&sb, dir); err != nil {
		t.Fatalf("WriteConfig: %v", err)
	}
	sb.WriteString("BenchmarkFake/bs=4KiB-2 100 12.5 ns/op\n")
	r := benchfmt.NewReader(strings.NewReader(sb.String()), "config")
	var res *benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			res = rec.Clone()
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt.Reader on WriteConfig output: %v\n%s", rec, sb.String())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("benchfmt.Reader.Err() = %v", err)
	}
	if res == nil {
		t.Fatalf("benchfmt.Reader found no result in:\n%s", sb.String())
	}
	for _, l := range Config(dir) {
		if got := res.GetConfig(l.Key); got != l.Value {
			t.Errorf("result config %q = %q; want %q", l.Key, got, l.Value)
		}
	}
	if n := len(res.Config); n != len(Config(dir)) {
		t.Errorf("result has %d config keys; want %d", n, len(Config(dir)))
	}
}

func TestBracketed(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]string{
		"always [madvise] never\n":                     "madvise",
		"always within_size advise [never] deny force": "never",
		"no brackets": "unknown",
		"[unclosed":   "unknown",
		"[]":          "unknown",
	} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		if got := bracketed(p); got != want {
			t.Errorf("bracketed(file containing %q) = %q; want %q", in, got, want)
		}
	}
	if got := bracketed(filepath.Join(dir, "missing")); got != unknown {
		t.Errorf("bracketed(missing file) = %q; want %q", got, unknown)
	}
}

func TestMitigations(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"meltdown":             "Mitigation: PTI\n",
		"spectre_v2":           "Mitigation: Retpolines; STIBP: disabled\n",
		"spec_store_bypass":    "Vulnerable\n",
		"spec_rstack_overflow": "Vulnerable: Safe RET, no microcode\n",
		"l1tf":                 "Not affected\n",
		"mds":                  "Not affected\n",
		"mmio_stale_data":      "Unknown: No mitigations\n",
		"itlb_multihit":        "KVM: Mitigation: VMX disabled\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
	}
	want := "3 mitigated, 2 vulnerable, 2 not affected, 1 unknown"
	if got := mitigations(dir); got != want {
		t.Errorf("mitigations(fake dir) = %q; want %q", got, want)
	}
	if got := mitigations(filepath.Join(dir, "missing")); got != unknown {
		t.Errorf("mitigations(missing dir) = %q; want %q", got, unknown)
	}
}

func TestModuleVersion(t *testing.T) {
	if v := moduleVersion("example.com/not/linked"); v != unknown {
		t.Errorf(`moduleVersion("example.com/not/linked") = %q; want %q`, v, unknown)
	}
	// go test binaries carry no dependency list (golang/go#76926); if that
	// gets fixed, moduleVersion starts answering here.
	t.Logf("moduleVersion(%q) in this test binary = %q", mmapGoPath, moduleVersion(mmapGoPath))
}

// TestMmapGoVersion checks that the version is found even in a go test
// binary, which is where the benchmarks run.
func TestMmapGoVersion(t *testing.T) {
	if v := mmapGoVersion(); !strings.HasPrefix(v, "v") {
		t.Errorf("mmapGoVersion() = %q; want a version such as v1.2.0", v)
	}
}

func TestVersionFromSourcePath(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"/root/go/pkg/mod/github.com/edsrzf/mmap-go@v1.2.0/mmap.go", "v1.2.0"},
		{"github.com/edsrzf/mmap-go@v1.2.1-0.20241201000000-fad1cd1aaaaa/mmap_unix.go", "v1.2.1-0.20241201000000-fad1cd1aaaaa"},
		{"/src/vendor/github.com/edsrzf/mmap-go/mmap.go", unknown},
		{"/home/me/mmap-go/mmap.go", unknown},
		{"", unknown},
	} {
		if got := versionFromSourcePath(tt.file, mmapGoPath); got != tt.want {
			t.Errorf("versionFromSourcePath(%q) = %q; want %q", tt.file, got, tt.want)
		}
	}
}

func TestReadAheadNoDevice(t *testing.T) {
	// procfs sits on an anonymous device, so it has no read-ahead.
	if got := readAhead("/proc"); got != "none" {
		t.Errorf(`readAhead("/proc") = %q; want "none"`, got)
	}
	if got := readAhead(filepath.Join(t.TempDir(), "missing")); got != unknown {
		t.Errorf("readAhead(missing dir) = %q; want %q", got, unknown)
	}
}
