package metrics

import "math"

// RelL2 returns the relative L2 difference ‖got − want‖ / ‖want‖ of two
// float32 vectors of equal length (0 when both are zero, +Inf when only want
// is). It panics if the lengths differ.
func RelL2(got, want []float32) float64 {
	if len(got) != len(want) {
		panic("metrics: RelL2 of vectors of different lengths")
	}
	var num, den float64
	for i, w := range want {
		d := float64(got[i]) - float64(w)
		num += d * d
		den += float64(w) * float64(w)
	}
	switch {
	case num == 0:
		return 0
	case den == 0:
		return math.Inf(1)
	}
	return math.Sqrt(num / den)
}
