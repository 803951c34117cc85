package report

import (
	"fmt"
	"math"

	"github.com/mmapbench/mmapbench/plot"
)

const (
	rule1 = "Copies per byte through read(2) = median `rchar-B/op` ÷ block size of `pread copy`, sequential reads, warm and cold; " +
		"mmap `view` copies nothing through the kernel when its `rchar-B/op` and `read-syscalls/op` are 0. " +
		"**Holds** if read(2) copies ≥ 1.5 times per byte and the view none; **holds only when** the bytes are used in place if read(2) copies once (0.5–1.5) and the view none; " +
		"**does not hold** if the view makes read calls."
)

func claimCopies(rs *plot.Results) Claim {
	c := Claim{Text: "read/write copies the data twice; mmap does not copy it", Rule: rule1, Verdict: NotMeasured}
	rows := rs.Rows("Read", map[string]string{"backend": "pread", "access": "copy", "pattern": "seq", "size": plot.ReadSize(rs), "threads": "1", "advice": "none"})
	maxCopies, viewCopies, viewCalls, n := 0.0, 0.0, 0.0, 0
	var speed []string
	for _, cache := range []string{"warm", "cold"} {
		for _, bs := range plot.Values(rows, "bs") {
			size, _ := plot.ParseSize(bs)
			rchar, ok1 := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "rchar-B/op")
			vchar, ok2 := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "rchar-B/op")
			vcall, ok3 := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "read-syscalls/op")
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			n++
			maxCopies = math.Max(maxCopies, rchar/float64(size))
			viewCopies = math.Max(viewCopies, vchar/float64(size))
			viewCalls = math.Max(viewCalls, vcall)
			if cache == "warm" {
				tp, _ := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "ns/op")
				tv, _ := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "ns/op")
				tc, okc := median(rs, "Read", readKeys(rs, "mmap", "copy", "seq", cache, bs), "ns/op")
				s := fmt.Sprintf("warm %s: pread %s, mmap view %s (%s)", bs, plot.FormatNanos(tp), plot.FormatNanos(tv), times(tp, tv))
				if okc {
					s += fmt.Sprintf(", mmap copy %s (%s)", plot.FormatNanos(tc), times(tp, tc))
				}
				speed = append(speed, s)
			}
		}
	}
	if n == 0 {
		c.Evidence = []string{"no BenchmarkRead pread/mmap sequential rows with rchar-B/op and read-syscalls/op"}
		return c
	}
	c.Evidence = append(c.Evidence,
		fmt.Sprintf("read(2) copies %.2f× per byte read (pread `rchar-B/op` ÷ block size, at most, warm and cold): page cache to buffer", maxCopies),
		fmt.Sprintf("mmap view: %.2f bytes per byte and %.2f read calls per op through the kernel", viewCopies, viewCalls))
	c.Evidence = append(c.Evidence, speed...)
	switch {
	case viewCalls > 0.01 || viewCopies > 0.01:
		c.Verdict = DoesNotHold
	case maxCopies >= 1.5:
		c.Verdict = Holds
	case maxCopies >= 0.5:
		c.Verdict = HoldsOnly + " the bytes are used in place (view): read(2) copies once, not twice, and copying out of the mapping is a copy too"
	default:
		c.Verdict = DoesNotHold
	}
	return c
}
