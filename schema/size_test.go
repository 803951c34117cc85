package schema

import (
	"math"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1", 1},
		{"4096", 4096},
		{"64B", 64},
		{"512B", 512},
		{"4KiB", 4 << 10},
		{"64KiB", 64 << 10},
		{"1MiB", 1 << 20},
		{"8MiB", 8 << 20},
		{"1GiB", 1 << 30},
		{"4GiB", 4 << 30},
		{"2TiB", 2 << 40},
		{"4K", 4 << 10},
		{"1M", 1 << 20},
		{"3G", 3 << 30},
		{"1T", 1 << 40},
		{"1536B", 1536},
		{"007KiB", 7 << 10},
		{"9223372036854775807", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"4KB", `size "4KB": want a number of bytes with an optional IEC suffix (B, KiB, MiB, GiB, TiB), e.g. 4KiB`},
		{"", `size "": want a number`},
		{"KiB", `size "KiB": want a number`},
		{"4k", `size "4k": want a number`},
		{"4kib", `size "4kib": want a number`},
		{"4MB", `size "4MB": want a number`},
		{"4 KiB", `size "4 KiB": want a number`},
		{" 4KiB", `size " 4KiB": want a number`},
		{"-4KiB", `size "-4KiB": want a number`},
		{"+4KiB", `size "+4KiB": want a number`},
		{"1.5MiB", `size "1.5MiB": want a number`},
		{"4Ki", `size "4Ki": want a number`},
		{"4PiB", `size "4PiB": want a number`},
		{"0x10", `size "0x10": want a number`},
		{"9223372036854775808", `size "9223372036854775808": too large`},
		{"8388608TiB", `size "8388608TiB": too large`},
		{"99999999999999999999KiB", `size "99999999999999999999KiB": too large`},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d, nil; want error %q", tt.in, got, tt.wantErr)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.wantErr) {
			t.Errorf("ParseSize(%q) error = %q; want prefix %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{64, "64B"},
		{100, "100B"},
		{512, "512B"},
		{1023, "1023B"},
		{1024, "1KiB"},
		{1536, "1536B"},
		{4096, "4KiB"},
		{64 << 10, "64KiB"},
		{1536 << 10, "1536KiB"},
		{1 << 20, "1MiB"},
		{8 << 20, "8MiB"},
		{1 << 30, "1GiB"},
		{4 << 30, "4GiB"},
		{1 << 40, "1TiB"},
		{1 << 50, "1024TiB"},
		{math.MaxInt64, "9223372036854775807B"},
		{-4096, "-4KiB"},
		{math.MinInt64, "-8388608TiB"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestSizeRoundTrip(t *testing.T) {
	var vals []int64
	for shift := 0; shift < 63; shift++ {
		p := int64(1) << shift
		vals = append(vals, p, p-1, p+1, 3*p, 1000*p)
	}
	vals = append(vals, math.MaxInt64, 1536, 100, 999999)
	for _, n := range vals {
		if n < 0 {
			continue // 1000<<62 overflowed; ParseSize does not take negatives
		}
		s := FormatSize(n)
		got, err := ParseSize(s)
		if err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v; want %d, nil", n, s, got, err, n)
		}
	}
	// Every non-canonical spelling formats back to the canonical one.
	for _, s := range []string{"4096", "4096B", "4K", "0004KiB", "1024KiB", "1048576"} {
		n, err := ParseSize(s)
		if err != nil {
			t.Fatalf("ParseSize(%q): %v", s, err)
		}
		want := map[bool]string{true: "4KiB", false: "1MiB"}[n == 4096]
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(ParseSize(%q)) = %q; want %q", s, got, want)
		}
	}
}
