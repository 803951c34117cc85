package regress

import (
	"bytes"
	"os"
	"testing"
)

// TestWriteTextGolden checks the tables and the verdict line against
// testdata/direction.golden.
func TestWriteTextGolden(t *testing.T) {
	rep, err := compareFiles(t, "base.txt", "direction.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, rep, "testdata/direction.golden")
}

// checkGolden compares rep's text with the golden file; go test -update
// rewrites it, and a mismatch also writes the text beside it (.got).
func checkGolden(t *testing.T, rep *Report, golden string) {
	t.Helper()
	var got bytes.Buffer
	if err := rep.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		os.WriteFile(golden+".got", got.Bytes(), 0o644)
		t.Errorf("WriteText differs from %s (got in %s.got; go test -update rewrites it):\n%s", golden, golden, got.Bytes())
	}
}
