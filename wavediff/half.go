package wavediff

import "math"

// toHalf converts a float32 to IEEE 754 binary16 bits with round-to-nearest-
// even; values beyond ±65504 become ±Inf, NaN stays NaN.
func toHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b >> 23) & 0xff)
	man := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	switch {
	case e >= 0x1f:
		return sign | 0x7c00
	case e <= 0:
		if e < -10 {
			return sign
		}
		// Subnormal half: shift the mantissa with the implicit 1.
		man |= 0x800000
		shift := uint(14 - e)
		h := man >> shift
		rem := man & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is still correct (up to Inf)
	}
	return sign | uint16(h)
}

// fromHalf converts IEEE 754 binary16 bits to float32 (exactly).
func fromHalf(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = man · 2^-24.
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// halfTable maps every binary16 pattern to its float32 value; decoding a batch
// is then one lookup per element.
var halfTable = func() []float32 {
	t := make([]float32, 1<<16)
	for i := range t {
		t[i] = fromHalf(uint16(i))
	}
	return t
}()

func encodeHalf(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = toHalf(v)
	}
}

func decodeHalf(dst []float32, src []uint16) {
	for i, h := range src {
		dst[i] = halfTable[h]
	}
}
