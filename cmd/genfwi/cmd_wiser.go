package main

import (
	"context"
	"fmt"
	"math"
	"slices"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/wise"
	"genfwi/wiser"
)

// runWISER is "genfwi posterior --method wiser": simulate the observation of
// a velocity map, compute its gather, run WISER from the WISE posterior and
// write both posteriors, the history and a comparison.
func runWISER(ctx context.Context, env *cli.Env, o *posteriorOptions) error {
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("posterior needs --model and --out")
	}
	if o.Index < 0 || o.Outer < 0 || o.Particles < 0 || o.N < 0 || o.Inner < -1 {
		return cli.Usagef("--index, --outer, --particles, --n must be >= 0 and --inner >= -1")
	}
	if o.Coupling != -1 && !(o.Coupling >= 0 && o.Coupling <= 1) {
		return cli.Usagef("--coupling must be in [0, 1] (or -1 for the config's), got %g", o.Coupling)
	}
	if math.IsNaN(o.Perturb) || math.IsInf(o.Perturb, 0) || (o.SNRSet && (math.IsNaN(o.SNR) || math.IsInf(o.SNR, 0))) {
		return cli.Usagef("--perturb and --snr must be finite numbers")
	}
	cfg, err := configFlag(o.Config, "wiser", wiser.Preset, func(c *wiser.Config) {
		setIfPositive(&c.Outer, o.Outer)
		setIfNonNegative(&c.Inner, o.Inner)
		if o.FWIOnly {
			c.Inner = 0
		}
		setIfPositive(&c.Particles, o.Particles)
		setIfPositive(&c.PosteriorSamples, o.N)
		setIfNonNegative(&c.Coupling, o.Coupling)
	})
	if err != nil {
		return err
	}
	kind, src, m, err := o.open(append(append([]string{}, wise.PosteriorFiles...), experiments.WISERFiles()...)...)
	if err != nil {
		return err
	}
	inf := m.Data
	var vel []float32
	switch kind {
	case "vel":
		if vel, err = readVelocityMap("--vel", src, o.Index, inf.Nz, inf.Nx); err != nil {
			return err
		}
	case "cig":
		if vel, _, _, err = readCIGPair(src, o.Index, inf); err != nil {
			return err
		}
	}
	truth, err := perturbMap(vel, o.Perturb, "")
	if err != nil {
		return err
	}
	if truth, err = o.truthMap(inf, truth); err != nil {
		return err
	}
	histZ, err := o.histRows()
	if err != nil {
		return err
	}
	if histZ != nil && len(histZ) != 2 {
		return cli.Usagef("--hist-z %q: want two rows such as 16,48", o.HistZ)
	}
	fo := wise.FigureOptions{TraceZ: o.TraceZ, TraceX: o.TraceX, HistZ: histZ}
	wo := experiments.WISEROptions{Model: m, Config: *cfg, Truth: truth, Name: src, Index: o.Index, PerturbKms: o.Perturb,
		ObsSeed: uint64(o.Index), Figures: fo, Out: o.Out, Log: func(msg string) { fmt.Fprintln(env.Stderr, msg) },
		Image: o.Image, Baseline: o.Baseline}
	if o.ObsSeed >= 0 {
		wo.ObsSeed = uint64(o.ObsSeed)
	}
	if o.SNRSet {
		wo.SNR = &o.SNR
	}
	pb := cli.NewProgress(env, cfg.Outer, "wiser")
	defer pb.Finish()
	wo.OnIter = func(it *wiser.Iter) {
		pb.Add(1)
		if !math.IsNaN(it.SSIM) {
			pb.Describe(fmt.Sprintf("wiser %g Hz, CM SSIM %.3f", it.Cutoff, it.SSIM))
		}
	}
	sum, runErr := experiments.WISER(ctx, wo)
	pb.Finish()
	if sum == nil {
		return runErr
	}
	if o.JSON {
		if err := cli.WriteJSON(env.Stdout, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%d outer iterations, %d PDE solves (%.1f data passes), %.0f s → %s\n", sum.Iterations, sum.PDESolves, sum.DataPasses, sum.Seconds, o.Out)
		if sum.WISE != nil && sum.WISER != nil {
			fmt.Fprintf(env.Stdout, "CM SSIM %.4f → %.4f, RMSE %.4f → %.4f (OpenFWI scale); W1 at rows %v: %.0f,%.0f → %.0f,%.0f m/s\n",
				sum.WISE.OpenFWI.SSIM, sum.WISER.OpenFWI.SSIM, sum.WISE.OpenFWI.RMSE, sum.WISER.OpenFWI.RMSE, sum.HistRows,
				sum.W1WISE[0], sum.W1WISE[1], sum.W1WISER[0], sum.W1WISER[1])
		}
		if b := sum.Baseline; b != nil && b.SSIM != nil {
			fmt.Fprintf(env.Stdout, "plain FWI on %d PDE solves: SSIM %.4f, RMSE %.4f, misfit %.4g\n", b.Solves, *b.SSIM, *b.RMSE, b.Misfit)
		}
		if im := sum.Image; im != nil {
			fmt.Fprintf(env.Stdout, "imaging: %d PDE solves, mean image std / mean |image| %.3f\n", im.Solves, im.MeanStdRatio)
		}
	}
	return runErr
}

// perturbMap applies --perturb (WISER's out-of-distribution sinusoid,
// amplitude in km/s; 0 = none) to the map v (what names it in the error).
func perturbMap(v []float32, amp float64, what string) ([]float32, error) {
	if amp == 0 {
		return v, nil
	}
	p := wiser.Perturb(v, amp)
	if slices.Min(p) <= 0 {
		return nil, cli.Usagef("--perturb %g km/s makes velocities%s non-positive", amp, what)
	}
	return p, nil
}
