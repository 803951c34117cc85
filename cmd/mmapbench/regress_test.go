package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// crafted names a results file of the regress package's tests.
func crafted(name string) string {
	return filepath.Join("..", "..", "regress", "testdata", name)
}

func TestRegressFiles(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // in stdout
		stderr string // in stderr
	}{
		{[]string{"-old", crafted("base.txt"), "-new", crafted("base-again.txt")}, exitOK, "regress: ok: unpaired: no row regressed by more than 5% at p < 0.05", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("drop20.txt")}, exitFail, "regress: FAIL: unpaired: 2 of", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("drop20.txt"), "-threshold", "30%"}, exitOK, "regress: ok", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("drop20.txt"), "-filter", "/backend:pread"}, exitOK, "regress: ok", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("direction.txt")}, exitFail, "lat-nsec/op +20.0%; 2 improved", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("few.txt")}, exitUsage, "", "too few samples: need 5 per side"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("other.txt")}, exitUsage, "", "no benchmark in common"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("kernel.txt")}, exitUsage, "", "configurations differ: kernel"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("kernel.txt"), "-ignore", "kernel"}, exitOK, "regress: ok", ""},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("bad.txt")}, exitUsage, "", "bad.txt:3:"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("missing.txt")}, exitUsage, "", "no such file"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("base.txt"), "-filter", "/backend:("}, exitUsage, "", "filter"},
		{[]string{"-old", crafted("base.txt"), "-new", crafted("base.txt"), "-filter", "/backend:null"}, exitUsage, "", "no result matches the filter"},
		{[]string{"-old", crafted("base.txt")}, exitUsage, "", "want both -old and -new"},
		{[]string{"-old", "a", "-new", "b", "-base", "HEAD"}, exitUsage, "", "use one"},
		{[]string{"-old", "a", "-new", "b", "-count", "20"}, exitUsage, "", "-count applies only with -base"},
		{[]string{"-old", "a", "-new", "b", "-threshold", "x"}, exitUsage, "", "-threshold"},
		{[]string{"-base", "HEAD", "-count", "5"}, exitUsage, "", "want at least 10"},
		{[]string{"-base", "HEAD", "-count", "10", "-alpha", "0.001"}, exitUsage, "", "-count 10: at -alpha 0.001 the paired interval needs at least 12 pairs"},
		{[]string{"-base", "HEAD", "-env", "nokey"}, exitUsage, "", "want KEY=VALUE"},
		{[]string{}, exitUsage, "", "want -old FILE -new FILE, or -base REF"},
		{[]string{"stray"}, exitUsage, "", "unexpected argument"},
	} {
		code, stdout, stderr := runCapture(append([]string{"regress"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("regress %q = %d\nstdout:\n%s\nstderr:\n%s\nwant %d, stdout with %q, stderr with %q", tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}

// TestRegressBase runs -base and -head on a tiny repository whose
// benchmark reports a deterministic work/op: A/A passes, head made to do
// twice the work (through -head-env) fails, and no worktree is left.
func TestRegressBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	repo := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/tiny\n\ngo 1.26\n",
		"bench/work_test.go": `package bench

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

func TestMain(m *testing.M) {
	fmt.Println("Unit work/op better=lower")
	os.Exit(m.Run())
}

func BenchmarkWork(b *testing.B) {
	work, err := strconv.ParseFloat(os.Getenv("TINY_WORK"), 64)
	if err != nil {
		work = 1
	}
	for b.Loop() {
	}
	b.ReportMetric(work, "work/op")
}
`,
	}
	for name, text := range files {
		path := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "tiny"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", args, err, out)
		}
	}
	t.Chdir(repo)
	common := []string{"regress", "-base", "HEAD", "-count", "10", "-bench", ".", "-benchtime", "1x", "-filter", ".unit:work/op"}

	out := filepath.Join(t.TempDir(), "ci")
	code, stdout, stderr := runCapture(append(common, "-head", "HEAD", "-out", out)...)
	if code != exitOK || !strings.Contains(stdout, "regress: ok") {
		t.Fatalf("A/A: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, name := range []string{"base.txt", "head.txt", "regress.txt", "regress.meta"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("-out: %v", err)
		}
	}
	if got := strings.Count(stderr, "] base "); got != 10 {
		t.Errorf("%d base samples in the progress, want 10:\n%s", got, stderr)
	}

	// The working tree (the default -head) with the head binary doing
	// twice the work per op.
	code, stdout, stderr = runCapture(append(common, "-head-env", "TINY_WORK=2")...)
	if code != exitFail || !strings.Contains(stdout, "work/op +100.0%") {
		t.Errorf("doubled work: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "working tree (") {
		t.Errorf("head is not described as the working tree:\n%s", stderr)
	}

	// The files of a -base run pair, and -old/-new on them with -base's
	// settings (threshold 1%, alpha 0.01) reproduce its verdict;
	// -unpaired uses the U test on the same samples.
	base, err := os.ReadFile(filepath.Join(out, "base.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(base), "\npair: "); n != 9 || !strings.HasPrefix(string(base), "pair: ") {
		t.Errorf("base.txt has %d pair lines after the first, want 9:\n%s", n, base)
	}
	outDoubled := filepath.Join(t.TempDir(), "doubled")
	code, stdout, stderr = runCapture(append(common, "-head-env", "TINY_WORK=2", "-out", outDoubled)...)
	wantVerdict := "regress: FAIL: paired: 1 of 1 rows regressed by more than 1%: the whole 99% interval of the median new/old of 10 pairs; worst Work-2 work/op +100.0% [+100.0%, +100.0%]"
	if code != exitFail || !strings.Contains(stdout, wantVerdict) {
		t.Errorf("-out doubled: exit %d\nstdout:\n%s\nstderr:\n%s\nwant %q", code, stdout, stderr, wantVerdict)
	}
	pairedFiles := []string{"-old", filepath.Join(outDoubled, "base.txt"), "-new", filepath.Join(outDoubled, "head.txt"), "-threshold", "1%", "-alpha", "0.01", "-filter", ".unit:work/op"}
	if code, stdout, stderr := runCapture(append([]string{"regress"}, pairedFiles...)...); code != exitFail || !strings.Contains(stdout, wantVerdict) {
		t.Errorf("-old/-new on the -base files: exit %d\nstdout:\n%s\nstderr:\n%s\nwant %q", code, stdout, stderr, wantVerdict)
	}
	// regress.meta names that command, and it gives the verdict again.
	meta, err := os.ReadFile(filepath.Join(outDoubled, "regress.meta"))
	if err != nil {
		t.Fatal(err)
	}
	const wantReproduce = "reproduce: mmapbench regress -old base.txt -new head.txt -threshold 1% -alpha 0.01 -filter '.unit:work/op'\n"
	if !strings.Contains(string(meta), wantReproduce) {
		t.Errorf("regress.meta:\n%s\nwant a line %q", meta, wantReproduce)
	}
	var again []string
	for _, f := range strings.Fields(strings.TrimPrefix(wantReproduce, "reproduce: mmapbench ")) {
		f = strings.Trim(f, "'")
		if strings.HasSuffix(f, ".txt") {
			f = filepath.Join(outDoubled, f)
		}
		again = append(again, f)
	}
	if code, stdout, stderr := runCapture(again...); code != exitFail || !strings.Contains(stdout, wantVerdict) {
		t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant %q", again, code, stdout, stderr, wantVerdict)
	}
	if code, stdout, _ := runCapture(append([]string{"regress", "-unpaired"}, pairedFiles...)...); code != exitFail || !strings.Contains(stdout, "regress: FAIL: unpaired: 1 of 1 rows regressed by more than 1% at p < 0.01") || !strings.Contains(stdout, "unpaired: unpaired as asked") {
		t.Errorf("-unpaired on the -base files: exit %d\nstdout:\n%s", code, stdout)
	}

	// -env reaches both binaries and a -head-env of the same key wins on
	// the head: base does twice the work, head three times.
	code, stdout, stderr = runCapture(append(common, "-head", "HEAD", "-env", "TINY_WORK=2", "-head-env", "TINY_WORK=3")...)
	if code != exitFail || !strings.Contains(stdout, "work/op +50.0%") {
		t.Errorf("-env TINY_WORK=2 -head-env TINY_WORK=3: exit %d\nstdout:\n%s\nstderr:\n%s\nwant work/op +50.0%%", code, stdout, stderr)
	}

	code, _, stderr = runCapture("regress", "-base", "no-such-ref")
	if code != exitUsage || !strings.Contains(stderr, `base ref "no-such-ref" is not a commit`) {
		t.Errorf("-base no-such-ref: exit %d, stderr:\n%s", code, stderr)
	}

	list, err := exec.Command("git", "worktree", "list", "--porcelain").Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(list), "worktree "); n != 1 {
		t.Errorf("%d worktrees left, want 1 (the repository):\n%s", n, list)
	}
}
