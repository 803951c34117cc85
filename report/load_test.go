package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mmapbench/mmapbench/plot"
)

// loadText loads crafted results (Go benchmark format with config lines)
// as make report would read them from a file; lines that do not parse
// fail the test, so a crafted row cannot silently go missing.
func loadText(t *testing.T, text string) *plot.Results {
	t.Helper()
	path := filepath.Join(t.TempDir(), "results.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := plot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Warnings) > 0 {
		t.Fatalf("crafted results do not parse: %v", rs.Warnings)
	}
	return rs
}
