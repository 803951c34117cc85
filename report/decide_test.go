package report

import "testing"

// TestDecidePaired: samples that pair up are decided on their ratios, so a
// consistent 30% loss under a drift that makes the sets overlap is a loss
// (the U test alone calls it level); pairs whose ratios scatter around 1
// are level; unpaired or too few samples fall back to the U test.
func TestDecidePaired(t *testing.T) {
	drift := []float64{1.00, 1.25, 0.85, 1.40, 1.10} // the machine, invocation by invocation
	ref := make([]float64, len(drift))
	slow := make([]float64, len(drift))
	for i, d := range drift {
		ref[i] = 1000 * d
		slow[i] = 1000 * d * []float64{1.25, 1.35, 1.28, 1.32, 1.30}[i]
	}
	c := decide(slow, ref)
	if c.Outcome != lose || c.Test != "paired t" || c.P >= Alpha {
		t.Errorf("consistent ×1.3 under drift: %v %v, want a loss by the paired test", c.Outcome, c)
	}
	if u := decide(slow[:4], ref); u.Test != "U" || u.Outcome != level {
		t.Errorf("the same, unpaired (4 against 5): %v %v, want level by the U test (the sets overlap)", u.Outcome, u)
	}
	scatter := []float64{1.2, 0.85, 1.15, 0.9, 1.0}
	noisy := make([]float64, len(ref))
	for i := range ref {
		noisy[i] = ref[i] * scatter[i]
	}
	if c := decide(noisy, ref); c.Outcome != level {
		t.Errorf("ratios scattered around 1: %v %v, want level", c.Outcome, c)
	}
	if c := decide(ref, ref); c.Outcome != level || c.P != 1 {
		t.Errorf("identical pairs: %v %v, want level with p = 1", c.Outcome, c)
	}
	fast := make([]float64, len(ref))
	for i := range ref {
		fast[i] = ref[i] * 0.5
	}
	if c := decide(fast, ref); c.Outcome != win {
		t.Errorf("every pair ×0.5: %v %v, want a win", c.Outcome, c)
	}
	if c := decide(fast[:3], ref[:3]); c.Test != "U" || c.Outcome != level {
		t.Errorf("three pairs ×0.5: %v %v, want level by the U test (it cannot reach p < 0.05 with 3 a side)", c.Outcome, c)
	}
}
