package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"genfwi/cig"
	"genfwi/internal/atomicfile"
	"genfwi/internal/cli"
	"genfwi/internal/jsonconfig"
	"genfwi/npy"
	"genfwi/wise"
	"genfwi/wiser"
)

// wiserFiles are the outputs of "posterior --method wiser" besides the
// posterior files.
var wiserFiles = append([]string{"particles.npy", "wiser.json"}, wiser.HistoryFiles...)

// runWISER is "genfwi posterior --method wiser": simulate the observation of
// a velocity map, compute its gather, run WISER from the WISE posterior and
// write both posteriors, the history and a comparison.
func runWISER(ctx context.Context, env *cli.Env, o *posteriorOptions) error {
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("posterior needs --model and --out")
	}
	if o.Index < 0 || o.Outer < 0 || o.Particles < 0 || o.Inner < -1 {
		return cli.Usagef("--index, --outer, --particles must be >= 0 and --inner >= -1")
	}
	if math.IsNaN(o.Perturb) || math.IsInf(o.Perturb, 0) || (o.SNRSet && (math.IsNaN(o.SNR) || math.IsInf(o.SNR, 0))) {
		return cli.Usagef("--perturb and --snr must be finite numbers")
	}
	cfg, err := jsonconfig.Configure(o.Config, "wiser", wiser.Preset, func(c *wiser.Config) {
		if o.Outer > 0 {
			c.Outer = o.Outer
		}
		if o.Inner >= 0 {
			c.Inner = o.Inner
		}
		if o.FWIOnly {
			c.Inner = 0
		}
		if o.Particles > 0 {
			c.Particles = o.Particles
		}
	})
	if err != nil {
		return cli.Usagef("--config: %v", err)
	}
	kind, src, err := posteriorObservation(o)
	if err != nil {
		return err
	}
	if st, err := os.Lstat(o.Out); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory", o.Out)
	}
	outs := inDir("--out", o.Out, append(append([]string{}, wise.PosteriorFiles...), wiserFiles...)...)
	ins := []fileArg{modelFileArg("--model", o.Model), {"--truth", o.Truth}}
	if kind == "vel" {
		ins = append(ins, fileArg{"--vel", src})
	}
	if err := checkOutputs(outs, ins); err != nil {
		return err
	}
	m, err := wise.LoadModel(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	inf := m.Data
	pix := inf.Nz * inf.Nx
	var vel []float32
	switch kind {
	case "vel":
		if vel, err = readVelocityMap("--vel", src, o.Index, inf.Nz, inf.Nx); err != nil {
			return err
		}
	case "cig":
		d, err := wise.OpenCIG(src)
		if err != nil {
			return fmt.Errorf("--cig: %w", err)
		}
		if o.Index >= d.Len() {
			d.Close()
			return cli.Usagef("--index %d: %s holds %d pairs", o.Index, src, d.Len())
		}
		vel = make([]float32, pix)
		err = d.Read(o.Index, vel, make([]float32, len(d.Info().Offsets)*pix))
		d.Close()
		if err != nil {
			return fmt.Errorf("--cig %s: %w", src, err)
		}
	}
	truth := vel
	if o.Perturb != 0 {
		truth = wiser.Perturb(vel, o.Perturb)
		if minF(truth) <= 0 {
			return cli.Usagef("--perturb %g km/s makes velocities non-positive", o.Perturb)
		}
	}
	if o.Truth != "" {
		k := o.Index
		if o.TruthIndex >= 0 {
			k = o.TruthIndex
		}
		if truth, err = readVelocityMap("--truth", o.Truth, k, inf.Nz, inf.Nx); err != nil {
			return err
		}
	}
	survey, err := m.Survey()
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	seed := uint64(o.Index)
	if o.ObsSeed >= 0 {
		seed = uint64(o.ObsSeed)
	}
	t0 := time.Now()
	snr := survey.Config().SNRdB
	if o.SNRSet {
		snr = o.SNR
	}
	fmt.Fprintf(env.Stderr, "simulating the observation of %s map %d (perturbation %g km/s, %g dB, obs seed %d)\n", src, o.Index, o.Perturb, snr, seed)
	var obs *cig.Obs
	if o.SNRSet {
		obs, err = survey.ObserveSNR(ctx, truth, seed, snr)
	} else {
		obs, err = survey.Observe(ctx, truth, seed)
	}
	if err != nil {
		return err
	}
	gather := make([]float32, survey.GatherLen())
	if err := survey.Gather(ctx, obs, nil, inf.MaxY, gather); err != nil {
		return err
	}
	if m.Config.Train.RTMOnly {
		k, err := inf.ZeroOffset()
		if err != nil {
			return err
		}
		wise.RepeatZeroOffset(gather, len(inf.Offsets), k)
	}
	gatherSec := time.Since(t0).Seconds()
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	fo := wise.FigureOptions{TraceZ: o.TraceZ, TraceX: o.TraceX}
	if o.HistZ != "" {
		var a, b int
		if _, err := fmt.Sscanf(o.HistZ, "%d,%d", &a, &b); err != nil {
			return cli.Usagef("--hist-z %q: want two rows such as 16,48", o.HistZ)
		}
		fo.HistZ = []int{a, b}
	}
	histRows := fo.HistZ
	if len(histRows) != 2 {
		histRows = []int{inf.Nz / 4, 3 * inf.Nz / 4}
	}
	pb := cli.NewProgress(env, cfg.Outer, "wiser")
	defer pb.Finish()
	var history []wiser.Iter
	res, runErr := wiser.Run(ctx, wiser.Options{Model: m, Config: *cfg, Survey: survey, Obs: obs, Gather: gather, Truth: truth,
		OnIter: func(it *wiser.Iter) error {
			pb.Add(1)
			if !math.IsNaN(it.SSIM) {
				pb.Describe(fmt.Sprintf("wiser %g Hz, CM SSIM %.3f", it.Cutoff, it.SSIM))
			}
			history = append(history, *it)
			// the last complete iteration's samples and record stay valid
			p := it.Posterior
			if err := npy.WriteFileFloat32(filepath.Join(o.Out, "samples.npy"), npy.Float32, []int{p.N, 1, p.Nz, p.Nx}, p.Samples); err != nil {
				return err
			}
			return wiser.WriteHistory(o.Out, history)
		}})
	pb.Finish()
	if res == nil {
		return runErr
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	// Final (or last complete) outputs; figures in the style of WISER's Fig. 1.
	title := fmt.Sprintf("WISER posterior: %s #%d", filepath.Base(src), o.Index)
	if cfg.Inner == 0 {
		title = fmt.Sprintf("FWI particles (no latent correction): %s #%d", filepath.Base(src), o.Index)
	}
	fo.Title = title
	extra := map[string]any{"method": "wiser", "model": m.Path, "index": o.Index, "obs_seed": seed, "snr_db": obs.SNRdB, "perturb_kms": o.Perturb}
	rep, err := wise.WritePosterior(o.Out, res.Posterior, truth, inf.H, fo, extra)
	if err != nil {
		return err
	}
	fo.Title = fmt.Sprintf("WISE posterior (start of WISER): %s #%d", filepath.Base(src), o.Index)
	repInit, err := wise.WritePosterior(filepath.Join(o.Out, "wise_initial"), res.Initial, truth, inf.H, fo, extra)
	if err != nil {
		return err
	}
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "particles.npy"), npy.Float32, []int{res.Posterior.N, 1, inf.Nz, inf.Nx}, res.Particles); err != nil {
		return err
	}
	sum := wiserSummary{Config: *cfg, PerturbKms: o.Perturb, SNRdB: obs.SNRdB, GatherSeconds: gatherSec, Interrupted: runErr != nil, WISE: repInit.Scores, WISER: rep.Scores, HistRows: histRows}
	if n := len(res.History); n > 0 {
		last := res.History[n-1]
		sum.Iterations, sum.PDESolves, sum.DataPasses, sum.Seconds = last.Outer, last.Solves, last.DataPasses, last.Seconds
		sum.DiagnosticSolves = last.DiagSolves
		sum.CMMisfit = finiteOrNil(last.CMMisfit)
		sum.CMMisfitStart = finiteOrNil(res.History[0].CMMisfit)
	}
	for _, z := range histRows {
		w0, err := wiser.RowW1(res.Initial, truth, z)
		if err != nil {
			return err
		}
		w1, err := wiser.RowW1(res.Posterior, truth, z)
		if err != nil {
			return err
		}
		sum.W1WISE = append(sum.W1WISE, w0)
		sum.W1WISER = append(sum.W1WISER, w1)
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Out, "wiser.json"), append(b, '\n')); err != nil {
		return err
	}
	if o.JSON {
		if err := cli.WriteJSON(env.Stdout, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%d outer iterations, %d PDE solves (%.1f data passes), %.0f s → %s\n", sum.Iterations, sum.PDESolves, sum.DataPasses, sum.Seconds, o.Out)
		if sum.WISE != nil && sum.WISER != nil {
			fmt.Fprintf(env.Stdout, "CM SSIM %.4f → %.4f, RMSE %.4f → %.4f (OpenFWI scale); W1 at rows %v: %.0f,%.0f → %.0f,%.0f m/s\n",
				sum.WISE.OpenFWI.SSIM, sum.WISER.OpenFWI.SSIM, sum.WISE.OpenFWI.RMSE, sum.WISER.OpenFWI.RMSE, histRows,
				sum.W1WISE[0], sum.W1WISE[1], sum.W1WISER[0], sum.W1WISER[1])
		}
	}
	return runErr
}

// wiserSummary is wiser.json and the --json line of posterior --method wiser.
type wiserSummary struct {
	Config           wiser.Config `json:"config"`
	PerturbKms       float64      `json:"perturb_kms"`
	SNRdB            float64      `json:"snr_db"`
	Iterations       int          `json:"outer_iterations"`
	Interrupted      bool         `json:"interrupted"`
	PDESolves        int64        `json:"pde_solves"`
	DataPasses       float64      `json:"data_passes"`
	DiagnosticSolves int64        `json:"diagnostic_solves"`
	Seconds          float64      `json:"seconds"`
	GatherSeconds    float64      `json:"gather_seconds"`
	WISE             *wise.Scores `json:"wise"`
	WISER            *wise.Scores `json:"wiser"`
	CMMisfitStart    *float64     `json:"cm_misfit_first_iteration"`
	CMMisfit         *float64     `json:"cm_misfit_last_iteration"`
	HistRows         []int        `json:"histogram_rows"`
	W1WISE           []float64    `json:"w1_wise_ms"`
	W1WISER          []float64    `json:"w1_wiser_ms"`
}

func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func minF(v []float32) float32 {
	m := float32(math.Inf(1))
	for _, x := range v {
		m = min(m, x)
	}
	return m
}
