package regress

import (
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/perf/benchfmt"
)

// A Set is the contents of one results file.
type Set struct {
	Name    string             // the file's path, or a label
	Results []*benchfmt.Result // every result, in file order
	Units   benchfmt.UnitMetadataMap
	Config  map[string][]string // file configuration key -> distinct values, in order seen
}

// ReadFile reads a results file in Go benchmark format. A file that cannot
// be opened, that has a malformed line, or that holds no results is an
// error.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads results in Go benchmark format from r; name names them in
// messages.
func Read(r io.Reader, name string) (*Set, error) {
	s := &Set{Name: name, Config: map[string][]string{}}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec // "file:line: message"
		case *benchfmt.Result:
			res := rec.Clone()
			s.Results = append(s.Results, res)
			for _, c := range res.Config {
				if !c.File {
					continue
				}
				v := string(c.Value)
				if !slices.Contains(s.Config[c.Key], v) {
					s.Config[c.Key] = append(s.Config[c.Key], v)
				}
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(s.Results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results (want lines like \"BenchmarkX 100 12.3 ns/op\")", name)
	}
	s.Units = br.Units()
	return s, nil
}
