package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeSuffixes lists the accepted suffixes, longest first so that "KiB" is
// tried before "K" and "B". Only binary (IEC) multiples are accepted:
// block sizes, page sizes and mapping granularity are powers of two, and
// accepting "KB" would leave readers guessing between 1000 and 1024.
var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{
	{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10},
	{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10},
	{"B", 0},
}

// formatUnits lists the suffixes FormatSize may produce, largest first.
// It stops at TiB so every result parses back with ParseSize.
var formatUnits = []struct {
	suffix string
	shift  uint
}{
	{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10},
}

// ParseSize parses a byte count such as "4096", "512B", "4KiB", "1MiB",
// "1GiB" or "4GiB". The suffixes B, KiB, MiB, GiB and TiB are accepted, and
// K, M, G and T as short forms of the IEC ones (K means 1024). Decimal
// suffixes such as "KB", lower-case suffixes, fractions, signs and spaces
// are rejected rather than guessed at.
func ParseSize(s string) (int64, error) {
	num, shift := s, uint(0)
	for _, u := range sizeSuffixes {
		if strings.HasSuffix(s, u.suffix) {
			num, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional IEC suffix (B, KiB, MiB, GiB, TiB), e.g. 4KiB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("size %q: too large, the maximum is %d bytes", s, int64(math.MaxInt64))
	}
	return n << shift, nil
}

// FormatSize formats n in the shortest exact IEC form that ParseSize
// accepts: the largest of TiB, GiB, MiB and KiB that divides n, else bytes.
// So 4096 is "4KiB", 1<<20 is "1MiB", 100 is "100B" and 1536 is "1536B"
// (never "1.5KiB": names built from it must be exact and sort with @num).
// Negative n get a leading "-", which ParseSize does not accept.
func FormatSize(n int64) string {
	if n < 0 {
		// Work on the magnitude as uint64 so math.MinInt64 does not overflow.
		return "-" + formatMagnitude(uint64(-(n+1))+1)
	}
	return formatMagnitude(uint64(n))
}

func formatMagnitude(m uint64) string {
	if m != 0 {
		for _, u := range formatUnits {
			if m&(1<<u.shift-1) == 0 {
				return strconv.FormatUint(m>>u.shift, 10) + u.suffix
			}
		}
	}
	return strconv.FormatUint(m, 10) + "B"
}
