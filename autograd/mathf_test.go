package autograd

import (
	"math"
	"testing"
)

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x < 88.3; x += 0.001953125 {
		want := math.Exp(float64(x))
		got := float64(exp32(x))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Fatalf("exp32 max relative error %.3g > 3e-7", worst)
	}
	if exp32(-100) > 1.2e-38 || exp32(100) < 2e38 || math.IsInf(float64(exp32(100)), 0) || !math.IsNaN(float64(exp32(float32(math.NaN())))) {
		t.Fatalf("exp32 special cases wrong: %g %g %g", exp32(-100), exp32(100), exp32(float32(math.NaN())))
	}
	if s := sigmoid32(-200); s != 0 && s > 1e-37 {
		t.Fatalf("sigmoid32(-200) = %g", s)
	}
	if s := sigmoid32(200); s != 1 {
		t.Fatalf("sigmoid32(200) = %g", s)
	}
}
