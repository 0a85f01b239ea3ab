package benchmarks

import (
	"context"
	"math/rand/v2"
	"runtime"
	"time"

	"genfwi/cig"
	"genfwi/models/flow"
	"genfwi/tensor"
	"genfwi/wise"
	"genfwi/wiser"
)

// The WISER case: the cpu presets of WISE (network, untrained: the cost of
// a WISER iteration does not depend on the weights) and of WISER (M = 8,
// 16 inner Adam steps) on the OpenFWI-WISE survey (64×64, 16 shots, 21
// offsets) and a layered 64×64 map: the gather of the observation, then a
// fixed short schedule of --repeat outer iterations (default 4). Reports
// seconds per outer iteration and its PDE solves, the projected time of a
// whole cpu-preset run (40 outer iterations) and peak RSS.

func wiserBenchCases() []*Case {
	return []*Case{{Name: "wiser-cpu", Short: "WISER cpu preset: gather + outer iterations (8 particles, 16 inner steps) on 64×64", Run: benchWISER}}
}

func benchWISER(ctx context.Context, o *Options) (map[string]any, error) {
	defer o.useThreads()()
	outer := o.reps(4)
	ncfg, err := flow.NetworkPreset("cpu")
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	net, err := flow.NewNetwork(*ncfg, rng)
	if err != nil {
		return nil, err
	}
	sc := cig.DefaultSurveyConfig()
	sc.Workers = o.Threads
	survey, err := cig.NewSurvey(sc)
	if err != nil {
		return nil, err
	}
	const nz, nx = cig.DefaultNz, cig.DefaultNx
	truth := make([]float32, nz*nx)
	for z := 0; z < nz; z++ {
		for x := 0; x < nx; x++ {
			truth[z*nx+x] = float32(1800 + 40*z + 300*((z+x/8)/16))
		}
	}
	t0 := time.Now()
	obs, err := survey.Observe(ctx, truth, 1)
	if err != nil {
		return nil, err
	}
	g := make([]float32, survey.GatherLen())
	if err := survey.Gather(ctx, obs, nil, 1, g); err != nil {
		return nil, err
	}
	gatherSec := time.Since(t0).Seconds()
	var gmax float32
	for _, v := range g {
		gmax = max(gmax, v, -v)
	}
	for i := range g {
		g[i] /= gmax
	}
	wcfg, err := wise.Preset("cpu")
	if err != nil {
		return nil, err
	}
	x := tensor.New(4, 1, nz, nx)
	for i := range x.Data {
		x.Data[i] = truth[i%(nz*nx)]/float32(wcfg.Train.VelocityScale) + float32(0.05*rng.NormFloat64())
	}
	y := tensor.New(4, len(sc.Offsets), nz, nx)
	for i := range y.Data {
		y.Data[i] = g[i%len(g)]
	}
	if err := net.Init(x, y, rng); err != nil {
		return nil, err
	}
	m := &wise.Model{Net: net, Config: *wcfg, Data: wise.DataInfo{Nz: nz, Nx: nx, H: sc.H, Offsets: sc.Offsets, MaxY: gmax}, Path: "bench"}
	cfg, err := wiser.Preset("cpu")
	if err != nil {
		return nil, err
	}
	full := cfg.Outer
	cfg.Outer, cfg.MisfitEvery = outer, 0
	bar := o.Bar.Bar(outer, "wiser-cpu")
	defer bar.Finish()
	res, err := wiser.Run(ctx, wiser.Options{Model: m, Config: *cfg, Survey: survey, Obs: obs, Gather: g,
		OnIter: func(*wiser.Iter) error { bar.Add(1); return nil }})
	if err != nil {
		return nil, err
	}
	bar.Finish()
	last := res.History[len(res.History)-1]
	per := last.Seconds / float64(outer)
	return map[string]any{
		"preset": "cpu", "particles": cfg.Particles, "inner": cfg.Inner, "outer_timed": outer,
		"seconds_gather": gatherSec, "seconds_per_outer": per, "pde_solves_per_outer": float64(last.Solves) / float64(outer),
		"seconds_cpu_run_est": gatherSec + per*float64(full), "outer_cpu_run": full,
		"peak_rss_mb": peakRSSMB(), "threads": tensor.Threads(), "gomaxprocs": runtime.GOMAXPROCS(0),
	}, nil
}
