package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// loadText loads crafted results (Go benchmark format with config lines)
// as make report would read them from a file; a line that does not parse
// fails the test, so a crafted row cannot silently go missing, and so does
// a lookup the crafted rows' keys do not answer, when the test ends.
func loadText(t *testing.T, text string) *results {
	t.Helper()
	path := filepath.Join(t.TempDir(), "results.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := schema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newResults(rs)
	t.Cleanup(func() {
		if r.err != nil {
			t.Errorf("a lookup failed: %v", r.err)
		}
	})
	return r
}
