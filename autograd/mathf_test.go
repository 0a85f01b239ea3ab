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

// TestSiLUSigmoidKernels checks the compiled SiLU and sigmoid kernels (the
// AVX-512 / AVX2 intrinsics with cgo, the Go loops without) against float64
// definitions on every code path the CPU runs, at every length 0…40
// (vector bodies and masked tails) and on a long slice with extreme and
// special values, and checks that σ is bit-identical to sigmoid32 (the
// kernels are exp32 operation for operation).
func TestSiLUSigmoidKernels(t *testing.T) {
	for _, path := range kernelPaths() {
		testSiLUSigmoidPath(t, path)
	}
}

func testSiLUSigmoidPath(t *testing.T, path int) {
	special := []float32{0, -0, 1e-30, -1e-30, 20, -20, 87, -87, 88.3, -88.3, 100, -100, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	var lens []int
	for n := 0; n <= 40; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 1000+len(special))
	for _, n := range lens {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i%13)
		}
		if n > 1000 {
			copy(x[500:], special)
		}
		y, s, y2, sg := make([]float32, n+1), make([]float32, n+1), make([]float32, n+1), make([]float32, n+1)
		y[n], s[n], y2[n], sg[n] = 7, 7, 7, 7 // must stay untouched
		siluKernelPath(y[:n], s[:n], x, path)
		siluKernelPath(y2[:n], nil, x, path)
		sigmoidKernelPath(sg[:n], x, path)
		if y[n] != 7 || s[n] != 7 || y2[n] != 7 || sg[n] != 7 {
			t.Fatalf("path %d n=%d: kernel wrote past the end", path, n)
		}
		for i, v := range x {
			if math.IsNaN(float64(v)) {
				if !math.IsNaN(float64(y[i])) || !math.IsNaN(float64(y2[i])) || !math.IsNaN(float64(sg[i])) {
					t.Fatalf("path %d n=%d: NaN input gave silu %g, %g, σ %g", path, n, y[i], y2[i], sg[i])
				}
				continue
			}
			if sg[i] != sigmoid32(v) || s[i] != sigmoid32(v) {
				t.Fatalf("path %d n=%d x=%g: σ %g / %g, sigmoid32 %g", path, n, v, sg[i], s[i], sigmoid32(v))
			}
			want := 1 / (1 + math.Exp(-float64(v)))
			if math.Abs(float64(sg[i])-want) > 1e-6*want+1e-37 {
				t.Fatalf("path %d n=%d x=%g: σ %g, want %g", path, n, v, sg[i], want)
			}
			if math.IsInf(float64(v), 0) {
				continue // x·σ(x) is ±Inf or NaN (0·Inf) depending on the order of operations
			}
			wantY := float64(v) * want
			// σ is clamped below at 1/(1+e^88.37) ≈ 4e-39, so far left x·σ is x·4e-39, not 0.
			tol := 1e-6*math.Abs(wantY) + 5e-39*math.Max(1, math.Abs(float64(v)))
			if math.Abs(float64(y[i])-wantY) > tol || math.Abs(float64(y2[i])-wantY) > tol {
				t.Fatalf("path %d n=%d x=%g: silu %g / %g, want %g", path, n, v, y[i], y2[i], wantY)
			}
		}
	}
}
