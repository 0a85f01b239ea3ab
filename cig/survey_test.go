package cig

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// smallSurvey is the WISE acquisition shrunk for tests: a 20×24 grid, 4
// jittered shots, 24 receivers, 0.3 s at 2 ms, a 10-cell Devito layer and the
// offsets −40…40 m.
func smallSurvey(t *testing.T) SurveyConfig {
	t.Helper()
	c := DefaultSurveyConfig()
	c.Nz, c.Nx = 20, 24
	c.Shots, c.Receivers = 4, 24
	c.T, c.Dt = 0.3, 0.002
	c.NB = 10
	off, err := OffsetCells(-40, 40, 5, c.H)
	if err != nil {
		t.Fatal(err)
	}
	c.Offsets = off
	c.Workers = 2
	return c
}

// layered returns an nz×nx velocity model with a dipping interface and a
// smooth lateral variation (m/s).
func layered(nz, nx int) []float32 {
	v := make([]float32, nz*nx)
	for z := range nz {
		for x := range nx {
			s := 1800 + 40*float64(z) + 60*math.Sin(float64(x)/4)
			if float64(z) > float64(nz)/2+float64(x)/6 {
				s += 700
			}
			v[z*nx+x] = float32(s)
		}
	}
	return v
}

func newSmall(t *testing.T) (*Survey, []float32) {
	t.Helper()
	c := smallSurvey(t)
	s, err := NewSurvey(c)
	if err != nil {
		t.Fatal(err)
	}
	return s, layered(c.Nz, c.Nx)
}

// observeSmall is newSmall's survey with the observation of its layered
// model for noise seed seed.
func observeSmall(t *testing.T, seed uint64) (*Survey, *Obs) {
	t.Helper()
	s, v := newSmall(t)
	obs, err := s.Observe(context.Background(), v, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s, obs
}

// rawGather returns the gather of obs with the survey's own background and
// maxY 1.
func rawGather(t *testing.T, s *Survey, obs *Obs) []float32 {
	t.Helper()
	g := make([]float32, s.GatherLen())
	if err := s.Gather(context.Background(), obs, nil, 1, g); err != nil {
		t.Fatal(err)
	}
	return g
}

func dot32(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestGatherAdjoint: Gather is linear in the data; its adjoint is the extended
// Born modelling of the depth-weighted, slowness-scaled perturbation, so
// ⟨Gather(d), y⟩ = ⟨d, J S W y⟩ (WISE geometry, small grid, float32).
func TestGatherAdjoint(t *testing.T) {
	ctx := context.Background()
	s, obs := observeSmall(t, 3)
	c := s.Config()
	rng := rand.New(rand.NewPCG(1, 2))
	d := make([]float32, s.DataLen())
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	obs.Data = d
	g := rawGather(t, s, obs)
	y := make([]float32, s.GatherLen())
	for i := range y {
		y[i] = float32(rng.NormFloat64())
	}
	// S W y: the scaling Gather applies, on the model perturbation side
	n := c.Nz * c.Nx
	swy := make([]float32, len(y))
	for k := range c.Offsets {
		for i := range n {
			vk := float64(obs.Background[i]) / 1000
			swy[k*n+i] = float32(float64(y[k*n+i]) * -500 * vk * vk * vk * DepthWeight(i/c.Nx, c.H))
		}
	}
	sim, err := s.Simulator(obs)
	if err != nil {
		t.Fatal(err)
	}
	jy := make([]float32, s.DataLen())
	if err := sim.ExtendedBorn(ctx, obs.Background, swy, c.Offsets, jy); err != nil {
		t.Fatal(err)
	}
	lhs, rhs := dot32(g, y), dot32(d, jy)
	if rel := math.Abs(lhs-rhs) / math.Abs(lhs); rel > 1e-4 || lhs == 0 {
		t.Fatalf("<Gather d, y> = %.8g, <d, J S W y> = %.8g: relative difference %.2g", lhs, rhs, rel)
	}
}

// TestZeroOffsetIsRTM: the h = 0 slice of the raw gather is the RTM image
// (BornAdjoint) times the slowness scaling and depth weight.
func TestZeroOffsetIsRTM(t *testing.T) {
	ctx := context.Background()
	s, obs := observeSmall(t, 5)
	c := s.Config()
	g := rawGather(t, s, obs)
	sim, _ := s.Simulator(obs)
	n := c.Nz * c.Nx
	rtm := make([]float32, n)
	if err := sim.BornAdjoint(ctx, obs.Background, obs.Data, nil, rtm); err != nil {
		t.Fatal(err)
	}
	k0 := -1
	for k, h := range c.Offsets {
		if h == 0 {
			k0 = k
		}
	}
	var num, den float64
	for i := range n {
		vk := float64(obs.Background[i]) / 1000
		want := float64(rtm[i]) * -500 * vk * vk * vk * DepthWeight(i/c.Nx, c.H)
		d := float64(g[k0*n+i]) - want
		num += d * d
		den += want * want
	}
	if e := math.Sqrt(num / den); e > 1e-5 || den == 0 {
		t.Fatalf("zero-offset gather differs from the scaled RTM image by %.3g relative L2", e)
	}
	// normalisation: maxY divides
	g2 := make([]float32, len(g))
	if err := s.Gather(ctx, obs, nil, 4, g2); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		if math.Abs(float64(g2[i])-float64(g[i])/4) > 1e-6*math.Abs(float64(g[i])) {
			t.Fatalf("Gather with maxY 4 gives %g at %d, want %g/4", g2[i], i, g[i])
		}
	}
}

// TestContJitter: every source lies in its own interval, the grid column is
// the rounded position, and the positions (and data) depend only on the seed.
func TestContJitter(t *testing.T) {
	ctx := context.Background()
	s, v := newSmall(t)
	c := s.Config()
	l := float64(c.Nx-1) * c.H
	w := l / float64(c.Shots)
	a, err := s.Observe(ctx, v, 11)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range a.SourceX {
		if x < float64(i)*w || x > float64(i+1)*w {
			t.Errorf("source %d at x = %g m, outside its interval [%g, %g]", i, x, float64(i)*w, float64(i+1)*w)
		}
		if p := a.Sources[i]; p.X != int(math.Round(x/c.H)) || p.Z != 1 {
			t.Errorf("source %d at x = %g m placed at (z %d, x %d), want (1, %d)", i, x, p.Z, p.X, int(math.Round(x/c.H)))
		}
	}
	b, err := s.Observe(ctx, v, 11)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("same seed, different data at %d", i)
		}
	}
	other, _ := s.Observe(ctx, v, 12)
	same := true
	for i := range a.SourceX {
		same = same && a.SourceX[i] == other.SourceX[i]
	}
	if same {
		t.Fatal("seeds 11 and 12 gave the same source positions")
	}
	// many draws: every interval covered, positions uniform-ish
	rng := rand.New(rand.NewPCG(1, 1))
	lo, hi := math.Inf(1), math.Inf(-1)
	for range 2000 {
		x := ContJitter(630, 16, rng)
		u := x[5]/(630.0/16) - 5
		lo, hi = math.Min(lo, u), math.Max(hi, u)
	}
	if lo < 0 || hi > 1 || lo > 0.01 || hi < 0.99 {
		t.Fatalf("ContJitter interval fractions span [%g, %g], want about [0, 1]", lo, hi)
	}
}

// TestNoiseSNR: the realised SNR of the band-limited noise is the requested
// one to 1e-6 dB, and the noise is deterministic per seed.
func TestNoiseSNR(t *testing.T) {
	ctx := context.Background()
	c := smallSurvey(t)
	v := layered(c.Nz, c.Nx)
	for _, snr := range []float64{12, 0.5, 30} {
		c.SNRdB = snr
		s, err := NewSurvey(c)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Observe(ctx, v, 9)
		if err != nil {
			t.Fatal(err)
		}
		got := 20 * math.Log10(o.CleanNorm/norm(o.Noise))
		if math.Abs(got-snr) > 1e-6 || math.Abs(o.SNRdB-snr) > 1e-6 {
			t.Errorf("SNR %g dB requested, realised %.9f (Obs says %.9f)", snr, got, o.SNRdB)
		}
	}
	c.SNRdB = 0
	s, _ := NewSurvey(c)
	o, err := s.Observe(ctx, v, 9)
	if err != nil {
		t.Fatal(err)
	}
	if o.Noise != nil || o.SNRdB != 0 || math.Abs(norm(o.Data)-o.CleanNorm) > 1e-9*o.CleanNorm {
		t.Fatalf("noise-free survey added noise (SNR %g, ‖d‖ %g vs clean %g)", o.SNRdB, norm(o.Data), o.CleanNorm)
	}
}

// TestDepthWeightAndQuantile: hand values.
func TestDepthWeightAndQuantile(t *testing.T) {
	if DepthWeight(0, 10) != 10 || DepthWeight(63, 10) != 640 {
		t.Fatalf("depth weights %g, %g, want 10 and 640", DepthWeight(0, 10), DepthWeight(63, 10))
	}
	// Julia: quantile(1:10, 0.9) = 9.1, quantile(1:10, 0.9999) = 9.9991
	v := []float32{10, 3, 1, 2, 9, 8, 7, 6, 5, 4}
	if q := Quantile(append([]float32(nil), v...), 0.9); math.Abs(float64(q)-9.1) > 1e-6 {
		t.Errorf("quantile 0.9 of 1..10 = %g, want 9.1", q)
	}
	if q := Quantile(append([]float32(nil), v...), 0.9999); math.Abs(float64(q)-9.9991) > 1e-5 {
		t.Errorf("quantile 0.9999 of 1..10 = %g, want 9.9991", q)
	}
	if q := Quantile([]float32{4}, 0.9999); q != 4 {
		t.Errorf("quantile of one value = %g, want 4", q)
	}
	if q := Quantile(nil, 0.5); q != 0 {
		t.Errorf("quantile of nothing = %g, want 0", q)
	}
}

// TestBackground: the 1d-special background of a hand case. Rows have one
// slowness each after the lateral mean; the σ = 1 Gaussian (taps
// exp(−k²/2), k = −2…2, normalised, replicated edges) smooths them in depth.
func TestBackground(t *testing.T) {
	nz, nx := 5, 2
	rows := [][2]float32{{1000, 4000}, {2000, 2000}, {2500, 2500}, {3000, 1500}, {4000, 4000}}
	vel := make([]float32, nz*nx)
	for z, r := range rows {
		vel[z*nx], vel[z*nx+1] = r[0], r[1]
	}
	s := make([]float64, nz)
	for z, r := range rows {
		s[z] = (1/float64(r[0]) + 1/float64(r[1])) / 2
	}
	var w [5]float64
	sum := 0.0
	for k := -2; k <= 2; k++ {
		w[k+2] = math.Exp(-float64(k*k) / 2)
		sum += w[k+2]
	}
	got := Background(vel, nz, nx)
	for z := range nz {
		acc := 0.0
		for k := -2; k <= 2; k++ {
			acc += w[k+2] / sum * s[min(max(z+k, 0), nz-1)]
		}
		want := 1 / acc
		for x := range nx {
			if math.Abs(float64(got[z*nx+x])-want) > 1e-3 {
				t.Errorf("background at (z %d, x %d) = %g, want %g", z, x, got[z*nx+x], want)
			}
		}
	}
	vel[3] = float32(math.NaN())
	if Background(vel, nz, nx) != nil {
		t.Error("Background of a NaN model is not nil")
	}
}

// TestGatherWorkers: the gather does not depend on the number of workers.
func TestGatherWorkers(t *testing.T) {
	ctx := context.Background()
	c := smallSurvey(t)
	v := layered(c.Nz, c.Nx)
	var ref []float32
	for _, w := range []int{1, 3} {
		c.Workers = w
		s, _ := NewSurvey(c)
		o, err := s.Observe(ctx, v, 2)
		if err != nil {
			t.Fatal(err)
		}
		g := rawGather(t, s, o)
		if ref == nil {
			ref = g
			continue
		}
		for i := range g {
			if g[i] != ref[i] {
				t.Fatalf("workers %d: gather value %d is %g, with 1 worker %g", w, i, g[i], ref[i])
			}
		}
	}
}

// TestSurveyBadInput: wrong shapes and bad values give one clear error.
func TestSurveyBadInput(t *testing.T) {
	ctx := context.Background()
	s, v := newSmall(t)
	c := s.Config()
	if _, err := s.Observe(ctx, v[:10], 1); err == nil || !strings.Contains(err.Error(), "want Nz·Nx") {
		t.Errorf("short velocity: %v", err)
	}
	bad := append([]float32(nil), v...)
	bad[3*c.Nx+4] = float32(math.NaN())
	if _, err := s.Observe(ctx, bad, 1); err == nil || !strings.Contains(err.Error(), "(z 3, x 4)") {
		t.Errorf("NaN velocity: %v", err)
	}
	o, err := s.Observe(ctx, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Gather(ctx, o, nil, 1, make([]float32, 5)); err == nil || !strings.Contains(err.Error(), "gather buffer") {
		t.Errorf("short gather buffer: %v", err)
	}
	if err := s.Gather(ctx, o, nil, 0, make([]float32, s.GatherLen())); err == nil || !strings.Contains(err.Error(), "maxY") {
		t.Errorf("maxY 0: %v", err)
	}
	if err := s.Gather(ctx, o, bad, 1, make([]float32, s.GatherLen())); err == nil || !strings.Contains(err.Error(), "background velocity") {
		t.Errorf("NaN background: %v", err)
	}
	if _, err := s.Simulator(&Obs{}); err == nil {
		t.Error("Simulator of an empty observation: no error")
	}
	for _, mod := range []func(*SurveyConfig){
		func(c *SurveyConfig) { c.Offsets = []int{0, 0} },
		func(c *SurveyConfig) { c.Receivers = c.Nx + 1 },
		func(c *SurveyConfig) { c.SNRdB = -1 },
		func(c *SurveyConfig) { c.SourceDepth = 1e5 },
		func(c *SurveyConfig) { c.NB = 2 },
	} {
		cc := c
		cc.Offsets = append([]int(nil), c.Offsets...)
		mod(&cc)
		if _, err := NewSurvey(cc); err == nil {
			t.Errorf("NewSurvey accepted %+v", cc)
		}
	}
	if _, err := OffsetCells(-10, 10, 21, 10); err == nil {
		t.Error("OffsetCells put two offsets in one cell without error")
	}
	if got := PaperOffsets(10); len(got) != 51 || got[0] != -50 || got[50] != 50 || got[26] != 2 {
		t.Errorf("paper offsets %v", got)
	}
}
