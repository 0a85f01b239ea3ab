package fwi

import (
	"context"
	"math"
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
