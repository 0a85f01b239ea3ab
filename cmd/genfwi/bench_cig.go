package main

import (
	"context"
	"path/filepath"

	"genfwi/cig"
	"genfwi/internal/cli"
)

// Bench case of the WISE data layer (docs/benchmarks.md, docs/wise.md).
func cigBenchCases() []*benchCase {
	return []*benchCase{{Name: "cig-openfwi", Short: "one WISE CIG pair: 16-shot observation and 21-offset gather vs the forward of the same shots", Run: benchCIGOpenFWI}}
}

// benchCIGOpenFWI times, on sample 0 of CurveVel_A model1 resized to 64×64 in
// the default survey: the forward of the 16 shots, Observe (forward + noise)
// and Gather (forward with tape, adjoint and the 21-offset imaging, shot by
// shot). ratio = Gather / forward.
func benchCIGOpenFWI(ctx context.Context, env *cli.Env, o *benchOptions) (map[string]any, error) {
	path := filepath.Join(o.Data, "CurveVel_A", "model", "model1.npy")
	sc := cig.DefaultSurveyConfig()
	sc.Workers = benchThreads(o)
	sv, err := cig.NewSurvey(sc)
	if err != nil {
		return nil, err
	}
	v, err := readVelocityMap("--data", path, 0, sc.Nz, sc.Nx)
	if err != nil {
		return nil, err
	}
	obs, err := sv.Observe(ctx, v, 1)
	if err != nil {
		return nil, err
	}
	sim, err := sv.Simulator(obs)
	if err != nil {
		return nil, err
	}
	rep := benchRepeat(o, 3)
	d := make([]float32, sv.DataLen())
	fwd, err := timeRuns(ctx, env, "cig-openfwi forward", rep, func() error { return sim.Forward(ctx, obs.Background, d) })
	if err != nil {
		return nil, err
	}
	observe, err := timeRuns(ctx, env, "cig-openfwi observe", rep, func() error {
		_, err := sv.Observe(ctx, v, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	g := make([]float32, sv.GatherLen())
	gather, err := timeRuns(ctx, env, "cig-openfwi gather", rep, func() error { return sv.Gather(ctx, obs, nil, 1, g) })
	if err != nil {
		return nil, err
	}
	return map[string]any{"seconds_per_sample": observe + gather, "forward_seconds": fwd, "observe_seconds": observe,
		"gather_seconds": gather, "ratio": gather / fwd, "shots": sc.Shots, "offsets": len(sc.Offsets),
		"threads": sc.Workers, "peak_rss_mb": peakRSSMB()}, nil
}
