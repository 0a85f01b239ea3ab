package autograd

import "math"

// exp32 returns e^x in float32 with a relative error below 3e-7 (a few
// ulp). It is branch-free, so it stays fast on data of random sign (where a
// branch would be mispredicted half the time): x is clamped to
// [-87.33, 88.37], reduced as x = n·ln2 + r with |r| ≤ ln2/2, e^r comes from
// a degree-6 polynomial and 2^n from the exponent bits.
//
// Special cases are: exp32(x) = 1.18e-38 for x ≤ -87.33 (no subnormals),
// 2.5e38 for x ≥ 88.37 (no Inf), NaN for NaN.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
		magic = 12582912 // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
	)
	if x < -87.33 {
		x = -87.33
	}
	if x > 88.37 {
		x = 88.37
	}
	t := x*log2e + magic
	n := int32(math.Float32bits(t)) - 0x4B400000
	fn := t - magic
	r := x - fn*ln2hi - fn*ln2lo
	p := float32(1.0/720)*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// sigmoid32 returns 1/(1+e^-x); the clamped exponential keeps it finite and
// branch-free (σ = 0 below x = -88.37, 1 above 87.33 to float32 precision).
func sigmoid32(x float32) float32 { return 1 / (1 + exp32(-x)) }

// sigmoidSlice writes σ(x[i]) into s[i] (len(s) ≥ len(x)). Only the pure-Go
// build (tag noblas) uses it; the cgo build has a vectorised C kernel.
func sigmoidSlice(s, x []float32) {
	s = s[:len(x)]
	for i, v := range x {
		s[i] = sigmoid32(v)
	}
}
