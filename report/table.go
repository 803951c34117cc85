package report

import (
	"fmt"
	"strings"
)

// A Table is a Markdown table: a header of columns, each left- or
// right-aligned (figures are right-aligned so that their digits line up),
// and rows of cells. Every Markdown table of the project is built with it
// (the report's, mmapbench verdicts'), so that a cell count that does not
// match the header is a panic in the tests, not a table GitHub draws
// askew. The zero value is an empty table.
type Table struct {
	cols    []string
	aligned []bool // right-aligned
	rows    [][]string
}

// Left adds left-aligned columns.
func (t *Table) Left(names ...string) *Table { return t.add(false, names) }

// Right adds right-aligned columns.
func (t *Table) Right(names ...string) *Table { return t.add(true, names) }

func (t *Table) add(right bool, names []string) *Table {
	for _, n := range names {
		t.cols = append(t.cols, n)
		t.aligned = append(t.aligned, right)
	}
	return t
}

// Row adds a row; it must have one cell per column.
func (t *Table) Row(cells ...string) {
	if len(cells) != len(t.cols) {
		panic(fmt.Sprintf("report: table row with %d cells for %d columns: %q", len(cells), len(t.cols), cells))
	}
	t.rows = append(t.rows, cells)
}

// String is the table in Markdown, one line per row, each ending in a
// newline. A "|" in a cell is escaped, so it cannot split the cell.
func (t *Table) String() string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	line(t.cols)
	b.WriteString("|")
	for _, r := range t.aligned {
		if r {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
