package bench

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/mmapbench/mmapbench/schema"
)

// Rand is the project's one pseudo-random generator: splitmix64 (Steele,
// Lea and Flood, "Fast splittable pseudorandom number generators", 2014), a
// 64-bit counter stepped by an odd constant and hashed. It is a value of
// one word, so a Worker holds it inline: no allocation, no lock, no
// interface call in the timed loop (math/rand's global source has all
// three). It is not safe for concurrent use: each goroutine has its own.
//
// Its period is 2^64 and its output passes BigCrush; that is more than the
// benchmarks need, which is that the draws do not follow a pattern the
// kernel's read-ahead or the CPU's prefetchers could learn.
type Rand struct{ state uint64 }

// golden is 2^64 divided by the golden ratio, rounded to odd: splitmix64's
// increment (the same constant as orderSeed).
const golden = 0x9E3779B97F4A7C15

// NewRand returns a generator seeded with seed. The seed is hashed first,
// so that nearby seeds (a worker's index added to a base) start far apart
// in the sequence rather than one step from each other.
func NewRand(seed uint64) Rand { return Rand{state: splitmix(seed)} }

// splitmix is splitmix64's output function (a bijection of 64 bits).
func splitmix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// Uint64 returns 64 uniformly distributed bits.
func (r *Rand) Uint64() uint64 {
	r.state += golden
	return splitmix(r.state)
}

// Float64 returns a uniform value in [0, 1): the top 53 bits of Uint64
// over 2^53, every value a multiple of 2^-53.
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Uint64N returns a uniform value in [0, n), exactly (Lemire's
// multiply-shift with rejection, "Fast random integer generation in an
// interval", 2019): the high word of a 64×64-bit product, redrawn in the
// rare case (probability < n/2^64) where it would be biased. n must be
// positive.
func (r *Rand) Uint64N(n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		// 2^64 mod n: the low words below it are the ones that would
		// give the first values one extra chance.
		floor := -n % n
		for lo < floor {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// A Draw draws the ranks of a skewed pattern (schema.Hot, schema.Zipf):
// Next returns a rank in [0, n), rank 0 the most often drawn, with
// replacement. Ranks are not blocks: the caller maps rank r to the block
// DefaultOrder(n).Block(r), so that the hot blocks are scattered over the
// file by the project's permutation, not one range that read-ahead would
// bring in together. The hottest m blocks are then the first m ranks, which
// is what partial residency keeps resident under a skewed pattern.
//
// A draw costs a few steps of Rand and, for zipf, a log and an exp; it
// allocates nothing and reads no table (a table of n probabilities would
// share the cache with the data the benchmark measures).
//
// hot (fio's random_distribution=zoned:90/10): the hot zone is the first
// ceil(n/10) ranks. A draw is in the hot zone with probability 0.9
// (to within 2^-64) and then uniform over it; otherwise uniform over the
// other n − ceil(n/10) ranks. When n is not a multiple of 10 the hot zone
// is slightly more than a tenth of the ranks (one rank in ten for n ≤ 10:
// for n < 10 that one rank is more than 10% of the file); when n = 1 there
// is no cold zone and every draw is rank 0.
//
// zipf:θ: P(rank r) = (r+1)^−θ / Σ_{j=1..n} j^−θ, exactly, for any θ > 0
// (schema allows 0 < θ ≤ 4, θ ≠ 1), by rejection-inversion (Hörmann and
// Derflinger, "Rejection-inversion to generate variates from monotone
// discrete distributions", ACM TOMACS 6(3), 1996), the method of Go's
// math/rand.Zipf (which takes θ > 1 only) and of Apache Commons RNG's
// RejectionInversionZipfSampler (any θ > 0). Construction is O(1) for any
// n (no zeta(n, θ) sum, unlike the YCSB/Gray et al. approximation, which is
// approximate besides). A draw takes 1.00–1.02 uniform variates on
// average for 0.5 ≤ θ ≤ 4 (TestDrawZipfAcceptance), and the squeeze
// accepts most of them without evaluating h and H, so it costs about one
// Float64, one log1p and one exp. For θ > 1 the ranks of the far tail whose
// probability is near 2^−53 are not resolved by a 53-bit uniform; their
// total mass is negligible.
type Draw struct {
	rng  Rand
	n    uint64
	zipf bool
	// hot: ranks [0, hot) are the hot zone; cold = n − hot.
	hot, cold uint64
	// zipf, 1-based ranks k = rank+1, density h(x) = x^−θ and its
	// integral H(x) = ∫_1^x t^−θ dt (see hIntegral):
	theta    float64
	oneMinus float64 // 1 − θ
	inverse  float64 // 1/(1 − θ): a multiplication in place of a division per draw
	hTop     float64 // H(n + 1/2): the top of the interval u is drawn from
	hBottom  float64 // H(3/2) − 1: the bottom; [hBottom, H(3/2)] is rank 1's
	squeeze  float64 // accept k at once when k − x ≤ squeeze (see Next)
}

// hotThreshold is floor(0.9 · 2^64): a draw is hot when 64 random bits
// fall below it, that is with probability 0.9 − 4·10^−20.
const hotThreshold = 16602069666338596454

// NewDraw returns the draw of ranks of pattern p over n blocks, seeded
// with seed (each goroutine of a case should get its own seed, such as a
// base plus its index; the same seed gives the same ranks). p must be
// schema.Hot or a schema.Zipf with 0 < θ ≤ 4, θ ≠ 1; seq and rand visit
// each block once per pass and take their blocks from Order instead.
func NewDraw(p schema.Pattern, n, seed uint64) (Draw, error) {
	if n == 0 {
		return Draw{}, fmt.Errorf("bench: a draw over 0 blocks; want at least 1")
	}
	d := Draw{rng: NewRand(seed), n: n}
	if p == schema.Hot {
		d.hot = (n + 9) / 10
		d.cold = n - d.hot
		return d, nil
	}
	theta, ok := p.IsZipf()
	if !ok {
		return Draw{}, fmt.Errorf("bench: pattern %v visits each block once per pass (Order), not drawn; want hot or zipf:θ", p)
	}
	if !(theta > 0 && theta <= 4) || theta == 1 {
		return Draw{}, fmt.Errorf("bench: pattern %v: want zipf:θ with 0 < θ ≤ 4 and θ ≠ 1", p)
	}
	d.zipf = true
	d.theta = theta
	d.oneMinus = 1 - theta
	d.inverse = 1 / d.oneMinus
	d.hTop = d.hIntegral(float64(n) + 0.5)
	d.hBottom = d.hIntegral(1.5) - 1
	// For k ≥ 2 a draw x that rounds to k is accepted when
	// x ≥ H⁻¹(H(k+1/2) − h(k)), i.e. when k − x ≤ k − H⁻¹(H(k+1/2) − h(k)).
	// That bound grows with k for a decreasing convex h (Hörmann and
	// Derflinger, section 3), so its value at k = 2 accepts without
	// evaluating h and H for most draws. TestZipfSqueezeIsABound checks
	// it for every k of small n.
	d.squeeze = 2 - d.hIntegralInverse(d.hIntegral(2.5)-d.h(2))
	return d, nil
}

// Len returns the number of ranks, n.
func (d *Draw) Len() uint64 { return d.n }

// Next returns the next rank, in [0, n).
func (d *Draw) Next() uint64 {
	if !d.zipf {
		// One draw picks the zone, a second the rank in it: reusing
		// the first's bits would tie the rank to the zone decision.
		if d.cold == 0 || d.rng.Uint64() < hotThreshold {
			return d.rng.Uint64N(d.hot)
		}
		return d.hot + d.rng.Uint64N(d.cold)
	}
	for {
		// u is uniform over (hBottom, hTop]: H maps the hat of rank k,
		// the area under h on [k−1/2, k+1/2], to [H(k−1/2), H(k+1/2)]
		// (rank 1's hat is cut to its exact mass h(1) = 1), so x = H⁻¹(u)
		// rounded is k with probability ∝ hat area of k, and accepting
		// it when u falls in the top h(k) of k's interval leaves
		// probability ∝ h(k) = k^−θ.
		u := d.hTop + d.rng.Float64()*(d.hBottom-d.hTop)
		x := d.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		k = min(max(k, 1), float64(d.n)) // rounding at the ends
		if k-x <= d.squeeze || u >= d.hIntegral(k+0.5)-d.h(k) {
			return uint64(k) - 1
		}
	}
}

// h is the unnormalised probability of 1-based rank x: x^−θ.
func (d *Draw) h(x float64) float64 { return math.Exp(-d.theta * math.Log(x)) }

// hIntegral is H(x) = ∫_1^x t^−θ dt = (x^(1−θ) − 1)/(1−θ), computed as
// expm1((1−θ)·log x)/(1−θ) so that it stays accurate as θ nears 1: x^0.01
// − 1 would subtract two numbers near 1 and keep only the digits of their
// difference (θ = 1 itself is excluded).
func (d *Draw) hIntegral(x float64) float64 {
	return math.Expm1(d.oneMinus*math.Log(x)) * d.inverse
}

// hIntegralInverse is H⁻¹(y) = (1 + (1−θ)·y)^(1/(1−θ)) =
// exp(log1p((1−θ)·y)/(1−θ)), accurate near θ = 1 for the same reason.
func (d *Draw) hIntegralInverse(y float64) float64 {
	// For θ > 1, H is bounded by 1/(θ−1): (1−θ)·y ≥ −1, except by
	// rounding.
	t := max(y*d.oneMinus, -1)
	return math.Exp(math.Log1p(t) * d.inverse)
}
