package report

import "testing"

func TestTable(t *testing.T) {
	tb := (&Table{}).Left("backend", "verdict").Right("ns/op")
	tb.Row("mmap", "holds | mostly", "12.5")
	want := "| backend | verdict | ns/op |\n|---|---|---:|\n| mmap | holds \\| mostly | 12.5 |\n"
	if got := tb.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("a row with 2 cells for 3 columns did not panic")
		}
	}()
	tb.Row("mmap", "holds")
}
