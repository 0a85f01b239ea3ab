package fwi

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/wave"
)

// tinySurvey is a 20×20 grid (10 m cells) with 4 surface shots and 20
// receivers, 10 Hz Ricker, 500 samples of 1 ms, a 20-cell sponge.
func tinySurvey(t *testing.T) (Survey, []float32) {
	t.Helper()
	const nz, nx = 20, 20
	g := wave.Grid{Nz: nz, Nx: nx, H: 10}
	var shots []wave.Shot
	for _, sx := range []int{1, 7, 12, 18} {
		rec := make([]wave.Point, nx)
		for j := range rec {
			rec[j] = wave.Point{Z: 1, X: j}
		}
		shots = append(shots, wave.Shot{Source: wave.Point{Z: 1, X: sx}, Receivers: rec})
	}
	opts := wave.Options{Order: 4, NB: 20, Dt: 1e-3, Nt: 500, DampVelocity: 2000, Workers: 2}
	sv := Survey{Grid: g, Shots: shots, Wavelet: wave.Ricker(opts.Nt, 10, opts.Dt, 0), Opts: opts}
	truth := make([]float32, nz*nx)
	for iz := 0; iz < nz; iz++ {
		for ix := 0; ix < nx; ix++ {
			v := 2000 + 40*float64(iz) // background gradient
			if iz >= 8 && iz < 13 && ix >= 6 && ix < 14 {
				v += 400 // a fast block
			}
			truth[iz*nx+ix] = float32(v)
		}
	}
	return sv, truth
}

func observe(t *testing.T, sv Survey, v []float32) []float32 {
	t.Helper()
	sim, err := wave.NewSimulator(sv.Grid, sv.Shots, sv.Wavelet, sv.Opts)
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float32, sim.DataLen(sim.NumShots()))
	if err := sim.Forward(context.Background(), v, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func rmse(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(a)))
}

func TestInvertTinyDecreasesMisfitAndError(t *testing.T) {
	sv, truth := tinySurvey(t)
	obs := observe(t, sv, truth)
	start := LinearGradient(20, 20, 2000, 2000+40*19) // the background without the block
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"lbfgs", Config{Method: LBFGS, Iters: 6}},
		{"lbfgs-slowness2-bands", Config{Method: LBFGS, Iters: 3, Param: SquaredSlowness, Bands: []float64{6, 0}}},
		{"pg-depth", Config{Method: PG, Iters: 6, Step: 40, Precond: Precond{DepthPower: 1}}},
		{"adam", Config{Method: Adam, Iters: 6, Step: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &State{Model: append([]float32(nil), start...)}
			calls := 0
			err := Invert(context.Background(), sv, obs, st, tc.cfg, func(*State) error { calls++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			h := st.History
			if !st.Done || len(h) < 3 || calls != len(h)+1 {
				t.Fatalf("done %v, %d history entries, %d callbacks", st.Done, len(h), calls)
			}
			last := h[len(h)-1]
			// Misfit is compared within the full band (the last band).
			first := h[0]
			for _, it := range h {
				if it.Band == last.Band && it.Iter == 0 {
					first = it
				}
			}
			if tc.cfg.Method != Adam && !(last.Misfit < 0.7*first.Misfit) {
				t.Errorf("misfit %g → %g: want a decrease of at least 30%%", first.Misfit, last.Misfit)
			}
			if tc.cfg.Method == Adam && !(last.Misfit < first.Misfit) {
				t.Errorf("misfit %g → %g: want a decrease", first.Misfit, last.Misfit)
			}
			e0, e1 := rmse(start, truth), rmse(st.Model, truth)
			if !(e1 < e0) {
				t.Errorf("model RMSE %g → %g m/s: want a decrease", e0, e1)
			}
			if st.Solves <= 0 || last.Solves > st.Solves {
				t.Errorf("solves %d (last entry %d)", st.Solves, last.Solves)
			}
			for _, x := range st.Model {
				if x < 1500 || x > 4500 {
					t.Fatalf("model value %g outside the bounds", x)
				}
			}
			t.Logf("%s: misfit %.4g → %.4g, RMSE %.1f → %.1f m/s, %d solves", tc.name, first.Misfit, last.Misfit, e0, e1, st.Solves)
		})
	}
}

func TestInvertResumeAfterInterruption(t *testing.T) {
	sv, truth := tinySurvey(t)
	obs := observe(t, sv, truth)
	start := LinearGradient(20, 20, 2000, 2000+40*19)
	cfg := Config{Method: LBFGS, Iters: 3, Bands: []float64{8, 0}}
	stop := errors.New("interrupted")
	st := &State{Model: append([]float32(nil), start...)}
	// Interrupt after the first iteration of the second band.
	err := Invert(context.Background(), sv, obs, st, cfg, func(s *State) error {
		if s.Band == 1 && s.Iter == 1 {
			return stop
		}
		return nil
	})
	// Interrupting right after a band's start and resuming must not record
	// that start twice.
	st0 := &State{Model: append([]float32(nil), start...)}
	_ = Invert(context.Background(), sv, obs, st0, cfg, func(s *State) error { return stop })
	if err := Invert(context.Background(), sv, obs, st0, Config{Method: LBFGS, Iters: 1, Bands: []float64{8}}, nil); err != nil {
		t.Fatal(err)
	}
	if len(st0.History) != 2 || st0.History[0].Iter != 0 || st0.History[1].Iter != 1 {
		t.Errorf("history after a resume at iteration 0: %+v", st0.History)
	}
	if !errors.Is(err, stop) {
		t.Fatalf("Invert = %v, want the callback's error", err)
	}
	if st.Done || st.Band != 1 || st.Iter != 1 {
		t.Fatalf("interrupted state: band %d iter %d done %v", st.Band, st.Iter, st.Done)
	}
	solves := st.Solves
	// Resume from a copy, as if loaded from a checkpoint.
	rs := &State{Band: st.Band, Iter: st.Iter, Model: append([]float32(nil), st.Model...),
		History: append([]Iteration(nil), st.History...), Solves: st.Solves, Seconds: st.Seconds}
	if err := Invert(context.Background(), sv, obs, rs, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if !rs.Done || rs.Solves <= solves {
		t.Fatalf("resumed: done %v, solves %d (before %d)", rs.Done, rs.Solves, solves)
	}
	// History: band 0 iterations 0..3, band 1 iterations 0..3, each once.
	var got []int
	for _, h := range rs.History {
		got = append(got, h.Band*10+h.Iter)
	}
	want := []int{0, 1, 2, 3, 10, 11, 12, 13}
	if len(got) != len(want) {
		t.Fatalf("history band·10+iter = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("history band·10+iter = %v, want %v", got, want)
		}
	}
	if rmse(rs.Model, truth) >= rmse(start, truth) {
		t.Errorf("resumed run did not improve the model")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Bands: []float64{-1}},
		{Bounds: Bounds{Min: 3000, Max: 2000}},
		{Method: LBFGS, ShotsPerEval: 1},
		{Iters: -1},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d accepted: %+v", i, c)
		}
	}
	if err := (Config{Method: Adam, ShotsPerEval: 1}).Validate(); err != nil {
		t.Errorf("Adam with one shot per evaluation rejected: %v", err)
	}
}

func TestEvalBatchMatchesEval(t *testing.T) {
	sv, truth := tinySurvey(t)
	obs := observe(t, sv, truth)
	sim, err := wave.NewSimulator(sv.Grid, sv.Shots, sv.Wavelet, sv.Opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := NewObjective(sim, obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := LinearGradient(20, 20, 2000, 2800)
	b := LinearGradient(20, 20, 2100, 2700)
	shots := [][]int{{1}, {0, 3}}
	grads := [][]float32{make([]float32, 400), make([]float32, 400)}
	js, err := obj.EvalBatch(context.Background(), [][]float32{a, b}, shots, grads, 2)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float32, 400)
	for k, v := range [][]float32{a, b} {
		j, err := obj.Eval(context.Background(), v, shots[k], g)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(j-js[k]) > 1e-9*math.Abs(j) || rmse(g, grads[k]) > 1e-6*norm2(g) {
			t.Errorf("particle %d: batch J %g vs single %g", k, js[k], j)
		}
	}
	// Squared-slowness gradient = velocity gradient · (−v³/2).
	gm := make([]float32, 400)
	if _, err := obj.EvalParam(context.Background(), a, nil, SquaredSlowness, gm); err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Eval(context.Background(), a, nil, g); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		want := float64(g[i]) * -0.5 * math.Pow(float64(a[i]), 3)
		if math.Abs(float64(gm[i])-want) > 1e-5*math.Abs(want)+1e-30 {
			t.Fatalf("∂J/∂m[%d] = %g, want %g", i, gm[i], want)
		}
	}
	if obj.Solves() != 2*(1+2)*2+2*4*2 {
		t.Errorf("solves %d, want 28 (2 per shot: 3 shots twice, then 4 shots twice)", obj.Solves())
	}
	// One random shot per particle, WISER-style.
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		s := RandomShots(r, 4, 1)
		if len(s) != 1 || s[0] < 0 || s[0] >= 4 {
			t.Fatalf("RandomShots = %v", s)
		}
		seen[s[0]] = true
	}
	if len(seen) != 4 || RandomShots(r, 4, 4) != nil {
		t.Errorf("RandomShots covered %d of 4 shots", len(seen))
	}
}

func TestBandObjectiveConsistentAtTruth(t *testing.T) {
	// A band's misfit must vanish at the true model for noise-free data, or
	// the optimiser walks away from the truth to lower the remainder. The
	// earlier design (observed data and wavelet low-passed separately, on a
	// time axis extended for the filter's precursor) left a relative
	// residual of 0.028 (4 Hz), 0.006 (6 Hz) and 0.002 (10 Hz) at the truth
	// on this survey, and on an OpenFWI FlatVel map a 4 Hz misfit at the
	// truth equal to the 1d-special start's; the filtered residual leaves
	// exactly zero.
	sv, truth := tinySurvey(t)
	obs := observe(t, sv, truth)
	g := make([]float32, len(truth))
	for _, fc := range []float64{4, 6, 10, 0} {
		obj, err := bandObjective(sv, obs, fc, Config{}.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		j, err := obj.Eval(context.Background(), truth, nil, g)
		if err != nil {
			t.Fatal(err)
		}
		if j != 0 {
			t.Errorf("fc %g Hz: misfit at the true model %g, want 0", fc, j)
		}
		for i, x := range g {
			if x != 0 {
				t.Fatalf("fc %g Hz: gradient at the true model is %g at cell %d, want 0", fc, x, i)
			}
		}
	}
}

// TestBandObjectiveGradient checks the low-passed band misfit's gradient
// against central differences along smooth directions, and that the band
// misfit sees the low frequencies only (a model error that the full band
// sees strongly changes a 4 Hz misfit less).
func TestBandObjectiveGradient(t *testing.T) {
	sv, truth := tinySurvey(t)
	obs := observe(t, sv, truth)
	v0 := make([]float32, len(truth))
	for i := range v0 {
		v0[i] = truth[i] - 60 + 40*float32(i%20)/20
	}
	n := len(v0)
	g := make([]float32, n)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, fc := range []float64{4, 10} {
		obj, err := bandObjective(sv, obs, fc, Config{}.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := obj.Eval(context.Background(), v0, nil, g); err != nil {
			t.Fatal(err)
		}
		for trial := 0; trial < 2; trial++ {
			dir := make([]float32, n)
			kz, kx, ph := rng.Float64()*2, rng.Float64()*2, rng.Float64()*6
			for i := range dir {
				dir[i] = float32(math.Cos(math.Pi*(kz*float64(i/20)/20+kx*float64(i%20)/20) + ph))
			}
			const eps = 2.0 // m/s
			vp, vm := make([]float32, n), make([]float32, n)
			for i := range v0 {
				vp[i], vm[i] = v0[i]+eps*dir[i], v0[i]-eps*dir[i]
			}
			jp, err := obj.Eval(context.Background(), vp, nil, make([]float32, n))
			if err != nil {
				t.Fatal(err)
			}
			jm, err := obj.Eval(context.Background(), vm, nil, make([]float32, n))
			if err != nil {
				t.Fatal(err)
			}
			fd := (jp - jm) / (2 * eps)
			var an float64
			for i := range g {
				an += float64(g[i]) * float64(dir[i])
			}
			if rel := math.Abs(fd-an) / math.Abs(fd); !(rel < 1e-2) {
				t.Errorf("fc %g trial %d: adjoint %.6g, finite difference %.6g, rel. diff %.2g", fc, trial, an, fd, rel)
			}
		}
	}
}
