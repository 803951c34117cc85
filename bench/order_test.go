package bench

import (
	"fmt"
	"testing"
)

// TestOrderIsPermutationWithoutStride checks the definition of a
// random order for 4KiB blocks on files of 16MiB to 1GiB (and block counts
// that are not powers of two): a pass visits every block exactly once, and
// no single stride between consecutive blocks occurs in more than 1% of its
// steps. The old affine order fails the second check with one stride in
// 100% of the steps.
func TestOrderIsPermutationWithoutStride(t *testing.T) {
	counts := []uint64{16 << 20 >> 12, 64 << 20 >> 12, 256 << 20 >> 12, 1 << 30 >> 12, 6144, 1000, 3}
	for _, n := range counts {
		t.Run(fmt.Sprintf("blocks=%d", n), func(t *testing.T) {
			o := DefaultOrder(n)
			seen := make([]bool, n)
			strides := map[int64]uint64{}
			prev := int64(-1)
			for i := range n {
				k := o.Block(i)
				if k >= n {
					t.Fatalf("Block(%d) = %d, outside 0…%d", i, k, n-1)
				}
				if seen[k] {
					t.Fatalf("Block(%d) = %d visited twice in one pass", i, k)
				}
				seen[k] = true
				if prev >= 0 {
					strides[int64(k)-prev]++
				}
				prev = int64(k)
			}
			if n < 100 {
				return // too few steps for a 1% bound to mean anything
			}
			var worst int64
			for s, c := range strides {
				if c > strides[worst] {
					worst = s
				}
			}
			if share := float64(strides[worst]) / float64(n-1); share > 0.01 {
				t.Errorf("stride %+d occurs in %.1f%% of %d steps, want at most 1%%", worst, 100*share, n-1)
			}
			if o.Block(n) != o.Block(0) {
				t.Errorf("Block(n) = %d, want Block(0) = %d: the order repeats per pass", o.Block(n), o.Block(0))
			}
		})
	}
}

// TestOrderAffineFails is the check's control: the affine order it replaces
// must fail it, or the check cannot tell a stride from a random order.
func TestOrderAffineFails(t *testing.T) {
	const n = 4096
	strides := map[int64]int{}
	prev := int64(-1)
	for i := uint64(0); i < n; i++ {
		k := int64((i*6364136223846793005 + 1442695040888963407) & (n - 1))
		if prev >= 0 {
			strides[k-prev]++
		}
		prev = k
	}
	most := 0
	for _, c := range strides {
		most = max(most, c)
	}
	if float64(most)/(n-1) <= 0.01 {
		t.Fatalf("the affine order's commonest stride is in %d of %d steps: the stride check would pass it", most, n-1)
	}
}

func TestOrderKeysDiffer(t *testing.T) {
	a, b := NewOrder(4096, 1), NewOrder(4096, 2)
	same := 0
	for i := range uint64(4096) {
		if a.Block(i) == b.Block(i) {
			same++
		}
	}
	if same > 64 {
		t.Errorf("keys 1 and 2 agree on %d of 4096 steps: the key does not change the order", same)
	}
}

// BenchmarkOrder prices the order against the sequential index it replaces
// in the 64B rows, where an operation costs about 20 ns.
func BenchmarkOrder(b *testing.B) {
	for _, n := range []uint64{16 << 20 >> 6, 3 << 20 >> 6} { // 64B blocks of 16MiB; a non-power of two
		b.Run(fmt.Sprintf("kind=perm/blocks=%d", n), func(b *testing.B) {
			o := DefaultOrder(n)
			var i, sum uint64
			for b.Loop() {
				sum += o.Block(i)
				i++
			}
			orderSink += sum
		})
		b.Run(fmt.Sprintf("kind=seq/blocks=%d", n), func(b *testing.B) {
			var i, sum uint64
			for b.Loop() {
				sum += i % n
				i++
			}
			orderSink += sum
		})
	}
}

var orderSink uint64
