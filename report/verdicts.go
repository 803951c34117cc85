package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// Verdicts is one run's outcome in machine-readable form: each claim's
// verdict and the one-shot crossover, as `mmapbench report -verdicts`
// writes it (JSON) and `mmapbench verdicts` sets runs side by side.
type Verdicts struct {
	Bench     string         // the results file
	Claims    []VerdictClaim // in the report's order
	Crossover string         // "" when there is none
}

// A VerdictClaim is one claim's verdict.
type VerdictClaim struct {
	Text    string // the claim
	Verdict string // as the report prints it, with its figures
	Class   string // Holds, HoldsOnly, DoesNotHold or NotMeasured
	Key     string // the verdict without figures: what runs must share to agree
}

// VerdictsOf computes the verdicts of in, as the report does.
func VerdictsOf(in Input) (Verdicts, error) {
	rs := newResults(in.Results)
	v := Verdicts{Bench: in.Files.Bench, Crossover: crossover(rs)}
	for _, c := range claims(rs, in.Durable, in.Counts) {
		v.Claims = append(v.Claims, VerdictClaim{Text: c.Text, Verdict: c.Verdict, Class: c.Class(), Key: c.Key()})
	}
	return v, rs.err
}

// WriteVerdicts writes v as indented JSON.
func WriteVerdicts(w io.Writer, v Verdicts) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ReadVerdicts reads what WriteVerdicts wrote.
func ReadVerdicts(r io.Reader) (Verdicts, error) {
	var v Verdicts
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("verdicts: %w", err)
	}
	if len(v.Claims) == 0 {
		return v, fmt.Errorf("verdicts: no claims")
	}
	return v, nil
}
