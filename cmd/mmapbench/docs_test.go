package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The documents are checked against the code, because they are read
// instead of it: a `make` target or `mmapbench` command a newcomer copies
// from the README must exist, and every one that exists must be listed
// there. Only code (inline `spans` and fenced blocks) is read, so that
// the English verb "make" in prose is never taken for a target.

// docsRepoRoot is the repository root, from this package's directory (go
// test runs a package's tests in its source directory).
const docsRepoRoot = "../.."

// A docRef is one `make <target>` or `mmapbench <command>` a document names.
type docRef struct {
	file string
	line int
	tool string // "make" or "mmapbench"
	name string
}

func (r docRef) String() string {
	return r.file + ":" + strconv.Itoa(r.line) + ": " + r.tool + " " + r.name
}

// A codeText is a piece of code in a Markdown document and the line it starts on.
type codeText struct {
	line int
	text string
}

var docFence = regexp.MustCompile("^[ \t]*(```|~~~)")

// codeIn returns the code of a Markdown document: every line of a fenced
// block, and every inline code span (which may run over a line break
// within its paragraph, as Markdown allows).
func codeIn(doc string) []codeText {
	var code []codeText
	lines := strings.Split(doc, "\n")
	var para []string // the current paragraph outside fences
	paraStart := 0
	flush := func() {
		code = append(code, inlineSpans(para, paraStart)...)
		para = nil
	}
	inFence := ""
	for i, l := range lines {
		n := i + 1
		if m := docFence.FindStringSubmatch(l); m != nil {
			switch {
			case inFence == "":
				flush()
				inFence = m[1]
				continue
			case m[1] == inFence:
				inFence = ""
				continue
			}
		}
		if inFence != "" {
			code = append(code, codeText{n, l})
			continue
		}
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		if para == nil {
			paraStart = n
		}
		para = append(para, l)
	}
	flush()
	return code
}

// inlineSpans returns the code spans of a paragraph whose first line is
// line first: text between two runs of backticks of the same length.
func inlineSpans(para []string, first int) []codeText {
	text := strings.Join(para, "\n")
	var spans []codeText
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] == '`' {
			j++
		}
		delim := text[i:j]
		end := -1
		for k := j; k < len(text); {
			if text[k] != '`' {
				k++
				continue
			}
			m := k
			for m < len(text) && text[m] == '`' {
				m++
			}
			if m-k == len(delim) {
				end = k
				break
			}
			k = m
		}
		if end < 0 { // an unmatched run is literal backticks
			i = j
			continue
		}
		line := first + strings.Count(text[:i], "\n")
		spans = append(spans, codeText{line, strings.ReplaceAll(text[j:end], "\n", " ")})
		i = end + len(delim)
	}
	return spans
}

// docInvocation finds "make" or "mmapbench" as a command word: at the start of
// the code, after white space or a shell separator, or as the last element
// of a path (go run ./cmd/mmapbench ipc).
var docInvocation = regexp.MustCompile(`(?:^|[\s;&|(/])(make|mmapbench)[ \t]+`)

// shellComment is a shell comment: from a # that starts a word to the end.
var shellComment = regexp.MustCompile(`(?:^|\s)#.*`)

// docWord is a target or command name.
var docWord = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)

// makeFlagsWithArg are make's options whose argument is a separate word,
// so that "make -C dir test" names test, not dir.
var makeFlagsWithArg = map[string]bool{"-C": true, "-f": true, "-I": true, "-o": true, "-W": true}

// refsIn returns the make targets and mmapbench commands that a piece of
// code names. A make invocation names every word after it up to a shell
// separator or comment, skipping options and VAR=value assignments; a
// mmapbench invocation names its first word (and help's argument), and
// nothing when it starts with an option. Placeholders such as <command>
// are not names.
func refsIn(file string, c codeText) []docRef {
	var refs []docRef
	text := shellComment.ReplaceAllString(c.text, "")
	for _, loc := range docInvocation.FindAllStringSubmatchIndex(text, -1) {
		tool := text[loc[2]:loc[3]]
		fields := strings.Fields(text[loc[1]:])
		skipNext := false
		for i, f := range fields {
			last := false
			if t := strings.TrimRight(f, ";&|),"); t != f {
				last = strings.ContainsAny(f[len(t):], ";&|")
				f = t
			}
			if f == "" || strings.ContainsAny(f[:1], "#<>|&;`") {
				break
			}
			if tool == "make" {
				switch {
				case skipNext:
					skipNext = false
				case strings.HasPrefix(f, "-"):
					skipNext = makeFlagsWithArg[f]
				case strings.Contains(f, "="):
				case docWord.MatchString(f):
					refs = append(refs, docRef{file, c.line, tool, f})
				default:
					last = true
				}
			} else {
				if !docWord.MatchString(f) {
					break
				}
				refs = append(refs, docRef{file, c.line, tool, f})
				if f != "help" || i > 0 {
					break
				}
			}
			if last {
				break
			}
		}
	}
	return refs
}

// docRefs returns every reference in the code of one document.
func docRefs(file, doc string) []docRef {
	var refs []docRef
	for _, c := range codeIn(doc) {
		refs = append(refs, refsIn(file, c)...)
	}
	return refs
}

// makeRule is a rule line of a Makefile: targets, then one or two colons
// not followed by '=' (which would be an assignment, comma := ,).
var makeRule = regexp.MustCompile(`^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*::?(?:[^=]|$)`)

// makeTargets returns the targets that a Makefile has rules for, and its
// .PHONY targets (the ones meant to be run by name). Recipe lines (a tab
// first) and define…endef bodies are not rules.
func makeTargets(makefile string) (rules, phony map[string]bool) {
	rules, phony = map[string]bool{}, map[string]bool{}
	inDefine := false
	for _, l := range strings.Split(makefile, "\n") {
		switch {
		case strings.HasPrefix(l, "define "):
			inDefine = true
			continue
		case strings.HasPrefix(l, "endef"):
			inDefine = false
			continue
		case inDefine, strings.HasPrefix(l, "\t"):
			continue
		}
		m := makeRule.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		names := strings.Fields(m[1])
		if len(names) == 1 && names[0] == ".PHONY" {
			rest := strings.SplitN(l, ":", 2)[1]
			for _, p := range strings.Fields(rest) {
				phony[p] = true
			}
			continue
		}
		for _, n := range names {
			if !strings.HasPrefix(n, ".") {
				rules[n] = true
			}
		}
	}
	return rules, phony
}

// commandSet is the mmapbench command table, plus help, which run handles
// itself.
func docCommandSet() map[string]bool {
	set := map[string]bool{"help": true}
	for _, c := range commands {
		set[c.name] = true
	}
	return set
}

// badRefs returns the references that name no target or no command.
func badRefs(refs []docRef, targets, cmds map[string]bool) []docRef {
	var bad []docRef
	for _, r := range refs {
		if r.tool == "make" && !targets[r.name] || r.tool == "mmapbench" && !cmds[r.name] {
			bad = append(bad, r)
		}
	}
	return bad
}

// docFiles returns README.md and docs/*.md, by path from the module root.
func docFiles(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	paths, err := filepath.Glob(filepath.Join(docsRepoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append([]string{filepath.Join(docsRepoRoot, "README.md")}, paths...)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading the documents: %v", err)
		}
		rel, _ := filepath.Rel(docsRepoRoot, p)
		docs[rel] = string(b)
	}
	return docs
}

func docMakefile(t *testing.T) (rules, phony map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsRepoRoot, "Makefile"))
	if err != nil {
		t.Fatalf("reading the Makefile: %v", err)
	}
	rules, phony = makeTargets(string(b))
	if !rules["test"] || !rules["bench"] {
		t.Fatalf("the Makefile parser found no test or bench rule (rules: %v): it no longer reads this Makefile", sortedKeys(rules))
	}
	return rules, phony
}

func sortedKeys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// TestDocsNameRealTargetsAndCommands: every `make <target>` and
// `mmapbench <command>` in README.md and docs/*.md exists.
func TestDocsNameRealTargetsAndCommands(t *testing.T) {
	rules, _ := docMakefile(t)
	cmds := docCommandSet()
	total := 0
	for file, doc := range docFiles(t) {
		refs := docRefs(file, doc)
		total += len(refs)
		for _, r := range badRefs(refs, rules, cmds) {
			if r.tool == "make" {
				t.Errorf("%v: the Makefile has no target %q (targets: %s)", r, r.name, strings.Join(sortedKeys(rules), ", "))
			} else {
				t.Errorf("%v: mmapbench has no command %q (commands: %s)", r, r.name, strings.Join(sortedKeys(cmds), ", "))
			}
		}
	}
	if total == 0 {
		t.Fatal("found no make target or mmapbench command in the documents: the extractor is broken")
	}
}

// TestReadmeListsEveryTargetAndCommand: the README's tables are complete:
// every .PHONY target with a rule and every mmapbench command is named in
// its code.
func TestReadmeListsEveryTargetAndCommand(t *testing.T) {
	rules, phony := docMakefile(t)
	b, err := os.ReadFile(filepath.Join(docsRepoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, r := range docRefs("README.md", string(b)) {
		named[r.tool+" "+r.name] = true
	}
	for _, target := range sortedKeys(phony) {
		if rules[target] && !named["make "+target] {
			t.Errorf("README.md does not name `make %s` (a .PHONY target of the Makefile): add it to the targets table", target)
		}
	}
	for _, c := range commands {
		if !named["mmapbench "+c.name] {
			t.Errorf("README.md does not name `mmapbench %s` (a command in commands.go): add it to the commands table", c.name)
		}
	}
}

// mdLink is an inline Markdown link or image: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinksResolve: every relative link in the documents names a file
// or directory that exists.
func TestDocsLinksResolve(t *testing.T) {
	for file, doc := range docFiles(t) {
		for i, l := range strings.Split(doc, "\n") {
			for _, m := range mdLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				p := filepath.Join(docsRepoRoot, filepath.Dir(file), target)
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s:%d: link to %s: %v", file, i+1, m[1], err)
				}
			}
		}
	}
}

// TestDocRefsExtractor: the extractor finds commands in code and only
// there, and the check flags a target or command that does not exist.
func TestDocRefsExtractor(t *testing.T) {
	const doc = "# x\n" +
		"Run `make bench` first, then `make COUNT=3 noise` and\n" +
		"`make -C . report FILE=x.txt`. Prose may make sure to make things (no code).\n" +
		"\n" +
		"A span over a line break: `go run ./cmd/mmapbench\n" +
		"oom -h`; a placeholder `make <target>`, `mmapbench <command>`, a dir `mmapbench-*`,\n" +
		"a path `cmd/mmapbench/`, a flag first `go test ./cmd/mmapbench -run X`.\n" +
		"\n" +
		"```sh\n" +
		"make nosuch   # a comment that would make trouble\n" +
		"mmapbench help ipc > out.txt && mmapbench bogus -x; make vet test\n" +
		"```\n" +
		"`mmapbench: an error message` and ``make clean`` end.\n"
	got := docRefs("doc.md", doc)
	var gotS []string
	for _, r := range got {
		gotS = append(gotS, r.String())
	}
	want := []string{
		"doc.md:2: make bench",
		"doc.md:2: make noise",
		"doc.md:3: make report",
		"doc.md:5: mmapbench oom",
		"doc.md:10: make nosuch",
		"doc.md:11: mmapbench help",
		"doc.md:11: mmapbench ipc",
		"doc.md:11: mmapbench bogus",
		"doc.md:11: make vet",
		"doc.md:11: make test",
		"doc.md:13: make clean",
	}
	if !slices.Equal(gotS, want) {
		t.Errorf("docRefs found\n\t%s\nwant\n\t%s", strings.Join(gotS, "\n\t"), strings.Join(want, "\n\t"))
	}
	rules, _ := docMakefile(t)
	var badS []string
	for _, r := range badRefs(got, rules, docCommandSet()) {
		badS = append(badS, r.String())
	}
	if wantBad := []string{"doc.md:10: make nosuch", "doc.md:11: mmapbench bogus"}; !slices.Equal(badS, wantBad) {
		t.Errorf("badRefs = %q, want %q", badS, wantBad)
	}
}

// TestMakeTargets: rules, double-colon rules and .PHONY are read;
// assignments, recipes and define bodies are not rules.
func TestMakeTargets(t *testing.T) {
	const mk = ".PHONY: a b\n" +
		"comma := ,\n" +
		"x = y:z\n" +
		"a: b\n" +
		"\techo c: d\n" +
		"b c::\n" +
		"define f\n" +
		"e: g\n" +
		"endef\n" +
		"%.o: %.c\n"
	rules, phony := makeTargets(mk)
	if got := sortedKeys(rules); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("rules = %v, want [a b c]", got)
	}
	if got := sortedKeys(phony); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("phony = %v, want [a b]", got)
	}
}

// answerHeading starts the README's section of figures copied from the
// generated report.
const answerHeading = "## The answer, in short"

// reportFigure is a figure the report prints and the README copies: a
// ratio (×0.22) or a date (2026-12-01).
var reportFigure = regexp.MustCompile(`×[0-9]+(?:\.[0-9]+)?|\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b`)

// figuresNotIn returns the figures of the README's answer section that the
// report does not print, as "line: figure".
func figuresNotIn(readme, report string) (missing []string, checked int) {
	in := false
	for i, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, "## ") {
			in = l == answerHeading
			continue
		}
		if !in {
			continue
		}
		for _, f := range reportFigure.FindAllString(l, -1) {
			checked++
			if !containsFigure(report, f) {
				missing = append(missing, strconv.Itoa(i+1)+": "+f)
			}
		}
	}
	return missing, checked
}

// containsFigure reports whether text has figure f whole: ×68.6 is not in
// "×68.63", but ×0.22 is in "×0.22." at the end of a sentence.
func containsFigure(text, f string) bool {
	return regexp.MustCompile(regexp.QuoteMeta(f) + `(?:$|[^0-9]|\.(?:$|[^0-9]))`).MatchString(text)
}

// TestReadmeFiguresAreTheReports: the README's headline figures are the
// committed report's, so a regenerated baseline cannot leave the README
// quoting the old one.
func TestReadmeFiguresAreTheReports(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(docsRepoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(filepath.Join(docsRepoRoot, "results", "baseline", "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	missing, checked := figuresNotIn(string(readme), string(report))
	if checked < 5 {
		t.Fatalf("found %d figures under %q in README.md: the section is gone or renamed", checked, answerHeading)
	}
	for _, m := range missing {
		t.Errorf("README.md:%s is not in results/baseline/REPORT.md: copy the headline figures from the regenerated report", m)
	}
}

// TestFiguresNotIn: a figure the report does not print is named; the
// figures outside the answer section are not checked.
func TestFiguresNotIn(t *testing.T) {
	readme := "# x\n## Before\n×9.99\n" + answerHeading + "\n| a | ×0.22 | ×68.6 |\non 2026-12-01 and 2025-01-01\n## After\n×7.77\n"
	report := "mmap ×0.22. ×68.63 from 2026-12-01-vm.txt"
	missing, checked := figuresNotIn(readme, report)
	if want := []string{"5: ×68.6", "6: 2025-01-01"}; !slices.Equal(missing, want) || checked != 4 {
		t.Errorf("figuresNotIn = %q, %d checked; want %q, 4", missing, checked, want)
	}
}
