package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// ssimDirect is an independent, obviously correct transcription of
// pytorch_ssim: an explicit 11×11 window, a direct double sum with zeros
// outside the image, no separability.
func ssimDirect(a, b []float64, nz, nx int) float64 {
	var g [11]float64
	s := 0.0
	for k := range g {
		g[k] = math.Exp(-float64((k-5)*(k-5)) / (2 * 1.5 * 1.5))
		s += g[k]
	}
	conv := func(f func(i int) float64, iz, ix int) float64 {
		t := 0.0
		for u := 0; u < 11; u++ {
			for v := 0; v < 11; v++ {
				z, x := iz+u-5, ix+v-5
				if z >= 0 && z < nz && x >= 0 && x < nx {
					t += g[u] / s * g[v] / s * f(z*nx+x)
				}
			}
		}
		return t
	}
	tot := 0.0
	for iz := 0; iz < nz; iz++ {
		for ix := 0; ix < nx; ix++ {
			m1 := conv(func(i int) float64 { return a[i] }, iz, ix)
			m2 := conv(func(i int) float64 { return b[i] }, iz, ix)
			s1 := conv(func(i int) float64 { return a[i] * a[i] }, iz, ix) - m1*m1
			s2 := conv(func(i int) float64 { return b[i] * b[i] }, iz, ix) - m2*m2
			s12 := conv(func(i int) float64 { return a[i] * b[i] }, iz, ix) - m1*m2
			tot += (2*m1*m2 + 1e-4) * (2*s12 + 9e-4) / ((m1*m1 + m2*m2 + 1e-4) * (s1 + s2 + 9e-4))
		}
	}
	return tot / float64(nz*nx)
}

func randImage(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()
	}
	return x
}

func TestSSIMReferencePair(t *testing.T) {
	// Reference value printed by testdata/ssim_ref.py (plain-Python
	// transcription of pytorch_ssim._ssim, float64).
	const want = 0.884286205301466
	const nz, nx = 13, 17
	a := make([]float64, nz*nx)
	b := make([]float64, nz*nx)
	for i := 0; i < nz; i++ {
		for j := 0; j < nx; j++ {
			fi, fj := float64(i), float64(j)
			a[i*nx+j] = 0.5 + 0.4*math.Sin(0.3*fi+0.7*fj)
			b[i*nx+j] = 0.45 + 0.35*math.Sin(0.3*fi+0.7*fj+0.4) + 0.1*math.Cos(1.1*fi-0.5*fj)
		}
	}
	if got := SSIM(a, b, nz, nx); math.Abs(got-want) > 1e-12 {
		t.Errorf("SSIM = %.15g, want %.15g (pytorch_ssim transcription)", got, want)
	}
	// The transposed pair is a different image pair: guards against z/x mix-ups.
	if got := SSIM(transpose(a, nz, nx), transpose(b, nz, nx), nx, nz); math.Abs(got-want) > 1e-12 {
		t.Errorf("SSIM of transposed pair = %.15g, want %.15g (SSIM is transpose-invariant)", got, want)
	}
}

func transpose(a []float64, nz, nx int) []float64 {
	out := make([]float64, len(a))
	for i := 0; i < nz; i++ {
		for j := 0; j < nx; j++ {
			out[j*nz+i] = a[i*nx+j]
		}
	}
	return out
}

func TestSSIMSinglePixelByHand(t *testing.T) {
	// For a 1×1 image only the window's centre weight w = g5² sees data:
	// μ = w·c, σ² = w·c² − w²c², σab = w·c·d − w²·c·d.
	g := SSIMKernel()
	w := g[5] * g[5]
	// g5 by hand: 1/Σ_k exp(−(k−5)²/4.5).
	den := 1.0
	for k := 1; k <= 5; k++ {
		den += 2 * math.Exp(-float64(k*k)/4.5)
	}
	if math.Abs(g[5]-1/den) > 1e-15 {
		t.Fatalf("kernel centre %.17g, want %.17g", g[5], 1/den)
	}
	c, d := 0.8, 0.3
	want := (2*w*w*c*d + SSIMC1) * (2*(w*c*d-w*w*c*d) + SSIMC2) /
		((w*w*c*c + w*w*d*d + SSIMC1) * (w*(1-w)*(c*c+d*d) + SSIMC2))
	if got := SSIM([]float64{c}, []float64{d}, 1, 1); math.Abs(got-want) > 1e-14 {
		t.Errorf("SSIM(1×1) = %.15g, want %.15g", got, want)
	}
}

func TestSSIMMatchesDirectSum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 9}, {4, 3}, {12, 12}, {20, 31}, {70, 70}} {
		nz, nx := sz[0], sz[1]
		a, b := randImage(r, nz*nx), randImage(r, nz*nx)
		got, want := SSIM(a, b, nz, nx), ssimDirect(a, b, nz, nx)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%d×%d: SSIM = %.15g, direct sum %.15g", nz, nx, got, want)
		}
	}
}

func TestSSIMIdentityAndOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randImage(r, 70*70)
	if got := SSIM(a, a, 70, 70); math.Abs(got-1) > 1e-12 {
		t.Errorf("SSIM(x,x) = %.15g, want 1", got)
	}
	// A small perturbation must score higher than a large one.
	small, large := make([]float64, len(a)), make([]float64, len(a))
	for i := range a {
		n := r.NormFloat64()
		small[i] = a[i] + 0.02*n
		large[i] = a[i] + 0.2*n
	}
	ss, sl := SSIM(a, small, 70, 70), SSIM(a, large, 70, 70)
	if !(ss < 1 && sl < ss) {
		t.Errorf("SSIM small noise %.4f, large noise %.4f: want 1 > small > large", ss, sl)
	}
}

func TestVelocityScores(t *testing.T) {
	const nz, nx = 5, 6
	truth := make([]float32, nz*nx)
	pred := make([]float32, nz*nx)
	for i := range truth {
		truth[i] = 3000
		pred[i] = 3150 // +150 m/s = +0.1 normalised
	}
	pred[0] = 2700 // −300 m/s = −0.2 normalised
	s := Velocity(truth, pred, nz, nx)
	wantMAE := (29*0.1 + 0.2) / 30
	wantMSE := (29*0.01 + 0.04) / 30
	if math.Abs(s.MAE-wantMAE) > 1e-12 || math.Abs(s.MSE-wantMSE) > 1e-12 || math.Abs(s.RMSE-math.Sqrt(wantMSE)) > 1e-12 {
		t.Errorf("Velocity = %+v, want MAE %g MSE %g", s, wantMAE, wantMSE)
	}
	ms := VelocityMS(truth, pred, nz, nx)
	if math.Abs(ms.MAE-1500*wantMAE) > 1e-9 || math.Abs(ms.RMSE-1500*math.Sqrt(wantMSE)) > 1e-9 {
		t.Errorf("VelocityMS = %+v, want MAE %g m/s", ms, 1500*wantMAE)
	}
	if s.SSIM >= 1 || s.SSIM <= 0 || ms.SSIM != s.SSIM {
		t.Errorf("SSIM %g (m/s variant %g): want in (0,1) and equal", s.SSIM, ms.SSIM)
	}
	// SSIM of velocities equals SSIMNormalized of the normalised maps.
	a, b := NormalizeTo(make([]float64, len(truth)), truth), NormalizeTo(make([]float64, len(pred)), pred)
	if got := SSIMNormalized(a, b, nz, nx); math.Abs(got-s.SSIM) > 1e-15 {
		t.Errorf("SSIMNormalized %g, Velocity SSIM %g", got, s.SSIM)
	}
	if Normalize(1500) != -1 || Normalize(4500) != 1 || Denormalize(0) != 3000 {
		t.Errorf("Normalize/Denormalize wrong: %g %g %g", Normalize(1500), Normalize(4500), Denormalize(0))
	}
}

func TestSummaryRMSEIsRootOfMeanMSE(t *testing.T) {
	var s Summary
	s.Add(Scores{MAE: 0.1, MSE: 0.01, RMSE: 0.1, SSIM: 0.9})
	s.Add(Scores{MAE: 0.3, MSE: 0.09, RMSE: 0.3, SSIM: 0.7})
	m := s.Mean()
	if s.N() != 2 || math.Abs(m.MAE-0.2) > 1e-15 || math.Abs(m.MSE-0.05) > 1e-15 ||
		math.Abs(m.RMSE-math.Sqrt(0.05)) > 1e-15 || math.Abs(m.SSIM-0.8) > 1e-15 {
		t.Errorf("Mean = %+v", m)
	}
	if math.Abs(s.MeanRMSE()-0.2) > 1e-15 {
		t.Errorf("MeanRMSE = %g, want 0.2", s.MeanRMSE())
	}
}

func gauss(mu []float64, sigma []float64) Gaussian {
	return Gaussian{Mu: mu, Sigma: mat.NewSymDense(len(mu), sigma)}
}

func TestFrechetDistance(t *testing.T) {
	tests := []struct {
		name   string
		g1, g2 Gaussian
		want   float64
	}{
		// 1-D: (μ1−μ2)² + (σ1−σ2)².
		{"1d", gauss([]float64{1}, []float64{4}), gauss([]float64{3}, []float64{9}), 4 + 1},
		// Diagonal: Σ (√a − √b)² plus the mean term.
		{"diag", gauss([]float64{0, 1}, []float64{1, 0, 0, 16}), gauss([]float64{1, 1}, []float64{4, 0, 0, 9}), 1 + 1 + 1},
		{"same", gauss([]float64{2, -1}, []float64{2, 0.5, 0.5, 1}), gauss([]float64{2, -1}, []float64{2, 0.5, 0.5, 1}), 0},
	}
	for _, tc := range tests {
		got, err := FrechetDistance(tc.g1, tc.g2)
		if err != nil || math.Abs(got-tc.want) > 1e-10 {
			t.Errorf("%s: FD = %g, %v; want %g", tc.name, got, err, tc.want)
		}
	}
}

func TestFrechetDistanceNonCommuting(t *testing.T) {
	// Tr((Σ1^½Σ2Σ1^½)^½) = Σ √λ(Σ1Σ2), since Σ1Σ2 is similar to Σ1^½Σ2Σ1^½;
	// check against gonum's general (non-symmetric) eigenvalues of Σ1Σ2.
	r := rand.New(rand.NewPCG(5, 6))
	x1, x2 := mat.NewDense(50, 4, nil), mat.NewDense(60, 4, nil)
	for i := 0; i < 50; i++ {
		for j := 0; j < 4; j++ {
			x1.Set(i, j, r.NormFloat64()*float64(j+1))
		}
	}
	for i := 0; i < 60; i++ {
		for j := 0; j < 4; j++ {
			x2.Set(i, j, r.NormFloat64()+0.5*x2.At(i, max(j-1, 0))+1)
		}
	}
	g1, err := FitGaussian(x1)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := FitGaussian(x2)
	if err != nil {
		t.Fatal(err)
	}
	var p mat.Dense
	p.Mul(g1.Sigma, g2.Sigma)
	var e mat.Eigen
	if !e.Factorize(&p, mat.EigenNone) {
		t.Fatal("eigen failed")
	}
	tr := 0.0
	for _, l := range e.Values(nil) {
		tr += math.Sqrt(real(l))
	}
	want := mat.Trace(g1.Sigma) + mat.Trace(g2.Sigma) - 2*tr
	for j := range g1.Mu {
		d := g1.Mu[j] - g2.Mu[j]
		want += d * d
	}
	got, err := FrechetDistance(g1, g2)
	if err != nil || math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("FD = %.12g, %v; want %.12g", got, err, want)
	}
	if _, err := FitGaussian(mat.NewDense(1, 3, nil)); err == nil {
		t.Error("FitGaussian accepted a single sample")
	}
	bad := gauss([]float64{0, 0}, []float64{1, 2, 2, 1}) // eigenvalues 3, −1
	if _, err := FrechetDistance(bad, g1Small()); err == nil {
		t.Error("FrechetDistance accepted an indefinite covariance")
	}
}

func g1Small() Gaussian { return gauss([]float64{0, 0}, []float64{1, 0, 0, 1}) }
