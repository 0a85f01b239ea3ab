package benchmarks

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"time"

	"genfwi/fwi"
	"genfwi/metrics"
	"genfwi/openfwi"
	"genfwi/wave"
)

// Bench cases of the wave engine (docs/benchmarks.md).
// waveBenchCases are the bench cases of bench_wave.go.
func waveBenchCases() []*Case {
	return []*Case{
		&Case{Name: "wave-openfwi", Short: "OpenFWI-exact forward of FlatVel_A model1 sample 0 (5 shots)", Run: benchWaveOpenFWI},
		&Case{Name: "wave-large", Short: "512×256 grid, order 8, 40-cell boundary, 2000 steps, 16 shots", Run: benchWaveLarge},
		&Case{Name: "grad-openfwi", Short: "adjoint-state gradient on the OpenFWI sample vs its forward", Run: benchGradOpenFWI},
	}
}

// timeRuns calls fn once to warm up, then repeat times, and returns the
// median wall time in seconds.
func timeRuns(ctx context.Context, o *Options, name string, repeat int, fn func() error) (float64, error) {
	prog := o.Bar.Bar(repeat+1, name)
	defer prog.Finish()
	if err := fn(); err != nil {
		return 0, err
	}
	prog.Add(1)
	ts := make([]float64, repeat)
	for i := range ts {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ts[i] = time.Since(t0).Seconds()
		prog.Add(1)
	}
	sort.Float64s(ts)
	if repeat%2 == 1 {
		return ts[repeat/2], nil
	}
	return (ts[repeat/2-1] + ts[repeat/2]) / 2, nil
}

// openfwiBenchModel reads sample 0 of FlatVel_A/model/model1.npy under root.
func openfwiBenchModel(root string) ([]float32, error) {
	return openfwi.ReadMap(filepath.Join(root, "FlatVel_A", "model", "model1.npy"), 0)
}

const openfwiCells = 310 * 310 * 1000 * 5

func benchWaveOpenFWI(ctx context.Context, o *Options) (map[string]any, error) {
	v, err := openfwiBenchModel(o.Data)
	if err != nil {
		return nil, err
	}
	nw := o.threads()
	dst := make([]float32, wave.OpenFWISample)
	sec, err := timeRuns(ctx, o, "wave-openfwi", o.reps(10), func() error {
		return wave.OpenFWIForward(ctx, v, dst, nw)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"seconds_per_sample": sec, "mcells_per_s": openfwiCells / sec / 1e6, "threads": nw,
		"kernel": wave.KernelName()}, nil
}

func benchWaveLarge(ctx context.Context, o *Options) (map[string]any, error) {
	const nx, nz, h, nb, nt, nshots = 512, 256, 12.5, 40, 2000, 16
	v := make([]float32, nz*nx)
	vmax := 0.0
	for z := 0; z < nz; z++ {
		vz := 1500 + 1.2*float64(z)*h
		vmax = math.Max(vmax, vz)
		for x := 0; x < nx; x++ {
			v[z*nx+x] = float32(vz)
		}
	}
	// CFL rule: the largest dt the simulator runs without substeps.
	dt := 0.9 * wave.CourantLimit(8) * h / vmax * (1 - 1e-9)
	rec := make([]wave.Point, nx)
	for i := range rec {
		rec[i] = wave.Point{Z: 1, X: i}
	}
	shots := make([]wave.Shot, nshots)
	for i := range shots {
		x := int(math.Round((float64(i) + 0.5) * nx / nshots))
		shots[i] = wave.Shot{Source: wave.Point{Z: 1, X: x}, Receivers: rec}
	}
	nw := o.threads()
	sim, err := wave.NewSimulator(wave.Grid{Nz: nz, Nx: nx, H: h}, shots, wave.Ricker(nt, 15, dt, 0),
		wave.Options{Order: 8, Boundary: wave.Devito, NB: nb, Dt: dt, Nt: nt, Workers: nw})
	if err != nil {
		return nil, err
	}
	if in, err := sim.Info(v); err != nil || in.Substeps != 1 {
		return nil, fmt.Errorf("wave-large: setup needs substeps (%+v, %v)", in, err)
	}
	dst := make([]float32, sim.DataLen(nshots))
	sec, err := timeRuns(ctx, o, "wave-large", o.reps(3), func() error { return sim.Forward(ctx, v, dst) })
	if err != nil {
		return nil, err
	}
	cells := float64((nx+2*nb)*(nz+2*nb)) * nt * nshots
	return map[string]any{"seconds": sec, "mcells_per_s": cells / sec / 1e6, "dt": dt, "threads": nw, "kernel": wave.KernelName()}, nil
}

// gaussSmooth returns v smoothed by a separable Gaussian of sigma cells with
// edge clamping.
func gaussSmooth(v []float32, nz, nx int, sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	k := fwi.GaussianKernelWidth(sigma, r)
	tmp := make([]float64, nz*nx)
	for z := 0; z < nz; z++ {
		for x := 0; x < nx; x++ {
			var a float64
			for i, w := range k {
				a += w * float64(v[z*nx+min(max(x+i-r, 0), nx-1)])
			}
			tmp[z*nx+x] = a
		}
	}
	out := make([]float32, nz*nx)
	for z := 0; z < nz; z++ {
		for x := 0; x < nx; x++ {
			var a float64
			for i, w := range k {
				a += w * tmp[min(max(z+i-r, 0), nz-1)*nx+x]
			}
			out[z*nx+x] = float32(a)
		}
	}
	return out
}

func benchGradOpenFWI(ctx context.Context, o *Options) (map[string]any, error) {
	v, err := openfwiBenchModel(o.Data)
	if err != nil {
		return nil, err
	}
	nw := o.threads()
	sim, err := wave.NewOpenFWI(nw)
	if err != nil {
		return nil, err
	}
	obs := make([]float32, wave.OpenFWISample)
	if err := sim.Forward(ctx, v, obs); err != nil {
		return nil, err
	}
	v0 := gaussSmooth(v, 70, 70, 5)
	rep := o.reps(5)
	syn := make([]float32, wave.OpenFWISample)
	fwd, err := timeRuns(ctx, o, "forward", rep, func() error { return sim.Forward(ctx, v0, syn) })
	if err != nil {
		return nil, err
	}
	// Several tape configurations, each with its own peak RSS (resetPeakRSS
	// between them; without the reset, where /proc/self/clear_refs is not
	// writable, the peaks are cumulative, so the smallest go first):
	// checkpointing with 32 MiB (cache-resident segments), the opt-in
	// bfloat16 tape (not the exact gradient), the default (full storage, or
	// 32 MiB without the AVX-512 kernels), and full storage (a budget that
	// holds all 1000 Laplacians of the shot in flight, 402 MB).
	const fullBudget = 1 << 30
	configs := []struct {
		key, name string
		budget    int64
		bf16      bool
		def       bool // the default Simulator sim
	}{
		{"_32mib", "gradient (32 MiB budget)", 32 << 20, false, false},
		{"_bf16", "gradient (bfloat16 tape)", 0, true, false},
		{"", "gradient (default budget)", 0, false, true},
		{"_full_storage", "gradient (full storage)", fullBudget, false, false},
	}
	res := map[string]any{"seconds_forward": fwd, "full_storage_budget_mb": fullBudget >> 20, "threads": nw,
		"kernel": wave.KernelName()}
	grads := map[string][]float32{}
	for _, c := range configs {
		s := sim
		if !c.def {
			o := wave.OpenFWIOptions(nw)
			o.MemoryBudget, o.TapeBF16 = c.budget, c.bf16
			if s, err = wave.NewSimulator(wave.Grid{Nz: wave.OpenFWINz, Nx: wave.OpenFWINx, H: wave.OpenFWIH}, wave.OpenFWIGeometry(),
				wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt), o); err != nil {
				return nil, err
			}
		}
		g := make([]float32, wave.OpenFWIModel)
		var misfit float64
		resetPeakRSS()
		sec, err := timeRuns(ctx, o, c.name, rep, func() error {
			var err error
			misfit, err = s.Gradient(ctx, v0, obs, nil, g)
			return err
		})
		if err != nil {
			return nil, err
		}
		s.FreeBuffers()
		res["seconds_gradient"+c.key], res["ratio"+c.key], res["peak_rss_mb"+c.key] = sec, sec/fwd, peakRSSMB()
		grads[c.key] = g
		if c.def {
			res["misfit"] = misfit
		}
	}
	res["bf16_rel_error"] = metrics.RelL2(grads["_bf16"], grads[""])
	return res, nil
}
