package schema

import (
	"io"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Value is one figure of a result line.
type Value struct {
	Value float64
	Unit  Unit
}

// A Writer writes results in Go benchmark format through benchfmt.Writer:
// its configuration lines before the first result (and again only when
// they change), the Unit lines where WriteUnits is called. go test's
// results are the one output the project does not write this way (testing
// prints them); bench's TestMain writes their unit lines with
// WriteUnitLines.
type Writer struct {
	w      *benchfmt.Writer
	config []benchfmt.Config
}

// NewWriter returns a writer of results to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: benchfmt.NewWriter(w)} }

// SetConfig sets the file configuration line key: value of the results
// written after it.
func (w *Writer) SetConfig(key, value string) {
	for i := range w.config {
		if w.config[i].Key == key {
			w.config[i].Value = []byte(value)
			return
		}
	}
	w.config = append(w.config, benchfmt.Config{Key: key, Value: []byte(value), File: true})
}

// WriteUnits writes the Unit lines of units (see the package function).
func (w *Writer) WriteUnits(units ...Unit) error { return WriteUnits(w.w, units...) }

// Write writes one result line: name (with or without its "Benchmark"
// prefix), the iterations and the values, in order.
func (w *Writer) Write(name string, iters int, values ...Value) error {
	res := &benchfmt.Result{Config: w.config, Name: benchfmt.Name(strings.TrimPrefix(name, "Benchmark")), Iters: iters}
	for _, v := range values {
		res.Values = append(res.Values, benchfmt.Value{Value: v.Value, Unit: string(v.Unit)})
	}
	return w.w.Write(res)
}
