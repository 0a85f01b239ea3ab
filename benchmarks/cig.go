package benchmarks

import (
	"context"
	"path/filepath"

	"genfwi/cig"
	"genfwi/openfwi"
)

// Bench case of the WISE data layer (docs/benchmarks.md, docs/wise.md).
func cigBenchCases() []*Case {
	return []*Case{{Name: "cig-openfwi", Short: "one WISE CIG pair: 16-shot observation and 21-offset gather vs the forward of the same shots", Run: benchCIGOpenFWI}}
}

// benchCIGOpenFWI times, on sample 0 of CurveVel_A model1 resized to 64×64 in
// the default survey: the forward of the 16 shots, Observe (forward + noise)
// and Gather (forward with tape, adjoint and the 21-offset imaging, shot by
// shot). ratio = Gather / forward.
func benchCIGOpenFWI(ctx context.Context, o *Options) (map[string]any, error) {
	path := filepath.Join(o.Data, "CurveVel_A", "model", "model1.npy")
	sc := cig.DefaultSurveyConfig()
	sc.Workers = o.threads()
	sv, err := cig.NewSurvey(sc)
	if err != nil {
		return nil, err
	}
	f, err := openfwi.OpenVelocity(path)
	if err != nil {
		return nil, err
	}
	v, err := f.Resized(0, sc.Nz, sc.Nx)
	f.Close()
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
	rep := o.reps(3)
	d := make([]float32, sv.DataLen())
	fwd, err := timeRuns(ctx, o, "cig-openfwi forward", rep, func() error { return sim.Forward(ctx, obs.Background, d) })
	if err != nil {
		return nil, err
	}
	observe, err := timeRuns(ctx, o, "cig-openfwi observe", rep, func() error {
		_, err := sv.Observe(ctx, v, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	g := make([]float32, sv.GatherLen())
	gather, err := timeRuns(ctx, o, "cig-openfwi gather", rep, func() error { return sv.Gather(ctx, obs, nil, 1, g) })
	if err != nil {
		return nil, err
	}
	return map[string]any{"seconds_per_sample": observe + gather, "forward_seconds": fwd, "observe_seconds": observe,
		"gather_seconds": gather, "ratio": gather / fwd, "shots": sc.Shots, "offsets": len(sc.Offsets),
		"threads": sc.Workers, "peak_rss_mb": peakRSSMB()}, nil
}
