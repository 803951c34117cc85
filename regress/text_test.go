package regress

import (
	"bytes"
	"os"
	"testing"
)

// TestWriteTextGolden checks the tables and the verdict line against
// testdata/direction.golden; a mismatch writes direction.got-golden.
func TestWriteTextGolden(t *testing.T) {
	rep, err := compareFiles(t, "base.txt", "direction.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := rep.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/direction.golden"
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
		os.WriteFile("testdata/direction.got-golden", got.Bytes(), 0o644)
		t.Errorf("WriteText differs from %s (got in testdata/direction.got-golden; go test -update rewrites it):\n%s", golden, got.Bytes())
	}
}
