package bench

import (
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/mmapbench/mmapbench/schema"
)

// Every unit bench writes a Unit line for is in schema's registry, once.
func TestUnitsRegistered(t *testing.T) {
	seen := map[schema.Unit]bool{}
	for _, u := range units {
		if _, ok := schema.Info(u); !ok {
			t.Errorf("unit %q is not in schema's registry", u)
		}
		if seen[u] {
			t.Errorf("unit %q listed twice", u)
		}
		seen[u] = true
	}
}

func TestWriteUnitLines(t *testing.T) {
	var sb strings.Builder
	if err := WriteUnitLines(&sb); err != nil {
		t.Fatalf("WriteUnitLines: %v", err)
	}
	// Follow the unit lines with a result, as in real output.
	sb.WriteString("BenchmarkX 10 1 minflt/op\n")
	r := benchfmt.NewReader(strings.NewReader(sb.String()), "units")
	for r.Scan() {
		if err, ok := r.Result().(*benchfmt.SyntaxError); ok {
			t.Fatalf("benchfmt.Reader on WriteUnitLines output: %v\n%s", err, sb.String())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("benchfmt.Reader.Err() = %v", err)
	}
	meta := r.Units()
	for _, u := range Units() {
		if got := meta.GetBetter(string(u.Unit)); got != int(u.Better) {
			t.Errorf("after WriteUnitLines, GetBetter(%q) = %d; want %d", u.Unit, got, u.Better)
		}
	}
	if len(meta) != len(Units()) {
		t.Errorf("WriteUnitLines produced %d metadata entries; want %d\n%s", len(meta), len(Units()), sb.String())
	}
}
