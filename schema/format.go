package schema

import "strconv"

// FormatNanos formats a duration in nanoseconds for people, with three
// significant digits and its unit: "85ns", "1.6µs", "34ms".
func FormatNanos(v float64) string {
	switch {
	case v >= 1e9:
		return threeDigits(v/1e9) + "s"
	case v >= 1e6:
		return threeDigits(v/1e6) + "ms"
	case v >= 1e3:
		return threeDigits(v/1e3) + "µs"
	}
	return threeDigits(v) + "ns"
}

// FormatBytes formats a byte count for people, with three significant
// digits in IEC units: "4KiB", "1.5MiB". Unlike FormatSize it rounds, so
// its output is for tables and axes, not for benchmark names.
func FormatBytes(v float64) string {
	for _, u := range []struct {
		name string
		mult float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.mult {
			return threeDigits(v/u.mult) + u.name
		}
	}
	return threeDigits(v) + "B"
}

// threeDigits prints v with at most 3 significant digits and no trailing zeros.
func threeDigits(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
