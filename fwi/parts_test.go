package fwi

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestOneDSpecialByHand(t *testing.T) {
	// Two columns with velocities 2000 and 4000 in every row: the lateral mean
	// slowness is (1/2000 + 1/4000)/2 = 3/8000 in every row, so smoothing a
	// constant field leaves it unchanged and v0 = 8000/3 m/s everywhere
	// (the harmonic mean, not the arithmetic 3000).
	const nz, nx = 6, 2
	v := make([]float32, nz*nx)
	for iz := 0; iz < nz; iz++ {
		v[iz*nx], v[iz*nx+1] = 2000, 4000
	}
	v0, err := OneDSpecial(v, nz, nx)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v0 {
		if math.Abs(float64(x)-8000.0/3) > 1e-3 {
			t.Fatalf("v0[%d] = %g, want %g", i, x, 8000.0/3)
		}
	}
	// A step in depth is smoothed across σ = 1 cell: monotone, bounded, and
	// laterally constant.
	const mz, mx = 10, 3
	s := make([]float32, mz*mx)
	for i := range s {
		s[i] = 2000
		if i/mx >= 5 {
			s[i] = 4000
		}
	}
	v0, _ = OneDSpecial(s, mz, mx)
	for iz := 1; iz < mz; iz++ {
		if v0[iz*mx] < v0[(iz-1)*mx] || v0[iz*mx+2] != v0[iz*mx] {
			t.Fatalf("row %d: %v not monotone/laterally constant", iz, v0[iz*mx:iz*mx+mx])
		}
	}
	if v0[0] != 2000 || v0[(mz-1)*mx] != 4000 || !(v0[4*mx] > 2000 && v0[5*mx] < 4000) {
		t.Errorf("smoothed step %v", v0)
	}
	if _, err := OneDSpecial([]float32{1500, 0}, 1, 2); err == nil {
		t.Error("zero velocity accepted")
	}
}

func TestGaussianKernel(t *testing.T) {
	g := GaussianKernel(1)
	if len(g) != 5 {
		t.Fatalf("len %d, want 5 (4⌈σ⌉+1)", len(g))
	}
	s := 0.0
	for _, w := range g {
		s += w
	}
	want := 1 / (1 + 2*math.Exp(-0.5) + 2*math.Exp(-2))
	if math.Abs(s-1) > 1e-15 || math.Abs(g[2]-want) > 1e-15 {
		t.Errorf("kernel %v (sum %g), centre want %g", g, s, want)
	}
}

func TestBandLimitedNoiseSNR(t *testing.T) {
	const ns, nt, nr = 3, 256, 7
	r := rand.New(rand.NewPCG(1, 1))
	d := make([]float32, ns*nt*nr)
	for i := range d {
		d[i] = float32(math.Sin(float64(i) * 0.01))
	}
	w := make([]float64, 40)
	for k := range w { // a 40-sample smooth pulse: low-pass spectrum
		a := math.Pi * (float64(k) - 20) / 20
		w[k] = 0.5 + 0.5*math.Cos(a)
	}
	orig := append([]float32(nil), d...)
	snr, err := AddNoise(d, ns, nt, nr, w, 12, r)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(snr-12) > 1e-3 {
		t.Errorf("realised SNR %.4f dB, want 12", snr)
	}
	// Band limitation: the noise must be much smoother than white noise —
	// its lag-1 autocorrelation along time is close to 1 (white: ≈ 0).
	num, den := 0.0, 0.0
	for s := 0; s < ns; s++ {
		for tt := 1; tt < nt; tt++ {
			for rc := 0; rc < nr; rc++ {
				a := float64(d[(s*nt+tt)*nr+rc] - orig[(s*nt+tt)*nr+rc])
				b := float64(d[(s*nt+tt-1)*nr+rc] - orig[(s*nt+tt-1)*nr+rc])
				num += a * b
				den += a * a
			}
		}
	}
	if c := num / den; c < 0.9 {
		t.Errorf("lag-1 autocorrelation of the noise %.3f, want > 0.9 (band-limited)", c)
	}
	// Same seed, same noise.
	n1, _ := BandLimitedNoise(orig, ns, nt, nr, w, 12, rand.New(rand.NewPCG(7, 7)))
	n2, _ := BandLimitedNoise(orig, ns, nt, nr, w, 12, rand.New(rand.NewPCG(7, 7)))
	for i := range n1 {
		if n1[i] != n2[i] {
			t.Fatal("noise not reproducible for a fixed seed")
		}
	}
	if _, err := BandLimitedNoise(make([]float32, len(orig)), ns, nt, nr, w, 12, r); err == nil {
		t.Error("zero data accepted")
	}
}

// checkRegGrad compares a regulariser's gradient with central differences.
func checkRegGrad(t *testing.T, name string, reg Regularizer) {
	const nz, nx = 5, 4
	r := rand.New(rand.NewPCG(2, 3))
	v := make([]float32, nz*nx)
	for i := range v {
		v[i] = float32(2000 + 500*r.Float64())
	}
	g := make([]float32, nz*nx)
	reg.Add(v, nz, nx, g)
	scratch := make([]float32, nz*nx)
	for i := range v {
		const h = 0.5
		v0 := v[i]
		v[i] = v0 + h
		fp := reg.Add(v, nz, nx, scratch)
		v[i] = v0 - h
		fm := reg.Add(v, nz, nx, scratch)
		v[i] = v0
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-float64(g[i])) > 1e-3*math.Max(1, math.Abs(fd)) {
			t.Errorf("%s: ∂R/∂v[%d] = %g, finite difference %g", name, i, g[i], fd)
		}
	}
}

func TestRegularizerGradients(t *testing.T) {
	checkRegGrad(t, "tikhonov", Tikhonov{Lambda: 1e-3})
	checkRegGrad(t, "tv", TV{Lambda: 0.1, Eps: 10})
	// Hand value: Tikhonov on a 1×2 model with a 10 m/s jump is ½·λ·100.
	if r := (Tikhonov{Lambda: 2}).Add([]float32{1500, 1510}, 1, 2, make([]float32, 2)); r != 100 {
		t.Errorf("Tikhonov = %g, want 100", r)
	}
}

func TestPrecondAndBounds(t *testing.T) {
	g := []float32{1, 1, 1, 1, 1, 1, 2, -4, 1} // 3×3
	Precond{DepthPower: 1, WaterRows: 1, Normalize: true}.Apply(g, 3, 10)
	// Rows scaled by 0 (water), 20 m, 30 m; then divided by max |g| = 120.
	want := []float32{0, 0, 0, 20.0 / 120, 20.0 / 120, 20.0 / 120, 60.0 / 120, -1, 30.0 / 120}
	for i := range g {
		if math.Abs(float64(g[i]-want[i])) > 1e-6 {
			t.Fatalf("preconditioned %v, want %v", g, want)
		}
	}
	v := []float32{1000, 2000, 5000, float32(math.NaN())}
	if n := (Bounds{}).Project(v); n != 3 || v[0] != 1500 || v[1] != 2000 || v[2] != 4500 || v[3] != 1500 {
		t.Errorf("Project: %d changed, %v", n, v)
	}
}

func TestSmoothZeroIsSymmetric(t *testing.T) {
	// ⟨G a, b⟩ = ⟨a, G b⟩: required for G to be its own adjoint in the
	// L-BFGS change of variables.
	const nz, nx = 9, 13
	r := rand.New(rand.NewPCG(4, 5))
	a, b := make([]float64, nz*nx), make([]float64, nz*nx)
	for i := range a {
		a[i], b[i] = r.NormFloat64(), r.NormFloat64()
	}
	ga, gb := make([]float64, nz*nx), make([]float64, nz*nx)
	SmoothZero(ga, a, nz, nx, 2)
	SmoothZero(gb, b, nz, nx, 2)
	l, rr := 0.0, 0.0
	for i := range a {
		l += ga[i] * b[i]
		rr += a[i] * gb[i]
	}
	if math.Abs(l-rr) > 1e-12*math.Abs(l) {
		t.Errorf("⟨Ga,b⟩ = %.15g, ⟨a,Gb⟩ = %.15g", l, rr)
	}
	// Smooth (edge replication) keeps a constant field constant.
	c := make([]float64, nz*nx)
	for i := range c {
		c[i] = 3
	}
	Smooth(c, c, nz, nx, 2)
	for _, x := range c {
		if math.Abs(x-3) > 1e-12 {
			t.Fatalf("Smooth changed a constant field: %g", x)
		}
	}
}
