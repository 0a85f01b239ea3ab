package wave

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func bornSetup(t *testing.T, c smallCase) (*Simulator, []float64, *rand.Rand) {
	s := c.sim(t)
	rng := rand.New(rand.NewPCG(7, 8))
	v := make([]float64, c.nz*c.nx)
	for i := range v {
		v[i] = 2200 + 300*rng.Float64()
	}
	return s, v, rng
}

func randn(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// float32s returns x converted to float32.
func float32s(x []float64) []float32 {
	y := make([]float32, len(x))
	to32(y, x)
	return y
}

// bornImages returns the float64 reference extended Born adjoint of dd
// (bornAdjointT into fresh images, one per offset) for the given shots,
// failing t on error.
func bornImages[T float](t *testing.T, s *Simulator, v []float64, dd []T, shots, offsets []int) [][]float64 {
	t.Helper()
	img := make([][]float64, len(offsets))
	for k := range img {
		img[k] = make([]float64, s.grid.Cells())
	}
	if err := bornAdjointT(context.Background(), s, v, dd, shots, offsets, img); err != nil {
		t.Fatal(err)
	}
	return img
}

// sameMisfitGradients returns the misfit gradients of exact and other at
// v for the data d, failing t unless both give the same misfit (the option
// that tells them apart must not change the forward); what names other in
// the message.
func sameMisfitGradients(t *testing.T, what string, exact, other *Simulator, v, d []float32) (ge, gOther []float32) {
	t.Helper()
	ctx := context.Background()
	ge, gOther = make([]float32, len(v)), make([]float32, len(v))
	je, err := exact.Gradient(ctx, v, d, nil, ge)
	if err != nil {
		t.Fatal(err)
	}
	jo, err := other.Gradient(ctx, v, d, nil, gOther)
	if err != nil {
		t.Fatal(err)
	}
	if je != jo {
		t.Fatalf("%s: misfit %g, %g exact (the forward must not change)", what, jo, je)
	}
	return ge, gOther
}

// checkBornDot draws a random perturbation per offset and random data and
// checks ⟨J δv, δd⟩ = ⟨δv, Jᵀ δd⟩ for the extended Born operator of s (the
// plain one for offsets {0}); it returns δv, δd and J δv.
func checkBornDot(t *testing.T, s *Simulator, v []float64, rng *rand.Rand, offsets []int) (dv [][]float64, dd, jdv []float64) {
	t.Helper()
	ctx := context.Background()
	n := s.grid.Cells()
	dv = make([][]float64, len(offsets))
	for k := range dv {
		dv[k] = randn(rng, n)
	}
	dd = randn(rng, s.DataLen(s.NumShots()))
	jdv = make([]float64, len(dd))
	if err := bornT(ctx, s, v, offsets, dv, jdv); err != nil {
		t.Fatal(err)
	}
	img := bornImages(t, s, v, dd, nil, offsets)
	lhs := dot(jdv, dd)
	var rhs float64
	for k := range img {
		rhs += dot(dv[k], img[k])
	}
	if math.Abs(lhs-rhs) > 1e-12*math.Abs(lhs) || lhs == 0 {
		t.Errorf("offsets %v: <J dv, dd> = %.16g, <dv, J' dd> = %.16g, rel. diff %.2g", offsets, lhs, rhs, math.Abs(lhs-rhs)/math.Abs(lhs))
	}
	return dv, dd, jdv
}

// TestBornDotProduct: ⟨J δv, δd⟩ = ⟨δv, Jᵀ δd⟩ in float64 for every small
// case, for Born and for the extended Born operator.
func TestBornDotProduct(t *testing.T) {
	t.Parallel()
	for _, c := range smallCases {
		t.Run(c.name, func(t *testing.T) {
			s, v, rng := bornSetup(t, c)
			for _, offsets := range [][]int{{0}, {-2, 0, 1, 3}, {-1, 2}} {
				checkBornDot(t, s, v, rng, offsets)
			}
		})
	}
}

// TestBornIsLinearisation: J δv matches central differences of Forward.
func TestBornIsLinearisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := smallCases[0]
	s, v, rng := bornSetup(t, c)
	dv := smoothField(rng, c.nz, c.nx, 1)
	jdv := make([]float64, s.DataLen(s.NumShots()))
	if err := bornT(ctx, s, v, []int{0}, [][]float64{dv}, jdv); err != nil {
		t.Fatal(err)
	}
	const eps = 1e-2
	vp, vm := make([]float64, len(v)), make([]float64, len(v))
	for i := range v {
		vp[i], vm[i] = v[i]+eps*dv[i], v[i]-eps*dv[i]
	}
	fwd := func(v []float64) []float64 {
		r, err := newRun[float64](s, v)
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float64, len(jdv))
		if err := r.forward(ctx, nil2list(s), d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dp, dm := fwd(vp), fwd(vm)
	var num, den float64
	for i := range jdv {
		fd := (dp[i] - dm[i]) / (2 * eps)
		num += (fd - jdv[i]) * (fd - jdv[i])
		den += fd * fd
	}
	if rel := math.Sqrt(num / den); !(rel < 1e-7) {
		t.Errorf("‖J δv − FD‖/‖FD‖ = %.3g", rel)
	}
}

// TestZeroOffsetGatherIsRTM: the h = 0 gather of ExtendedBornAdjoint equals
// BornAdjoint (float32 public API).
func TestZeroOffsetGatherIsRTM(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := smallCases[0]
	s, v64, rng := bornSetup(t, c)
	n := c.nz * c.nx
	v := make([]float32, n)
	to32(v, v64)
	dd := make([]float32, s.DataLen(s.NumShots()))
	to32(dd, randn(rng, len(dd)))
	img := make([]float32, n)
	if err := s.BornAdjoint(ctx, v, dd, nil, img); err != nil {
		t.Fatal(err)
	}
	offsets := []int{-2, -1, 0, 1, 2}
	cig := make([]float32, len(offsets)*n)
	if err := s.ExtendedBornAdjoint(ctx, v, dd, nil, offsets, cig); err != nil {
		t.Fatal(err)
	}
	var nz0 int
	for i := range img {
		if img[i] != cig[2*n+i] {
			t.Fatalf("cell %d: RTM %g, zero-offset gather %g", i, img[i], cig[2*n+i])
		}
		if img[i] != 0 {
			nz0++
		}
	}
	if nz0 == 0 {
		t.Fatal("RTM image is identically zero")
	}
	// the other offsets must differ from h = 0
	same := true
	for i := 0; i < n; i++ {
		if cig[i] != cig[2*n+i] {
			same = false
		}
	}
	if same {
		t.Error("offset −2 gather equals the zero-offset gather")
	}
}
