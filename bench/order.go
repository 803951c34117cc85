package bench

import "math/bits"

// An Order is the project's one random order: a pseudo-random permutation of
// the blocks 0…n−1 of a pass, computed per index, with no table and no
// allocation. pattern=rand in BenchmarkRead, BenchmarkWrite and
// BenchmarkReaders and the random readers of mmapbench oom all use it, so
// "rand" means one thing everywhere: every block once per pass, in an order
// that is not a stride.
//
// Block(i) is a keyed bijection on the smallest power-of-two domain of at
// least n values (a few rounds of xorshift and multiplication by an odd
// constant, each invertible modulo 2^b), with cycle-walking: a value at or
// beyond n is mapped again until it falls inside. The domain is less than
// 2n, so a walk takes fewer than two steps on average.
//
// An affine map of the counter, k → (a·k + c) mod 2^b, also visits every
// block once, but consecutive blocks then differ by the constant a: a
// stride, which read-ahead and the prefetchers follow (regimes.md, item 4).
// TestOrderIsPermutationWithoutStride checks that no stride between
// consecutive blocks occurs in more than 1% of a pass's steps.
type Order struct {
	n     uint64 // blocks per pass
	mask  uint64 // domain − 1
	shift uint   // half the domain's bits, for the xorshifts
	key   uint64
}

// orderSeed is the key of the matrix's order: fixed, so that every run and
// every backend visits the blocks in the same order.
const orderSeed = 0x9E3779B97F4A7C15

// NewOrder returns the permutation of n blocks for key (any value; the
// benchmarks use one fixed key). n must be positive.
func NewOrder(n uint64, key uint64) Order {
	if n == 0 {
		panic("bench: NewOrder of 0 blocks")
	}
	b := uint(bits.Len64(n - 1)) // domain 2^b ≥ n
	return Order{n: n, mask: 1<<b - 1, shift: max(1, (b+1)/2), key: key}
}

// DefaultOrder is the order of n blocks that every benchmark uses.
func DefaultOrder(n uint64) Order { return NewOrder(n, orderSeed) }

// Len returns the number of blocks in a pass.
func (o Order) Len() uint64 { return o.n }

// Block returns the block visited at step i (mod n) of a pass.
func (o Order) Block(i uint64) uint64 {
	x := i
	if x >= o.n {
		x %= o.n // a division only past a pass's end
	}
	if o.n == 1 {
		return 0
	}
	for {
		x = o.mix(x)
		if x < o.n {
			return x
		}
	}
}

// mix is a bijection on [0, mask]: xor with the key, then two rounds of
// xorshift-right and multiplication by an odd constant, all modulo the
// domain. Each step is invertible, so the whole is a permutation.
func (o Order) mix(x uint64) uint64 {
	x = (x ^ o.key) & o.mask
	x ^= x >> o.shift
	x = (x * 0xBF58476D1CE4E5B9) & o.mask
	x ^= x >> o.shift
	x = (x * 0x94D049BB133111EB) & o.mask
	x ^= x >> o.shift
	x = (x + (o.key>>32 | 1)) & o.mask
	x ^= x >> (o.shift/2 + 1)
	x = (x * 0xD6E8FEB86659FD93) & o.mask
	x ^= x >> o.shift
	return x
}
